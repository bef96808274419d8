"""A person within the unit (承办人): staff of the unit holding a ticket take it themselves
(接单) or give it to a colleague (指派), the centre gives it to one of the unit's staff;
whoever it goes to is an active account of that unit, as accounts says, never as the
caller says. A new unit, or the centre, leaves it with nobody."""
from __future__ import annotations

import datetime as dt

import pytest
from dispatch_support import (
    ADMIN,
    COMMITTEE,
    DISPATCHER,
    KAICHEN,
    NO,
    START,
    actor,
    assert_refused,
    callback_event,
    create,
    published,
)

from services.dispatch import lifecycle
from services.dispatch.service import DispatchService
from services.dispatch.store import TicketStateStore
from services.shared.errors import IllegalTransition, InvalidRequest, NotPermitted

AGENT = actor("agent")


def said(service: DispatchService, event_type: str) -> list[dict]:
    return [event["data"] for kind, event in published(service) if kind == event_type]


def test_staff_of_the_holding_unit_take_a_ticket_themselves(service: DispatchService) -> None:
    create(service)
    status = service.assign(NO, KAICHEN, "unit_staff-kaichen")

    assert status["assignee"]["username"] == "unit_staff-kaichen"
    assert status["assignee"]["name"] == "李琳"
    assert status["assignee"]["by"]["id"] == KAICHEN["id"]
    assert said(service, "ticket_assigned") == [{
        "unit_id": "kaichen", "assignee": "unit_staff-kaichen", "assignee_name": "李琳",
        "previous_assignee": None, "by": KAICHEN["id"], "by_name": "李琳", "taken": True}]


def test_staff_give_it_to_a_colleague_and_the_centre_to_another(
        service: DispatchService) -> None:
    create(service)
    service.accept(NO, KAICHEN)
    service.assign(NO, KAICHEN, "second-kaichen")
    status = service.assign(NO, DISPATCHER, "unit_staff-kaichen")

    assert status["assignee"]["username"] == "unit_staff-kaichen"
    assert [(data["assignee"], data["previous_assignee"], data["taken"])
            for data in said(service, "ticket_assigned")] == [
        ("second-kaichen", None, False), ("unit_staff-kaichen", "second-kaichen", False)]
    assert status["state"] == "accepted"  # the state stays as it is


def test_the_name_sent_is_taken_only_if_accounts_knows_it_as_an_active_colleague(
        service: DispatchService, store: TicketStateStore) -> None:
    create(service)
    for stranger in ("unit_staff-grid-1", "nobody", "second-kailu-committee"):
        assert_refused(service, store, lambda s, who=stranger: s.assign(NO, KAICHEN, who),
                       InvalidRequest)
    # accounts is asked about the holding unit, on the caller's own statement
    assert service.accounts.colleagues.call_args.args == ("kaichen", KAICHEN)


def test_the_centre_may_not_take_a_ticket_for_itself(
        service: DispatchService, store: TicketStateStore) -> None:
    create(service)
    assert_refused(service, store, lambda s: s.assign(NO, DISPATCHER, DISPATCHER["id"]),
                   InvalidRequest)


@pytest.mark.parametrize("who", [COMMITTEE, AGENT], ids=["another unit", "agent"])
def test_others_are_refused_before_accounts_is_asked(
        service: DispatchService, store: TicketStateStore, who: dict) -> None:
    create(service)
    assert_refused(service, store, lambda s: s.assign(NO, who, "unit_staff-kaichen"),
                   NotPermitted)
    service.accounts.colleagues.assert_not_called()


def test_a_ticket_waiting_at_the_centre_has_nobody_to_give_it_to(
        service: DispatchService, store: TicketStateStore) -> None:
    create(service)
    service.return_ticket(NO, KAICHEN, "非本单位")
    assert_refused(service, store, lambda s: s.assign(NO, ADMIN, "unit_staff-kaichen"),
                   IllegalTransition)


def test_giving_it_to_whoever_has_it_already_is_refused(
        service: DispatchService, store: TicketStateStore) -> None:
    create(service)
    service.assign(NO, KAICHEN, "unit_staff-kaichen")
    assert_refused(service, store, lambda s: s.assign(NO, KAICHEN, "UNIT_STAFF-kaichen"),
                   IllegalTransition)


def test_a_new_unit_or_the_centre_clears_the_assignee_and_a_reopening_keeps_it(
        service: DispatchService) -> None:
    create(service)
    service.assign(NO, KAICHEN, "second-kaichen")
    assert service.reassign(NO, DISPATCHER, "grid-1")["assignee"] is None

    service.assign(NO, DISPATCHER, "second-grid-1")
    assert service.return_ticket(NO, actor("unit_staff", "grid-1"), "非本单位")[
        "assignee"] is None

    service.reassign(NO, DISPATCHER, "kaichen")
    service.accept(NO, KAICHEN)
    service.assign(NO, KAICHEN, "unit_staff-kaichen")
    service.resolve(NO, KAICHEN, "扶手已安装")
    service.on_callback_completed(callback_event(NO, "unsatisfied"))
    reopened = service.get_status(NO, KAICHEN)
    assert reopened["state"] == "dispatched"
    assert reopened["assignee"]["username"] == "unit_staff-kaichen"


def test_an_assignment_delivered_twice_is_said_once(
        service: DispatchService, store: TicketStateStore) -> None:
    create(service)
    service.request_id = "req-assign-1"
    first = service.assign(NO, KAICHEN, "second-kaichen")
    again = service.assign(NO, KAICHEN, "second-kaichen")
    assert again == first
    assert len(said(service, "ticket_assigned")) == 1
    assert store.get(NO)["version"] == first["version"]


def test_the_queue_shows_who_answers_for_each_ticket(service: DispatchService) -> None:
    create(service)
    service.assign(NO, KAICHEN, "second-kaichen")
    [row] = service.queue("kaichen", KAICHEN)
    assert row["assignee"]["username"] == "second-kaichen"
    assert row["assignee"]["name"] == "张伟"


def test_the_rule_as_a_plain_function() -> None:
    """lifecycle.assign with a stand-in for accounts: no broker, no database."""
    from dispatch_support import created_event

    from services.dispatch.directory import Route
    deadlines = {"accept_by": START + dt.timedelta(hours=2),
                 "contact_by": START + dt.timedelta(hours=24),
                 "resolve_by": START + dt.timedelta(hours=120)}
    state = lifecycle.created(created_event()["data"], Route("kaichen", None, True), "凯晨物业",
                              deadlines, START)  # type: ignore[arg-type]
    asked: list[str] = []

    def colleagues_of(unit_id: str) -> list[dict]:
        asked.append(unit_id)
        return [{"username": "wangfang", "name": "王芳"}]

    change = lifecycle.assign(state, KAICHEN, "WangFang", colleagues_of, START)
    assert change.fields["assignee"]["username"] == "wangfang"
    assert [event["event_type"] for event in change.events] == ["ticket_assigned"]
    assert asked == ["kaichen"]
    with pytest.raises(InvalidRequest) as refused:
        lifecycle.assign(state, KAICHEN, "lisi", colleagues_of, START)
    assert refused.value.errors == {"username": [lifecycle.NOT_A_COLLEAGUE]}
