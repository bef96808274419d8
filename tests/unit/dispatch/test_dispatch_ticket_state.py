"""ticket_state.py names every field of a ticket's state: the documents dispatch stores,
after every kind of step, hold no key (however deep) that TicketState and its nested
TypedDicts do not declare, and none of the keys they require is missing. The types the
rest of dispatch rests on agree with the shared contract."""
from __future__ import annotations

import re
import tempfile
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dispatch_support import (
    DISPATCHER,
    GRID,
    HOUR,
    KAICHEN,
    NO,
    SUPERVISOR,
    Clock,
    callback_event,
    create,
    iso,
    jpeg,
    upload,
)

from services.dispatch import ticket_state
from services.dispatch.service import DispatchService
from services.dispatch.steps import Change
from services.dispatch.store import OWING_UNITS, READING, TicketStateStore
from services.dispatch.ticket_state import (
    DUE_KEYS,
    DeadlineName,
    Deadlines,
    TicketChanges,
    TicketState,
)
from services.shared.events import APPLIED, new_event
from services.shared.files import DiskFiles
from services.shared.outbox import OUTBOX, SWEEP_FLAG
from services.shared.payloads import DEADLINE_NAMES
from services.shared.states import ASSIST_STATUSES, REQUEST_STATUSES

WEIYANG = {"district": "未央区", "subdistrict": "谭家街道", "community": None, "estate": None,
           "building": None, "room": None, "detail": None}


def undeclared(value: Any, hint: Any, path: str) -> list[str]:
    """The keys in ``value``, however deep, that ``hint`` (a TypedDict, or a list or union
    of them) does not declare, and those it requires that ``value`` lacks, by path. What is
    typed as a plain dict (the contract's caller, address, actors, events) is not looked
    into."""
    if value is None:
        return []
    if typing.is_typeddict(hint):
        fields = typing.get_type_hints(hint)
        found = [f"{path}.{key} (undeclared)" for key in value if key not in fields]
        found += [f"{path}.{key} (missing)" for key in hint.__required_keys__ if key not in value]
        for key, item in value.items():
            if key in fields:
                found += undeclared(item, fields[key], f"{path}.{key}")
        return found
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return undeclared(value, next(arg for arg in typing.get_args(hint)
                                      if arg is not type(None)), path)
    if origin is list:
        [item_hint] = typing.get_args(hint)
        return [key for number, item in enumerate(value)
                for key in undeclared(item, item_hint, f"{path}[{number}]")]
    return []


@pytest.fixture
def written(store: TicketStateStore, monkeypatch: pytest.MonkeyPatch) -> list[TicketState]:
    """Every ticket document as the store holds it right after each write."""
    documents: list[TicketState] = []
    apply, add_if_new = store.apply, store.add_if_new

    def applying(state: TicketState, change: Change) -> TicketState | None:
        stored = apply(state, change)
        if stored is not None:
            documents.append(stored)
        return stored

    def adding(state: TicketState) -> bool:
        added = add_if_new(state)
        stored = store.get(state["_id"])
        assert stored is not None
        documents.append(stored)
        return added

    monkeypatch.setattr(store, "apply", applying)
    monkeypatch.setattr(store, "add_if_new", adding)
    return documents


# Stories: between them, every kind of step dispatch takes
def answered_at_intake(service: DispatchService, now: Clock) -> None:
    create(service, kind="consult", category="other", status="answered", answer="请到街道办理")


def routed_nowhere_then_reassigned(service: DispatchService, now: Clock) -> None:
    create(service, address=WEIYANG)
    service.reassign(NO, DISPATCHER, "kaichen", "请物业处理")


def supervised_and_helped_to_the_end(service: DispatchService, now: Clock) -> None:
    create(service)  # to 凯晨物业 (kaichen)
    service.on_ticket_merged(new_event("intake", "ticket_merged", {
        "caller": {"name": "李伯伯", "phone": "+8613900000001", "anonymous": False},
        "channel": "hotline", "description": "浴缸边需要装扶手", "match": "same_place",
        "similarity": 91.0, "calls": 2, "external_id": None}, ticket_no=NO))
    now.advance(minutes=100)
    service.check_deadlines()  # accept near
    now.advance(minutes=30)
    service.check_deadlines()  # accept missed
    service.accept(NO, KAICHEN)
    service.files = DiskFiles(tempfile.mkdtemp(prefix="dispatch-files-"))
    service.add_note(NO, KAICHEN, "老人下午三点后在家")
    service.attach(NO, KAICHEN, [upload("现场.jpg", jpeg())])
    service.urge(NO, SUPERVISOR, "请今天联系老人")
    service.request_extension(NO, KAICHEN, iso(now.moment + 48 * HOUR), "老人不在家", "contact")
    service.decide_extension(NO, SUPERVISOR, True, "同意")
    service.request_extension(NO, KAICHEN, iso(now.moment + 300 * HOUR), "配件缺货")
    service.decide_extension(NO, SUPERVISOR, False, "不同意")
    service.request_pause(NO, KAICHEN, "老人住院")
    service.decide_pause(NO, SUPERVISOR, True)
    now.advance(hours=2)
    service.resume(NO, KAICHEN)
    service.request_pause(NO, KAICHEN, "等配件", iso(now.moment + 3 * HOUR))
    service.decide_pause(NO, SUPERVISOR, True)
    now.advance(hours=4)
    service.check_deadlines()  # the pause ends on its date
    service.add_assist(NO, KAICHEN, "grid-1", "请网格员一同上门")
    service.accept_assist(NO, GRID)
    service.report_assist(NO, GRID, "已协助入户")
    service.add_assist(NO, DISPATCHER, "kailu-committee")
    service.release_assist(NO, KAICHEN, "kailu-committee", "不需要了")
    service.record_contact(NO, KAICHEN, "已电话联系")
    service.request_extension(NO, KAICHEN, iso(now.moment + 300 * HOUR), "配件缺货")
    service.request_pause(NO, KAICHEN, "等配件")
    service.resolve(NO, KAICHEN, "扶手已安装")  # both requests withdrawn
    service.on_callback_completed(callback_event(NO, "unsatisfied", note="还是松的"))
    service.accept(NO, KAICHEN)
    service.resolve(NO, KAICHEN, "扶手已加固")
    service.on_callback_completed(callback_event(NO, "satisfied", attempt=2))


