"""A step request that reaches dispatch twice (RabbitMQ hands it to another copy when the
one that carried it out was killed before acknowledging it) is carried out once: one
event in the ledger, and both deliveries answered with the ticket as it stands."""
from __future__ import annotations

import json
import uuid

from integration_support import CALL_CENTRE
from kombu import Connection, Exchange, Queue
from test_supervision import SUPERVISOR
from test_ticket_life import in_state, lamp, recorded, status_of

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)  # as nameko declares it


def delivered_twice(uri: str, method: str, args: list, correlation_id: str) -> list[dict]:
    """The answers to one request (``dispatch.<method>``) sent twice under one id, as a
    redelivery comes: same body, same correlation_id."""
    reply_key = str(uuid.uuid4())
    replies = Queue(f"rpc.reply-standalone_rpc_proxy-{reply_key}", RPC_EXCHANGE,
                    routing_key=reply_key, exclusive=True, auto_delete=True)
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        inbox = connection.SimpleQueue(replies)
        for _ in range(2):
            connection.Producer().publish(
                json.dumps({"args": args, "kwargs": {}}), exchange=RPC_EXCHANGE,
                routing_key=f"dispatch.{method}", reply_to=reply_key,
                correlation_id=correlation_id, content_type="application/json",
                content_encoding="utf-8")
        answers = []
        for _ in range(2):
            message = inbox.get(timeout=30)
            message.ack()
            answers.append(message.payload)
        inbox.close()
    return answers


def test_an_urge_delivered_twice_is_recorded_once_and_a_new_urge_still_counts(rpc, system):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    in_state(rpc, number, "dispatched")

    answers = delivered_twice(system["AMQP_URI"], "urge", [number, SUPERVISOR, "请尽快签收"],
                              correlation_id=str(uuid.uuid4()))

    assert [answer["error"] for answer in answers] == [None, None]
    assert [len(answer["result"]["urges"]) for answer in answers] == [1, 1]
    assert answers[0]["result"]["version"] == answers[1]["result"]["version"]
    assert recorded(rpc, number, "ticket_urged").count("ticket_urged") == 1

    rpc.dispatch.urge(number, SUPERVISOR, "仍未签收, 请今天处理")  # a request of its own
    assert len(status_of(rpc, number)["urges"]) == 2
    assert recorded(rpc, number, "ticket_urged", "ticket_urged").count("ticket_urged") == 2


def test_an_accept_delivered_twice_answers_the_accepted_ticket_both_times(rpc, system):
    number = rpc.intake.create_ticket(lamp(), CALL_CENTRE)["ticket_no"]
    unit_id = in_state(rpc, number, "dispatched")["unit_id"]
    staff = {"id": f"s-{unit_id}", "name": "承办人", "role": "unit_staff", "unit_id": unit_id}

    answers = delivered_twice(system["AMQP_URI"], "accept", [number, staff],
                              correlation_id=str(uuid.uuid4()))

    assert [(answer["error"], answer["result"]["state"]) for answer in answers] == [
        (None, "accepted"), (None, "accepted")]
    assert recorded(rpc, number, "ticket_accepted").count("ticket_accepted") == 1
