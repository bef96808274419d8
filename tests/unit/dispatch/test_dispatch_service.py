"""The dispatch service through its entrypoints: worker_factory, a real store on mongomock,
``service.publisher`` a mock whose calls are the published events."""
from unittest.mock import Mock

import pytest
from dispatch_support import (
    ADMIN,
    DISPATCHER,
    GRID,
    KAICHEN,
    KAILU,
    NO,
    START,
    actor,
    assert_refused,
    callback_event,
    create,
    created_event,
    deadlines_from,
    published,
    published_types,
    staff,
)

from services.dispatch import lifecycle
from services.dispatch.service import DirectoryStorage
from services.dispatch.store import TicketStateStore
from services.shared import outbox
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.leases import LeasedTimer
from services.shared.schemas import SYSTEM_ACTOR


def resolved(service, now, ticket_no=NO) -> dict:
    create(service, ticket_no)
    service.accept(ticket_no, KAICHEN)
    service.record_contact(ticket_no, KAICHEN, "已电话联系王阿姨")
    now.advance(hours=3)
    service.resolve(ticket_no, KAICHEN, "凯晨物业上门打孔安装扶手并加防滑胶")
    service.publisher.reset_mock()
    return service.get_status(ticket_no, ADMIN)


# A new ticket
def test_a_routed_ticket_is_dispatched_to_its_unit_with_deadlines(service, store):
    status = create(service)

    assert (status["state"], status["unit_id"], status["unit_name"]) == (
        "dispatched", "kaichen", "凯晨物业")
    assert status["route"] == "杨浦区/殷行街道/开鲁新村/开鲁新村"
    assert status["deadlines"] == deadlines_from(START)
    assert status["caller"]["phone"] == "138****5678"  # the admin is not on the ticket
    assert service.get_status(NO, KAICHEN)["caller"]["phone"] == "+8613812345678"
    [(event_type, event)] = published(service)
    assert event_type == "ticket_dispatched"
    assert event["ticket_no"] == NO and event["actor"] == SYSTEM_ACTOR
    assert event["data"]["unit_id"] == "kaichen" and event["data"]["routed"] is True
    assert event["data"]["reason"] == "routed"
    assert event["data"]["deadlines"] == deadlines_from(START)
    assert store.get(NO)["outbox"] == []


def test_an_unroutable_ticket_waits_at_the_centre(service):
    status = create(service, address={"district": "徐汇区", "subdistrict": "天平路街道"})

    assert (status["state"], status["unit_id"], status["unit_name"], status["routed"]) == (
        "pending", "centre", "12345派单中心", False)
    [(_, event)] = published(service)
    assert event["data"]["routed"] is False and event["data"]["route"] is None
    assert [t["ticket_no"] for t in service.queue("centre", DISPATCHER)] == [NO]


def test_an_answered_consultation_is_closed_at_once(service):
    status = create(service, kind="consult", category="veteran_services", status="answered",
                    answer="优待证请到街道退役军人服务站办理")

    assert (status["state"], status["outcome"], status["unit_id"]) == ("closed", "answered", None)
    [(event_type, event)] = published(service)
    assert event_type == "ticket_closed"
    assert event["data"]["outcome"] == "answered" and event["data"]["unit_id"] is None
    assert service.queue("centre", DISPATCHER) == []


def test_urgent_tickets_get_urgent_deadlines(service):
    status = create(service, urgency="urgent", priority="high")
    assert status["deadlines"] == deadlines_from(START, 0.5, 2, 24)


def test_a_redelivered_ticket_created_changes_nothing(service, store, now):
    event = created_event(NO)
    service.on_ticket_created(event)
    service.accept(NO, KAICHEN)
    before = store.get(NO)
    service.publisher.reset_mock()

    now.advance(hours=1)
    service.on_ticket_created(event)
    service.on_ticket_created(created_event(NO))  # the same ticket under a new event id

    assert store.get(NO) == before
    assert published(service) == []


