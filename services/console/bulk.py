"""One step on many tickets at once (批量), for the centre and supervisors: reassign them
to a unit (改派) or urge the units holding them (督办). Each ticket's step is dispatch's
own step with the caller's statement as the actor, checked by dispatch ticket by ticket
as if taken one at a time; a refusal of one does not stop the others, and each ticket
gets its result. When dispatch does not answer, the tickets not yet tried are left
untried (each would wait out its own timeout), and say so.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from services.console import display, errors
from services.shared.errors import (
    IllegalTransition,
    InvalidRequest,
    NotFound,
    NotPermitted,
    ServicesUnavailable,
)
from services.shared.schemas import CENTRE_ROLES

BULK_TAKERS: Final = CENTRE_ROLES  # the centre and supervisors (dispatch judges each step)
BULK_MAX: Final = 100
# each action: the dispatch step it takes, and the fields after ticket_no and actor
ACTIONS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "reassign": ("reassign", ("unit_id", "note")),
    "urge": ("urge", ("note",)),
}
REFUSALS = (InvalidRequest, NotPermitted, IllegalTransition, NotFound)
UNTRIED: Final = "服务暂时不可用，未执行，请稍后重试"


def distinct(ticket_nos: list[str]) -> list[str]:
    """The numbers in the order given, each once."""
    return list(dict.fromkeys(number.strip().upper() for number in ticket_nos
                              if number and number.strip()))


def refusal_words(refused: Exception) -> str:
    """Why one ticket's step was refused, in the console's words."""
    if isinstance(refused, InvalidRequest):
        messages = [display.field_message(message)
                    for values in display.flat_errors(refused.errors).values()
                    for message in values]
        return "填写有误：" + "；".join(messages) if messages else "填写有误"
    return display.refusal(refused)


def take_each(action: str, ticket_nos: list[str], fields: dict[str, Any], actor: str,
              call: Callable[..., Any]) -> list[dict]:
    """Take ``action`` on each ticket in turn through ``call`` (service, method, *args):
    [{ticket_no, ok, code (the HTTP status a refusal answers alone, or None), message
    (why not, in Chinese, or None), state (after the step, or None)}]."""
    method, names = ACTIONS[action]
    args = [fields.get(name) for name in names]
    results: list[dict] = []
    unavailable = False
    for number in distinct(ticket_nos):
        if unavailable:
            results.append(_result(number, 503, UNTRIED))
            continue
        try:
            status = call("dispatch", method, number, actor, *args)
        except REFUSALS as refused:
            results.append(_result(number, errors.STATUS[type(refused)],
                                   refusal_words(refused)))
        except ServicesUnavailable:
            unavailable = True
            results.append(_result(number, 503, UNTRIED))
        else:
            results.append({"ticket_no": number, "ok": True, "code": None, "message": None,
                            "state": status.get("state") if isinstance(status, dict) else None})
    return results


def _result(number: str, code: int, message: str) -> dict:
    return {"ticket_no": number, "ok": False, "code": code, "message": message, "state": None}
