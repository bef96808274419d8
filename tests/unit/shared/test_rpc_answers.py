"""An RPC's answer (services/shared/rpc_guard.py Responder) is serialized once, in the
request's content type, and reads as nameko's own: the result, or the error; a result that
cannot be serialized is answered UnserializableValueError, as nameko answers it."""
from __future__ import annotations

import json

import kombu.serialization
import pytest

from services.shared import rpc_guard


class Request:
    properties = {"content_type": "application/json", "reply_to": "rpc.reply-console-1",
                  "correlation_id": "c-42"}


class Published:
    """The publisher the responder makes, keeping what it was asked to publish."""

    sent: list[tuple] = []

    def __init__(self, amqp_uri, ssl=None, login_method=None):
        pass

    def publish(self, body, **options):
        Published.sent.append((body, options))


@pytest.fixture
def responder(monkeypatch):
    Published.sent = []
    made = rpc_guard.Responder("memory://", "nameko-rpc", "json", Request())
    made.publisher_cls = Published
    serialized = []
    real_dumps = kombu.serialization.dumps
    monkeypatch.setattr(kombu.serialization, "dumps",
                        lambda *args, **kwargs: serialized.append(1) or real_dumps(*args,
                                                                                    **kwargs))
    made.serialized = serialized
    return made


def answer() -> tuple[dict, dict]:
    [(body, options)] = Published.sent
    return json.loads(body), options


def test_a_result_is_serialized_once_and_sent_back_to_the_caller(responder):
    rows = [{"ticket_no": f"YP20261206-{n:04d}", "description": "楼道灯不亮"} for n in range(3)]

    assert responder.send_response(rows, None) == (rows, None)

    body, options = answer()
    assert body == {"result": rows, "error": None}
    assert responder.serialized == [1]
    assert (options["content_type"], options["routing_key"], options["correlation_id"]) == (
        "application/json", "rpc.reply-console-1", "c-42")


def test_an_error_is_answered_as_nameko_answers_it(responder):
    error = ValueError("no such unit")

    responder.send_response(None, (ValueError, error, None))

    body, _ = answer()
    assert body["result"] is None
    assert (body["error"]["exc_type"], body["error"]["value"]) == ("ValueError",
                                                                   "no such unit")


def test_a_result_that_cannot_be_serialized_is_answered_unserializable(responder):
    result, exc_info = responder.send_response({"at": object()}, None)

    body, _ = answer()
    assert result is None and exc_info is not None
    assert body["result"] is None
    assert body["error"]["exc_type"] == "UnserializableValueError"


def test_a_list_whose_items_come_encoded_is_sent_as_those_texts_joined(responder):
    # a unit's queue keeps each row's JSON with the row: the answer is not encoded again
    rows = [{"ticket_no": f"YP20261206-{n:04d}", "description": "楼道灯不亮"} for n in range(3)]
    texts = [rpc_guard.encoded(row) for row in rows]

    result, _ = responder.send_response(rpc_guard.EncodedList(rows, texts), None)

    body, options = answer()
    assert body == {"result": rows, "error": None} and result == rows
    assert responder.serialized == []  # joined, not serialized
    assert options["content_type"] == "application/json"
    # the texts are what is sent: an item's kept JSON, not the item again
    responder.send_response(rpc_guard.EncodedList(rows, ['{"kept": true}'] * 3), None)
    assert json.loads(Published.sent[-1][0])["result"] == [{"kept": True}] * 3
