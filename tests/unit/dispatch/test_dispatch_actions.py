"""The steps get_status offers (``actions``): for tickets in every state and with every kind
of request and assist on them, and for every kind of person, each step offered is taken
when tried, and each step not offered is refused (IllegalTransition or NotPermitted) with
nothing changed. Dispatch judges both by the same table (steps.py)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from dispatch_support import (
    ADMIN,
    COMMITTEE,
    DISPATCHER,
    GRID,
    KAICHEN,
    NO,
    SUPERVISOR,
    actor,
    assert_refused,
    callback_event,
    create,
    iso,
)

from services.dispatch import lifecycle
from services.dispatch.service import DispatchService
from services.dispatch.store import TicketStateStore
from services.shared.errors import IllegalTransition, NotPermitted
from services.shared.payloads import DEADLINE_NAMES
from services.shared.states import ACTIONS, ASSIST_OWING

AGENT = actor("agent")
PEOPLE = {"lead staff": KAICHEN, "grid staff": GRID, "other staff": COMMITTEE,
          "dispatcher": DISPATCHER, "supervisor": SUPERVISOR, "admin": ADMIN, "agent": AGENT}
UNITS = ("kailu-committee", "veterans", "grid-1")  # handling units of the test directory
WEIYANG = {"district": "未央区", "subdistrict": "谭家街道", "community": None, "estate": None,
           "building": None, "room": None, "detail": None}


# Tickets in each state, with what may hang on them
def dispatched(service: DispatchService) -> None:
    create(service)


def accepted(service: DispatchService) -> None:
    create(service)
    service.accept(NO, KAICHEN)


def contacted(service: DispatchService) -> None:
    accepted(service)
    service.record_contact(NO, KAICHEN, "已电话联系王阿姨")


def sent_back(service: DispatchService) -> None:
    accepted(service)
    service.return_ticket(NO, KAICHEN, "非本单位")


def routed_nowhere(service: DispatchService) -> None:
    create(service, address=WEIYANG)


def resolved(service: DispatchService) -> None:
    contacted(service)
    service.resolve(NO, KAICHEN, "扶手已安装")


def closed_satisfied(service: DispatchService) -> None:
    resolved(service)
    service.on_callback_completed(callback_event(NO, "satisfied"))


def reopened(service: DispatchService) -> None:
    resolved(service)
    service.on_callback_completed(callback_event(NO, "unsatisfied"))


def answered_at_intake(service: DispatchService) -> None:
    create(service, kind="consult", category="other", status="answered", answer="请到街道办理")


def requests_waiting(service: DispatchService) -> None:
    accepted(service)
    service.request_extension(NO, KAICHEN, iso(dt.datetime(2026, 12, 30, tzinfo=dt.UTC)),
                              "配件缺货")
    service.request_pause(NO, KAICHEN, "老人住院")


def paused(service: DispatchService) -> None:
    accepted(service)
    service.request_pause(NO, KAICHEN, "老人住院")
    service.decide_pause(NO, SUPERVISOR, True)


def assisted(service: DispatchService) -> None:
    accepted(service)
    service.add_assist(NO, KAICHEN, "grid-1", "请网格员一同上门")


def assist_accepted(service: DispatchService) -> None:
    assisted(service)
    service.accept_assist(NO, GRID)


def assist_reported(service: DispatchService) -> None:
    assist_accepted(service)
    service.report_assist(NO, GRID, "已协助入户")


def assist_released(service: DispatchService) -> None:
    assisted(service)
    service.release_assist(NO, DISPATCHER, "grid-1")


def assigned(service: DispatchService) -> None:
    accepted(service)
    service.assign(NO, KAICHEN, "second-kaichen")


SCENARIOS: dict[str, Callable[[DispatchService], None]] = {
    "dispatched": dispatched, "accepted": accepted, "contacted": contacted,
    "sent back to the centre": sent_back, "routed nowhere": routed_nowhere,
    "resolved": resolved, "closed satisfied": closed_satisfied, "reopened": reopened,
    "answered at intake": answered_at_intake, "requests waiting": requests_waiting,
    "paused": paused, "assist added": assisted, "assist accepted": assist_accepted,
    "assist reported": assist_reported, "assist released": assist_released,
    "assigned to a colleague": assigned,
}


def arguments(step: str, ticket: dict) -> tuple:
    """Arguments the step would take from anyone allowed to take it on ``ticket`` (as
    get_status shows it), so that only who and when decide."""
    lead, assists = ticket["unit_id"], ticket["assists"]
    owing = [assist["unit_id"] for assist in assists if assist["status"] in ASSIST_OWING]
    free = next(unit for unit in UNITS if unit != lead and unit not in owing)
    unmet = [name for name in DEADLINE_NAMES if name not in ticket["met"]]
    return {
        "record_contact": ("已电话联系",), "resolve": ("已修好",), "report_assist": ("已协助",),
        "urge": ("请今天联系老人",), "return_ticket": ("非本单位辖区",),
        "decide_extension": (True,), "decide_pause": (True,),
        "reassign": (free,), "add_assist": (free,),
        "release_assist": ((owing or [assist["unit_id"] for assist in assists] or UNITS)[0],),
        "request_extension": (iso(dt.datetime(2027, 1, 30, tzinfo=dt.UTC)), "配件缺货",
                              (unmet or ["resolve"])[0]),
        "request_pause": ("等业主出院",),
        # a colleague it is not given to yet
        "assign": (f"second-{lead}" if (ticket["assignee"] or {}).get("username")
                   != f"second-{lead}" else f"unit_staff-{lead}",),
    }.get(step, ())


def offered_to(service: DispatchService, who: dict) -> list[str]:
    """The steps get_status offers ``who``; none to someone who may not read the ticket
    (refused, as for a number nobody used)."""
    try:
        return service.get_status(NO, who)["actions"]
    except NotPermitted:
        return []


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_step_offered_is_taken_and_every_other_refused(
        service: DispatchService, store: TicketStateStore, scenario: str, person: str) -> None:
    SCENARIOS[scenario](service)
    who = PEOPLE[person]
    offered = offered_to(service, who)
    assert offered == [step for step in ACTIONS if step in offered]  # in ACTIONS order
    ticket, kept = service.get_status(NO, ADMIN), store.tickets.find_one({"_id": NO})

    for step in ACTIONS:
        store.tickets.replace_one({"_id": NO}, kept)  # each step on the ticket as it was
        def take(service: DispatchService, step: str = step) -> dict:
            return getattr(service, step)(NO, who, *arguments(step, ticket))
        if step in offered:
            assert take(service)["ticket_no"] == NO, step
        else:
            assert_refused(service, store, take, (IllegalTransition, NotPermitted))


# What the offer looks like to the people who use it
def test_the_holding_unit_signs_for_a_dispatched_ticket_and_nothing_more_of_its_work_yet(
        service: DispatchService) -> None:
    create(service)
    assert service.get_status(NO, KAICHEN)["actions"] == [
        "accept", "add_assist", "request_extension", "return_ticket", "assign"]


def test_each_step_answers_what_may_be_done_next(service: DispatchService) -> None:
    create(service)
    assert service.accept(NO, KAICHEN)["actions"] == [
        "record_contact", "resolve", "add_assist", "request_extension", "request_pause",
        "return_ticket", "assign"]
    assert service.resolve(NO, KAICHEN, "扶手已安装")["actions"] == []


def test_nothing_is_offered_to_another_unit_or_an_agent_nor_on_a_closed_ticket(
        service: DispatchService) -> None:
    contacted(service)
    with pytest.raises(NotPermitted):  # another unit does not even read it
        service.get_status(NO, COMMITTEE)
    assert service.get_status(NO, AGENT)["actions"] == []
    service.resolve(NO, KAICHEN, "扶手已安装")
    service.on_callback_completed(callback_event(NO, "satisfied"))
    assert all(offered_to(service, who) == [] for who in PEOPLE.values())


@pytest.mark.parametrize("scenario", ["answered at intake", "closed satisfied"])
def test_every_step_on_a_closed_ticket_is_an_illegal_transition_for_whoever_may_read_it(
        service: DispatchService, store: TicketStateStore, scenario: str) -> None:
    """The README's error table: acting on a closed ticket is IllegalTransition, the
    state being why; a consultation closed at intake, which no unit ever held, too. Who
    may not read the ticket is refused as for a number nobody used (NotPermitted)."""
    SCENARIOS[scenario](service)
    ticket = service.get_status(NO, ADMIN)
    readers = {name: who for name, who in PEOPLE.items() if offered_to(service, who) == []
               and _reads(service, who)}
    assert {"dispatcher", "supervisor", "admin"} <= set(readers)
    for name, who in PEOPLE.items():
        for step in ACTIONS:
            with pytest.raises(IllegalTransition if name in readers else NotPermitted):
                getattr(service, step)(NO, who, *arguments(step, ticket))
    assert store.get(NO)["state"] == "closed"


def _reads(service: DispatchService, who: dict) -> bool:
    try:
        service.get_status(NO, who)
    except NotPermitted:
        return False
    return True


def test_the_centre_reassigns_a_ticket_no_rule_routed(service: DispatchService) -> None:
    create(service, address=WEIYANG)
    assert service.get_status(NO, DISPATCHER)["actions"] == ["reassign", "add_assist"]


def test_the_lead_resolves_once_the_assisting_unit_has_reported_and_it_signs_for_then_reports(
        service: DispatchService) -> None:
    assisted(service)
    assert "resolve" not in service.get_status(NO, KAICHEN)["actions"]
    assert "release_assist" in service.get_status(NO, KAICHEN)["actions"]
    assert service.get_status(NO, GRID)["actions"] == ["accept_assist"]
    assert service.accept_assist(NO, GRID)["actions"] == ["report_assist"]
    assert service.report_assist(NO, GRID, "已协助入户")["actions"] == []
    assert "resolve" in service.get_status(NO, KAICHEN)["actions"]
    assert "release_assist" not in service.get_status(NO, KAICHEN)["actions"]


def test_a_request_waiting_is_not_asked_again_and_a_supervisor_decides_it(
        service: DispatchService) -> None:
    requests_waiting(service)
    unit = service.get_status(NO, KAICHEN)["actions"]
    assert "request_extension" not in unit and "request_pause" not in unit
    assert {"decide_extension", "decide_pause", "urge"} <= set(
        service.get_status(NO, SUPERVISOR)["actions"])
    assert "decide_extension" not in service.get_status(NO, DISPATCHER)["actions"]


def test_a_paused_ticket_is_resumed_not_paused_again(service: DispatchService) -> None:
    paused(service)
    assert "resume" in service.get_status(NO, KAICHEN)["actions"]
    assert "request_pause" not in service.get_status(NO, KAICHEN)["actions"]
    assert "resume" in service.get_status(NO, SUPERVISOR)["actions"]


# The answer is the contract's
@pytest.mark.parametrize("scenario", ["requests waiting", "paused", "assist accepted",
                                      "reopened"])
def test_the_answer_keeps_every_field_of_the_view(
        service: DispatchService, store: TicketStateStore, scenario: str) -> None:
    """get_status is dumped with the contract's schema (TicketStatusSchema): nothing the
    view holds, however deep, is lost on the way."""
    SCENARIOS[scenario](service)
    for who in (ADMIN, AGENT):
        answer = service.get_status(NO, who)
        record = ("actions", "evidence_actions", "notes", "attachments", "photos_required")
        assert {key: value for key, value in answer.items() if key not in record} == \
            lifecycle.view(store.get(NO), who)