def paused_returned_and_handed_to_its_assistant(service: DispatchService, now: Clock) -> None:
    create(service)
    service.accept(NO, KAICHEN)
    service.add_assist(NO, KAICHEN, "grid-1")
    service.request_pause(NO, KAICHEN, "老人住院")
    service.decide_pause(NO, SUPERVISOR, True)
    service.request_extension(NO, KAICHEN, iso(now.moment + 300 * HOUR), "配件缺货")
    now.advance(hours=1)
    service.return_ticket(NO, KAICHEN, "非本单位")  # the pause ends, the request withdrawn
    service.reassign(NO, DISPATCHER, "grid-1")      # its assist released: it leads


STORIES: dict[str, Callable[[DispatchService, Clock], None]] = {
    "answered at intake": answered_at_intake,
    "routed nowhere, then reassigned": routed_nowhere_then_reassigned,
    "supervised and helped to the end": supervised_and_helped_to_the_end,
    "paused, returned and handed to its assistant": paused_returned_and_handed_to_its_assistant,
}


@pytest.mark.parametrize("story", STORIES)
def test_every_field_a_step_writes_is_declared(service: DispatchService, now: Clock,
                                               written: list[TicketState], story: str) -> None:
    STORIES[story](service, now)
    assert written
    for number, document in enumerate(written):
        assert undeclared(document, TicketState, f"write {number}") == []


def test_the_stories_take_every_step_and_fill_every_field(
        service: DispatchService, now: Clock, written: list[TicketState]) -> None:
    """So that the test above looks at every field: between them the stories write each
    one, every request and assist status and every event dispatch says."""
    for story in STORIES.values():
        story(service, now)
        service.store.tickets.delete_many({})
    assert {key for document in written for key in document} == set(
        typing.get_type_hints(TicketState))
    requests = {entry["status"] for document in written
                for entry in [*document.get("extensions", []), *document.get("pauses", [])]}
    assert requests == set(REQUEST_STATUSES)
    assert {assist["status"] for document in written
            for assist in document.get("assists", [])} == set(ASSIST_STATUSES)
    said = {event["event_type"] for document in written for event in document["outbox"]}
    assert said == {"ticket_dispatched", "ticket_accepted", "ticket_contacted",
                    "ticket_resolved", "ticket_returned", "ticket_closed", "ticket_reopened",
                    "ticket_warning", "ticket_overdue", "ticket_urged", "extension_requested",
                    "extension_decided", "pause_requested", "pause_decided", "ticket_resumed",
                    "assist_added", "assist_accepted", "assist_reported", "assist_released",
                    "note_added", "attachment_added"}


def test_the_check_finds_a_field_no_type_declares() -> None:
    state: Any = {"state": "accepted", "stat": "accepted",
                  "assists": [{"unit_id": "grid-1", "unit": "grid-1"}]}
    found = undeclared(state, TicketState, "ticket")
    assert "ticket.stat (undeclared)" in found
    assert "ticket.assists[0].unit (undeclared)" in found
    assert "ticket.ticket_no (missing)" in found
    assert "ticket.assists[0].status (missing)" in found


def test_every_field_read_with_a_default_is_declared_and_may_be_missing() -> None:
    """What mypy does not check: a key unknown to a TypedDict is no error in ``.get``. So
    each ``state.get("…")`` (or ``after.get``) in dispatch names a field TicketState
    declares, one that may be missing; a field always set is read as ``state["…"]``."""
    sources = Path(ticket_state.__file__).parent.glob("*.py")
    read = {name for source in sources for name in re.findall(
        r'\b(?:state|after)\.get\(\s*"(\w+)"', source.read_text(encoding="utf-8"))}
    assert "warned" in read  # the search finds them
    assert read - TicketState.__optional_keys__ == set()


def test_the_fields_a_step_sets_are_the_states_of_the_same_types() -> None:
    state, changes = typing.get_type_hints(TicketState), typing.get_type_hints(TicketChanges)
    assert TicketChanges.__required_keys__ == frozenset()
    assert {name: state.get(name) for name in changes} == changes
    # a step never rewrites intake's ticket nor the store's bookkeeping
    assert not {"_id", "ticket_no", "caller", "address", "created_at", "version", APPLIED,
                OUTBOX, SWEEP_FLAG, OWING_UNITS} & set(changes)


def test_the_deadline_names_are_the_contracts() -> None:
    assert typing.get_args(DeadlineName) == DEADLINE_NAMES
    names: tuple[DeadlineName, ...] = typing.get_args(DeadlineName)
    assert DUE_KEYS == {name: f"{name}_by" for name in names}
    assert set(DUE_KEYS.values()) == set(typing.get_type_hints(Deadlines))


def test_the_bookkeeping_the_shared_modules_name_is_declared() -> None:
    assert {APPLIED, OUTBOX, SWEEP_FLAG, OWING_UNITS} <= set(typing.get_type_hints(TicketState))


def test_a_reading_leaves_out_only_fields_a_state_may_lack() -> None:
    # (mongomock adds "_id": 1 to a projection it is given)
    left_out = {name for name, shown in READING.items() if not shown}
    assert left_out and left_out <= TicketState.__optional_keys__
