"""One service asking another inside a request (services/shared/service_rpc.py): the
answer, the documented errors as raised, and ServicesUnavailable when the other is away."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.exceptions import RemoteError

from services.shared.errors import NotFound
from services.shared.rpc_client import ServicesUnavailable
from services.shared.service_rpc import BoundedService


def answering(result):
    """A stand-in for nameko's service proxy whose every method replies with ``result``
    (an exception is raised, as nameko raises what the other service answered)."""
    def reply():
        if isinstance(result, Exception):
            raise result
        return result
    call = SimpleNamespace(call_async=lambda *args, **kwargs: SimpleNamespace(result=reply))
    return SimpleNamespace(get_unit=call)


def test_the_answer_and_the_documented_errors_pass_through():
    assert BoundedService(answering({"id": "centre"}), "dispatch", 1).get_unit("centre") == \
        {"id": "centre"}
    with pytest.raises(NotFound):
        BoundedService(answering(NotFound("unit x")), "dispatch", 1).get_unit("x")


def test_another_service_whose_store_is_away_is_unavailable_not_a_fault():
    away = BoundedService(answering(RemoteError("AutoReconnect", "primary lost")), "dispatch", 1)
    with pytest.raises(ServicesUnavailable, match="dispatch.get_unit: AutoReconnect"):
        away.get_unit("x")
    broken = BoundedService(answering(RemoteError("KeyError", "'id'")), "dispatch", 1)
    with pytest.raises(RemoteError):  # a fault of the other's stays a fault
        broken.get_unit("x")
