"""The id of the request a worker serves (services/shared/redelivery.py): the message's own
correlation_id, whatever a caller wrote in its headers, and nothing for a worker an event
started; and how a document records a request carried out."""
from types import SimpleNamespace
from unittest.mock import Mock

from services.shared import redelivery
from services.shared.events import APPLIED, EnvelopeHandler
from services.shared.rpc_guard import REQUEST_ID, Rpc


def request(correlation_id: str | None, **headers) -> Mock:
    properties = {"reply_to": "rpc.reply-console"}
    if correlation_id is not None:
        properties["correlation_id"] = correlation_id
    return Mock(headers=headers, properties=properties)


def served_by(entrypoint, message) -> str | None:
    """What a service method reads as its request's id, the worker started for ``message``."""
    context = entrypoint.unpack_message_headers(message)
    return redelivery.RequestId().get_dependency(
        SimpleNamespace(entrypoint=entrypoint, data=context))


def test_a_worker_serving_a_request_knows_its_correlation_id_and_not_what_the_caller_claims():
    forged = {f"nameko.{REQUEST_ID}": "someone-elses", REQUEST_ID: "someone-elses"}

    assert served_by(Rpc(), request("c0ffee", **forged)) == "c0ffee"
    assert served_by(Rpc(), request(None, **forged)) is None


def test_a_worker_an_event_started_serves_no_request_whatever_the_context_it_inherited():
    handler = EnvelopeHandler("dispatch", "ticket_urged")
    worker = SimpleNamespace(entrypoint=handler, data={REQUEST_ID: "c0ffee"})

    assert redelivery.RequestId().get_dependency(worker) is None


def test_a_document_that_recorded_a_request_knows_it_and_no_other():
    document = {APPLIED: ["3f2a9c", redelivery.applied_key("c0ffee")]}

    assert redelivery.already_applied(document, "c0ffee")
    assert not redelivery.already_applied(document, "3f2a9c")  # an event id, not a request
    assert not redelivery.already_applied(document, None)
    assert not redelivery.already_applied({}, "c0ffee")