def test_each_event_carries_the_version_its_change_brought_the_ticket_to(service, now):
    create(service)
    service.accept(NO, KAICHEN)
    now.advance(hours=-1)  # a clock stepped back: the version still says which came later
    service.record_contact(NO, KAICHEN, "已电联市民")

    assert [(event_type, event["ticket_version"]) for event_type, event in published(service)] \
        == [("ticket_dispatched", 1), ("ticket_accepted", 2), ("ticket_contacted", 3)]
    assert service.get_status(NO, ADMIN)["version"] == 3


def test_fields_a_newer_intake_adds_do_not_stop_dispatch(service):
    event = created_event(NO)
    event["data"]["language"] = "zh-Hans"
    service.on_ticket_created(event)
    assert service.get_status(NO, ADMIN)["state"] == "dispatched"


def test_a_ticket_created_event_that_does_not_fit_is_dropped(service, store):
    event = created_event(NO)
    del event["data"]["caller"]
    service.on_ticket_created(event)
    assert store.get(NO) is None and published(service) == []


# Steps a unit takes
def test_a_unit_signs_contacts_and_resolves(service, now):
    create(service)
    now.advance(minutes=30)
    accepted = service.accept(NO, KAICHEN)
    contacted = service.record_contact(NO, KAICHEN, "已电话联系王阿姨")
    again = service.record_contact(NO, KAICHEN)
    resolved = service.resolve(NO, KAICHEN, "上门打孔安装扶手")

    assert [accepted["state"], contacted["state"], again["state"], resolved["state"]] == [
        "accepted", "contacted", "contacted", "resolved"]
    assert resolved["met"] == ["accept", "contact", "resolve"]
    assert resolved["resolution"] == "上门打孔安装扶手"
    assert published_types(service) == ["ticket_dispatched", "ticket_accepted", "ticket_contacted",
                                        "ticket_contacted", "ticket_resolved"]
    _, resolved_event = published(service)[-1]
    assert resolved_event["actor"] == KAICHEN
    assert resolved_event["data"]["caller"]["phone"] == "+8613812345678"  # whom the callback phones
    assert published(service)[2][1]["data"]["note"] == "已电话联系王阿姨"


def test_a_unit_may_resolve_straight_after_signing(service):
    create(service)
    service.accept(NO, KAICHEN)
    assert service.resolve(NO, KAICHEN, "已修好")["state"] == "resolved"


def test_an_admin_may_act_for_a_unit(service):
    create(service)
    assert service.accept(NO, ADMIN)["state"] == "accepted"


@pytest.mark.parametrize("steps", [[], ["accept"], ["accept", "record_contact"]])
def test_a_unit_returns_a_misrouted_ticket_to_the_centre(service, steps):
    create(service)
    for step in steps:
        getattr(service, step)(NO, KAICHEN)
    service.publisher.reset_mock()

    status = service.return_ticket(NO, KAICHEN, "非物业管辖范围")

    assert (status["state"], status["unit_id"], status["last_note"]) == (
        "pending", "centre", "非物业管辖范围")
    [(event_type, event)] = published(service)
    assert event_type == "ticket_returned"
    assert event["data"] == {"unit_id": "kaichen", "reason": "非物业管辖范围"}
    assert [t["ticket_no"] for t in service.queue("centre", DISPATCHER)] == [NO]
    assert service.queue("kaichen", KAICHEN) == []
    with pytest.raises(NotPermitted):  # no longer theirs
        service.accept(NO, KAICHEN)


# Steps the centre takes
def test_the_centre_reassigns_a_pending_ticket_with_fresh_deadlines(service, now):
    create(service, address={"district": "徐汇区"})
    service.publisher.reset_mock()
    later = now.advance(hours=5)

    status = service.reassign(NO, DISPATCHER, "grid-1", "徐汇区临时由殷行协助")

    assert (status["state"], status["unit_id"], status["unit_name"]) == (
        "dispatched", "grid-1", "殷行街道第一网格工作站")
    assert status["deadlines"] == deadlines_from(later)
    [(event_type, event)] = published(service)
    assert event_type == "ticket_dispatched"
    assert event["actor"] == DISPATCHER
    assert event["data"]["reason"] == "reassigned"
    assert event["data"]["previous_unit_id"] == "centre"
    assert event["data"]["deadlines"] == deadlines_from(later)
    assert service.accept(NO, GRID)["state"] == "accepted"


