"""A request with arguments its method cannot take is answered InvalidRequest, an error of
the contract, saying what the method takes (nameko's own answer, IncorrectSignature, is in
no caller's list)."""
from types import SimpleNamespace

import pytest

from services.dispatch.service import DispatchService
from services.shared.deadlines import DeadlineRpc
from services.shared.errors import InvalidRequest


def entrypoint(method_name: str) -> DeadlineRpc:
    """Dispatch's rpc entrypoint for ``method_name``, as its container binds it."""
    rpc = DeadlineRpc()
    rpc.container = SimpleNamespace(service_cls=DispatchService)
    rpc.method_name = method_name
    return rpc


@pytest.mark.parametrize("args, kwargs, given", [
    (["YP20261123-0001", {}], {}, "2 given"),                              # one too few
    (["YP20261123-0001", {}, "非本单位", "多余"], {}, "4 given"),            # one too many
    (["YP20261123-0001", {}], {"result": "非本单位"}, "2 given and result"),  # a wrong name
])
def test_wrong_arguments_are_an_invalid_request_that_says_what_the_step_takes(
        args, kwargs, given):
    with pytest.raises(InvalidRequest) as refused:
        entrypoint("return_ticket").check_signature(args, kwargs)
    assert refused.value.errors == {"_request": [
        f"Wrong arguments for return_ticket(ticket_no, actor, reason): {given}."]}


def test_arguments_the_method_takes_pass_optional_ones_included():
    entrypoint("resolve").check_signature(["YP20261123-0001", {}, "扶手已装好"], {})
    entrypoint("record_contact").check_signature(["YP20261123-0001", {}], {})
    entrypoint("record_contact").check_signature(["YP20261123-0001", {}], {"note": "已电联"})
    with pytest.raises(InvalidRequest, match=r"record_contact\(ticket_no, actor, note=None\)"):
        entrypoint("record_contact").check_signature([], {})
