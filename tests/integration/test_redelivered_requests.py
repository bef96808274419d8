"""A request that reaches a service twice (RabbitMQ hands it to another copy when the one
that carried it out was killed before acknowledging it) is carried out once: one event in
the ledger, and both deliveries answered as the first run was."""
from __future__ import annotations

import json
import uuid

from integration_support import CALL_CENTRE
from kombu import Connection, Exchange, Queue
from test_supervision import SUPERVISOR
from test_ticket_life import in_state, lamp, recorded, status_of

from services.shared import storage
from services.shared.schemas import SYSTEM_ACTOR

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)  # as nameko declares it


def delivered_twice(uri: str, method: str, args: list, correlation_id: str, *,
                    service: str = "dispatch", one_after_the_other: bool = False
                    ) -> list[dict]:
    """The answers to one request (``<service>.<method>``) sent twice under one id, as a
    redelivery comes: same body, same correlation_id; the second sent only once the first
    was answered when ``one_after_the_other`` (as RabbitMQ redelivers: after the copy that
    took it is gone), else both at once."""
    reply_key = str(uuid.uuid4())
    replies = Queue(f"rpc.reply-standalone_rpc_proxy-{reply_key}", RPC_EXCHANGE,
                    routing_key=reply_key, exclusive=True, auto_delete=True)
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        inbox = connection.SimpleQueue(replies)

        def send() -> None:
            connection.Producer().publish(
                json.dumps({"args": args, "kwargs": {}}), exchange=RPC_EXCHANGE,
                routing_key=f"{service}.{method}", reply_to=reply_key,
                correlation_id=correlation_id, content_type="application/json",
                content_encoding="utf-8")

        def answer() -> dict:
            message = inbox.get(timeout=30)
            message.ack()
            return message.payload

        if one_after_the_other:
            send()
            answers = [answer()]
            send()
            answers.append(answer())
        else:
            send()
            send()
            answers = [answer(), answer()]
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


def test_a_call_without_an_external_id_delivered_twice_is_one_ticket(rpc, system):
    call = lamp(description="小区东门路灯不亮已有一周")

    answers = delivered_twice(system["AMQP_URI"], "create_ticket", [call, CALL_CENTRE],
                              correlation_id=str(uuid.uuid4()), service="intake",
                              one_after_the_other=True)

    assert [answer["error"] for answer in answers] == [None, None]
    assert answers[0]["result"] == answers[1]["result"]
    assert (answers[1]["result"]["merged"], answers[1]["result"]["calls"]) == (False, 1)
    number = answers[0]["result"]["ticket_no"]
    in_state(rpc, number, "dispatched")
    recorded(rpc, number, "ticket_created", "ticket_dispatched")
    created = [entry["ticket_no"] for entry in rpc.ledger.recent(SYSTEM_ACTOR, 500)
               if entry["event_type"] == "ticket_created"]
    assert created == [number]
    intake = storage.open_client(system["MONGO_URI"], storage.database_name(system, "intake"))
    tickets = intake[storage.database_name(system, "intake")]["tickets"]
    assert tickets.count_documents({}) == 1