def test_the_centre_may_take_a_ticket_from_one_unit_to_another(service):
    create(service)
    service.accept(NO, KAICHEN)
    status = service.reassign(NO, actor("supervisor"), "grid-1")
    assert (status["state"], status["unit_id"], status["met"]) == ("dispatched", "grid-1", [])


# Refusals: nothing changes, nothing is said
def closed(service, store, now):
    resolved(service, now)
    service.on_callback_completed(callback_event(NO, "satisfied"))


REFUSALS = [
    ("resolve before accept", None, lambda s: s.resolve(NO, KAICHEN, "已修好"), IllegalTransition),
    ("contact before accept", None, lambda s: s.record_contact(NO, KAICHEN), IllegalTransition),
    ("accept twice", "accept", lambda s: s.accept(NO, KAICHEN), IllegalTransition),
    ("another unit's ticket", None, lambda s: s.accept(NO, GRID), NotPermitted),
    ("staff of no unit", None, lambda s: s.accept(NO, actor("unit_staff")), NotPermitted),
    ("a dispatcher signing for a unit", None, lambda s: s.accept(NO, DISPATCHER), NotPermitted),
    ("a closed ticket", "close", lambda s: s.accept(NO, KAICHEN), IllegalTransition),
    ("return a closed ticket", "close", lambda s: s.return_ticket(NO, KAICHEN, "x"),
     IllegalTransition),
    ("reassign a closed ticket", "close", lambda s: s.reassign(NO, DISPATCHER, "grid-1"),
     IllegalTransition),
    ("return without reason", None, lambda s: s.return_ticket(NO, KAICHEN, ""), InvalidRequest),
    ("return with a blank reason", None, lambda s: s.return_ticket(NO, KAICHEN, "   "),
     InvalidRequest),
    ("return with no reason at all", None, lambda s: s.return_ticket(NO, KAICHEN, None),
     InvalidRequest),
    ("resolve without saying what", "accept", lambda s: s.resolve(NO, KAICHEN, ""), InvalidRequest),
    ("reassign by unit staff", None, lambda s: s.reassign(NO, KAICHEN, "grid-1"), NotPermitted),
    ("reassign by an agent", None, lambda s: s.reassign(NO, actor("agent"), "grid-1"),
     NotPermitted),
    ("reassign to no such unit", None, lambda s: s.reassign(NO, DISPATCHER, "nobody"), NotFound),
    ("reassign to the centre", None, lambda s: s.reassign(NO, DISPATCHER, "centre"),
     InvalidRequest),
    ("reassign a resolved ticket", "resolve", lambda s: s.reassign(NO, DISPATCHER, "grid-1"),
     IllegalTransition),
    # a unit cannot tell a number nobody used from another unit's ticket; an admin can
    ("no such ticket", None, lambda s: s.accept("YP20000101-9999", KAICHEN), NotPermitted),
    ("no such ticket, an admin", None, lambda s: s.accept("YP20000101-9999", ADMIN), NotFound),
    ("no actor", None, lambda s: s.accept(NO, None), InvalidRequest),
    ("a made-up role", None, lambda s: s.accept(NO, {**KAICHEN, "role": "boss"}), InvalidRequest),
    ("a ticket number that is not one", None, lambda s: s.accept(42, KAICHEN), InvalidRequest),
]


@pytest.mark.parametrize("name, before, step, error", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_step_changes_nothing_and_says_nothing(service, store, now, name, before, step,
                                                         error):
    if before == "close":
        closed(service, store, now)
    elif before == "resolve":
        resolved(service, now)
    else:
        create(service)
        if before:
            getattr(service, before)(NO, KAICHEN)
    assert_refused(service, store, step, error)


def test_of_two_concurrent_steps_one_wins(service, store):
    """Two staff sign at once: both read 'dispatched', one write lands, the other is
    decided again on what the first left and refused."""
    create(service)
    read = store.get

    def read_then_lose_the_race(ticket_no):
        state = read(ticket_no)
        store.get = read  # only the first read is overtaken
        store.apply(state, lifecycle.accept(state, staff("kaichen"), START))
        return state

    store.get = read_then_lose_the_race
    with pytest.raises(IllegalTransition):
        service.accept(NO, KAICHEN)

    assert store.get(NO)["state"] == "accepted" and store.get(NO)["version"] == 2
    assert len(store.get(NO)["outbox"]) == 1  # the winner's ticket_accepted, for the sweep


# Deadlines
def test_a_missed_deadline_is_reported_once(service, store, now):
    create(service)
    service.publisher.reset_mock()

    now.advance(hours=1)
    service.check_deadlines()
    assert published(service) == []

    now.advance(hours=1, seconds=1)
    service.check_deadlines()
    service.check_deadlines()
    [(event_type, event)] = published(service)
    assert event_type == "ticket_overdue"
    assert event["data"] == {"unit_id": "kaichen", "deadline": "accept",
                             "due_at": deadlines_from(START)["accept_by"]}
    assert event["actor"] == SYSTEM_ACTOR
    assert service.get_status(NO, ADMIN)["overdue"] == [
        {"deadline": "accept", "due_at": deadlines_from(START)["accept_by"]}]


def test_met_deadlines_are_never_reported(service, now):
    create(service)
    now.advance(hours=1)
    service.accept(NO, KAICHEN)
    service.record_contact(NO, KAICHEN)
    now.advance(hours=100)
    service.resolve(NO, KAICHEN, "已修好")
    service.publisher.reset_mock()

    now.advance(hours=500)
    service.check_deadlines()
    assert published(service) == []


def test_each_missed_deadline_is_reported_once_per_dispatch(service, now):
    create(service)
    now.advance(hours=25)
    service.check_deadlines()
    assert [e["data"]["deadline"] for _, e in published(service)[1:]] == ["accept", "contact"]

    service.reassign(NO, DISPATCHER, "grid-1")  # fresh deadlines, nothing missed yet
    assert service.get_status(NO, ADMIN)["overdue"] == []
    service.publisher.reset_mock()
    service.check_deadlines()
    assert published(service) == []

    now.advance(hours=2, seconds=1)
    service.check_deadlines()
    [(_, event)] = published(service)
    assert (event["data"]["deadline"], event["data"]["unit_id"]) == ("accept", "grid-1")


def test_the_deadline_check_interval_comes_from_config():
    timer = LeasedTimer(interval=10, setting="OVERDUE_CHECK_SECONDS")
    timer.container = Mock(config={"OVERDUE_CHECK_SECONDS": 0.5})
    timer.setup()
    assert timer.interval == 0.5
    timer.container = Mock(config={})
    timer.setup()
    assert timer.interval == 10


# The callback's result
@pytest.mark.parametrize("outcome", ["satisfied", "basically_satisfied"])
def test_a_satisfied_callback_closes_the_ticket(service, now, outcome):
    resolved(service, now)
    service.on_callback_completed(callback_event(NO, outcome, note="老人表示满意"))

    status = service.get_status(NO, ADMIN)
    assert (status["state"], status["outcome"]) == ("closed", outcome)
    [(event_type, event)] = published(service)
    assert event_type == "ticket_closed"
    assert event["data"] == {"unit_id": "kaichen", "outcome": outcome, "note": "老人表示满意"}
    assert service.queue("kaichen", KAICHEN) == []


def test_an_unsatisfied_callback_reopens_the_ticket_to_the_same_unit(service, now):
    resolved(service, now)
    later = now.advance(hours=2)
    service.on_callback_completed(callback_event(NO, "unsatisfied", note="扶手仍有松动"))

    status = service.get_status(NO, ADMIN)
    assert (status["state"], status["unit_id"], status["reopen_count"]) == (
        "dispatched", "kaichen", 1)
    assert status["deadlines"] == deadlines_from(later)
    assert status["met"] == [] and status["resolution"] is None
    [(event_type, event)] = published(service)
    assert event_type == "ticket_reopened"
    assert event["data"] == {"unit_id": "kaichen", "reopen_count": 1, "note": "扶手仍有松动",
                             "deadlines": deadlines_from(later)}
    assert service.accept(NO, KAICHEN)["state"] == "accepted"


@pytest.mark.parametrize("outcome", ["satisfied", "unsatisfied"])
def test_the_callbacks_note_is_kept_apart_from_the_units_note(service, now, outcome):
    """The dialer's note ("scripted: default") never replaces what the unit noted."""
    resolved(service, now)
    service.on_callback_completed(callback_event(NO, outcome, note="scripted: default"))

    status = service.get_status(NO, ADMIN)
    assert status["last_note"] == "已电话联系王阿姨"
    assert status["callback_note"] == "scripted: default"


def test_a_caller_unreachable_after_the_last_try_closes_the_ticket(service, now):
    resolved(service, now)
    service.on_callback_completed(callback_event(NO, "unreachable", final=False, attempt=1))
    assert service.get_status(NO, ADMIN)["state"] == "resolved"
    assert published(service) == []

    service.on_callback_completed(callback_event(NO, "unreachable", final=True, attempt=3))
    status = service.get_status(NO, ADMIN)
    assert (status["state"], status["outcome"]) == ("closed", "unreachable")
    assert published_types(service) == ["ticket_closed"]


def test_a_redelivered_callback_changes_nothing(service, store, now):
    resolved(service, now)
    unsatisfied = callback_event(NO, "unsatisfied")
    service.on_callback_completed(unsatisfied)
    # the unit handles it again and resolves it again
    service.accept(NO, KAICHEN)
    service.resolve(NO, KAICHEN, "更换扶手螺栓")
    state = store.get(NO)
    service.publisher.reset_mock()

    service.on_callback_completed(unsatisfied)  # the old result, delivered again

    assert store.get(NO) == state
    assert published(service) == []


def test_a_callback_for_a_ticket_not_waiting_for_one_changes_nothing(service, store):
    create(service)
    state = store.get(NO)
    service.publisher.reset_mock()
    service.on_callback_completed(callback_event(NO, "satisfied"))
    service.on_callback_completed(callback_event("YP20000101-9999", "satisfied"))
    assert store.get(NO) == state and published(service) == []


# Reading
def test_the_queue_puts_high_priority_first_then_the_nearest_deadline(service, now):
    create(service, "YP-1")                                          # resolve in 120 h
    now.advance(minutes=10)
    create(service, "YP-2", category="elevator",
           address={"district": "杨浦区", "subdistrict": "殷行街道"})  # another unit
    create(service, "YP-3", urgency="urgent", priority="high")
    now.advance(minutes=10)
    create(service, "YP-4", priority="high", priority_reasons=["welfare_check"])
    create(service, "YP-5")
    service.accept("YP-1", KAICHEN)  # accept met: its nearest deadline is now contact

    queue = service.queue("kaichen", KAICHEN)

    assert [t["ticket_no"] for t in queue] == ["YP-3", "YP-4", "YP-5", "YP-1"]
    assert [t["ticket_no"] for t in service.queue("kaichen", ADMIN, ["accepted"])] == ["YP-1"]
    assert [t["ticket_no"] for t in service.queue("grid-1", DISPATCHER)] == ["YP-2"]


def test_unit_staff_read_only_their_own_queue(service):
    with pytest.raises(NotPermitted):
        service.queue("grid-1", KAICHEN)
    with pytest.raises(NotFound):
        service.queue("nobody", DISPATCHER)
    with pytest.raises(InvalidRequest):
        service.queue("kaichen", KAICHEN, ["lost"])


def test_the_callers_phone_and_room_are_for_the_unit_handling_it(service):
    create(service)
    seen = service.get_status(NO, DISPATCHER)
    assert seen["caller"]["phone"] == "138****5678"
    assert seen["address"]["room"] == "***" and seen["address"]["building"] == "12号"
    assert service.get_status(NO, KAICHEN)["caller"]["phone"] == "+8613812345678"
    with pytest.raises(NotPermitted):  # another unit reads nothing of it
        service.get_status(NO, GRID)


def test_a_unit_cannot_tell_another_units_ticket_from_a_number_nobody_used(service):
    create(service)
    with pytest.raises(NotPermitted) as theirs:
        service.get_status(NO, GRID)
    with pytest.raises(NotPermitted) as nobodys:
        service.get_status("YP20000101-9999", GRID)
    assert str(theirs.value).replace(NO, "#") == str(nobodys.value).replace(
        "YP20000101-9999", "#")


def test_the_centre_of_one_district_does_not_read_anothers_tickets(service):
    create(service)  # 杨浦区
    assert service.get_status(NO, actor("dispatcher", "centre", district="杨浦区"))
    with pytest.raises(NotPermitted):
        service.get_status(NO, actor("dispatcher", "centre", district="未央区"))
    with pytest.raises(NotPermitted):  # nor learns which numbers exist there
        service.get_status("YP20000101-9999", actor("dispatcher", "centre", district="未央区"))


def test_a_districts_centre_reads_its_own_part_of_the_centres_queue(service):
    create(service, "YP-1", address={"district": "未央区", "subdistrict": "谭家街道"})
    create(service, "YP-2", address={"district": "普陀区", "subdistrict": "桃浦镇"})
    waiting = {row["ticket_no"] for row in service.queue("centre", DISPATCHER)}
    assert {"YP-1", "YP-2"} <= waiting  # the city's centre: every district's
    weiyang = actor("dispatcher", "centre", district="未央区")
    assert {row["ticket_no"] for row in service.queue("centre", weiyang)} == {"YP-1"}


ZHOU = {"id": "agent-zhou", "name": "话务员小周", "role": "agent", "unit_id": None}
LI = {"id": "agent-li", "name": "话务员小李", "role": "agent", "unit_id": None}


@pytest.mark.parametrize("viewer, in_full", [
    (ZHOU, True),  # took the call (the event's actor)
    (LI, False),   # another agent
    (DISPATCHER, False), (actor("supervisor"), False), (ADMIN, False),
])
def test_only_the_agent_who_took_the_call_and_the_unit_see_the_caller(service, viewer, in_full):
    event = created_event()
    event["actor"] = ZHOU
    service.on_ticket_created(event)

    seen = service.get_status(NO, viewer)
    assert (seen["caller"]["phone"] == "+8613812345678") is in_full
    assert (seen["address"]["room"] != "***") is in_full


def test_get_status_of_an_unknown_ticket(service):
    with pytest.raises(NotFound):
        service.get_status("YP20000101-9999", ADMIN)


# The directory
def test_route_is_a_dry_run(service, store):
    assert service.route(KAILU, "home_repair", GRID) == {
        "unit_id": "kaichen", "unit_name": "凯晨物业", "routed": True,
        "route": "杨浦区/殷行街道/开鲁新村/开鲁新村"}
    assert service.route({"district": "徐汇区"}, "parking", GRID)["routed"] is False
    assert store.tickets.count_documents({}) == 0
    with pytest.raises(InvalidRequest):
        service.route({"subdistrict": "殷行街道"}, "ufo", GRID)


def test_rule_edits_change_where_new_tickets_go(service):
    guohe = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区"}
    assert service.route(guohe, "parking", GRID)["routed"] is False

    rule = {"category": "parking", "place": "杨浦区/殷行街道/国和居民区", "unit_id": "grid-1"}
    assert service.put_rule(rule, DISPATCHER) == rule
    assert service.route(guohe, "parking", GRID)["unit_id"] == "grid-1"

    service.put_unit({"id": "guohe-committee", "name": "国和居委会",
                      "kind": "neighbourhood_committee",
                      "place": "杨浦区/殷行街道/国和居民区"}, ADMIN)
    service.put_rule({**rule, "unit_id": "guohe-committee"}, ADMIN)  # replaces, not adds
    assert service.route(guohe, "parking", GRID)["unit_name"] == "国和居委会"

    assert service.remove_rule(rule, ADMIN) == {"category": "parking",
                                                "place": "杨浦区/殷行街道/国和居民区"}
    assert service.route(guohe, "parking", GRID)["routed"] is False
    with pytest.raises(NotFound):
        service.remove_rule(rule, ADMIN)


@pytest.mark.parametrize("call, error", [
    (lambda s: s.put_rule({"category": "parking", "place": "杨浦区", "unit_id": "nobody"},
                          DISPATCHER), NotFound),
    (lambda s: s.put_rule({"category": "parking", "place": "浦东新区", "unit_id": "grid-1"},
                          DISPATCHER), NotFound),
    (lambda s: s.put_rule({"category": "parking", "place": "杨浦区", "unit_id": "centre"},
                          DISPATCHER), InvalidRequest),
    (lambda s: s.put_rule({"category": "parking", "place": "杨浦区", "unit_id": "grid-1"},
                          GRID), NotPermitted),
    (lambda s: s.put_unit({"id": "east", "name": "东区中心", "kind": "centre"}, ADMIN),
     InvalidRequest),
    (lambda s: s.put_unit({"id": "centre", "name": "中心", "kind": "department",
                           "place": "杨浦区"}, ADMIN), InvalidRequest),
    (lambda s: s.put_unit({"id": "x", "name": "无处", "kind": "department"}, ADMIN),
     InvalidRequest),
    (lambda s: s.put_unit({"id": "x", "name": "无处", "kind": "department", "place": "火星"},
                          ADMIN), NotFound),
    (lambda s: s.load_directory({"units": []}, ADMIN), InvalidRequest),
    (lambda s: s.load_directory({"units": [], "places": [], "rules": []}, ADMIN), InvalidRequest),
    (lambda s: s.load_directory(s.get_directory(ADMIN), GRID), NotPermitted),
])
def test_a_refused_directory_edit_changes_nothing(service, store, call, error):
    before = service.get_directory(ADMIN)
    with pytest.raises(error):
        call(service)
    assert service.get_directory(ADMIN) == before


def test_the_directory_round_trips_and_can_be_replaced(service):
    directory = service.get_directory(DISPATCHER)
    assert service.load_directory(directory, DISPATCHER) == directory

    smaller = {"units": [{"id": "centre", "name": "派单中心", "kind": "centre"}],
               "places": [{"name": "杨浦区"}], "rules": []}
    assert service.load_directory(smaller, ADMIN)["units"] == [
        {"id": "centre", "name": "派单中心", "kind": "centre", "place": None}]
    assert service.route(KAILU, "home_repair", ADMIN) == {
        "unit_id": "centre", "unit_name": "派单中心", "routed": False, "route": None}


def test_the_directory_file_is_loaded_only_into_an_empty_directory(storage_config):
    def started():
        provider = DirectoryStorage(TicketStateStore)
        provider.container = Mock(service_name="dispatch", config={
            **storage_config, "DIRECTORY_FILE": "deploy/directory.yml"})
        provider.setup()
        return provider.store

    store = started()
    assert store.unit("yinhang-grid-1")["name"] == "殷行街道第一网格工作站"
    store.put_unit({"id": "yinhang-grid-1", "name": "殷行街道第一网格工作站(新)",
                    "kind": "grid_workstation", "place": "杨浦区/殷行街道"})

    assert started().unit("yinhang-grid-1")["name"] == "殷行街道第一网格工作站(新)"


# The outbox
def test_a_broker_outage_keeps_the_step_and_its_event_for_the_sweep(service, store):
    create(service)
    service.publisher.side_effect = ConnectionError("broker away")
    assert service.accept(NO, KAICHEN)["state"] == "accepted"
    assert [e["event_type"] for e in store.get(NO)["outbox"]] == ["ticket_accepted"]

    service.publisher.side_effect = None
    service.publisher.reset_mock()
    outbox.publish_pending(store.tickets, service.publisher)
    assert published_types(service) == ["ticket_accepted"]
    assert store.get(NO)["outbox"] == []


def test_a_units_queue_shows_each_ticket_as_it_is_now(service, store):
    # The queue keeps tickets and their views in memory by version: every step shows.
    create(service)
    [ticket] = service.queue("kaichen", KAICHEN)
    assert ticket["state"] == "dispatched"
    service.accept(NO, KAICHEN)
    [ticket] = service.queue("kaichen", KAICHEN)
    status = service.get_status(NO, KAICHEN)
    # a queue row is what a list shows of the ticket's view, and the unit's role
    assert ticket["state"] == "accepted"
    assert ticket == {**{name: status[name] for name in ticket if name != "role"},
                      "role": "lead"}
    assert {"ticket_no", "deadlines", "assignee", "version"} <= set(ticket)
    assert not {"caller", "actions", "notes", "extensions"} & set(ticket)
    service.reassign(NO, DISPATCHER, "grid-1")
    assert service.queue("kaichen", KAICHEN) == []
    assert [t["ticket_no"] for t in service.queue("grid-1", GRID)] == [NO]
