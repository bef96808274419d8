"""Supervision through the service's entrypoints: warnings, the supervisors' list, urges,
extensions (延期), pauses (挂起), whether each step was on time, and repeat calls."""
import datetime as dt
from unittest.mock import Mock

import pytest
from dispatch_support import (
    ADMIN,
    DISPATCHER,
    GRID,
    HOUR,
    KAICHEN,
    NO,
    POLICY,
    START,
    SUPERVISOR,
    actor,
    assert_refused,
    create,
    iso,
    published,
    published_types,
)
from nameko.testing.services import worker_factory

from services.dispatch.policy import Policy
from services.dispatch.service import DeadlinePolicy, DispatchService
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.events import new_event
from services.shared.schemas import SYSTEM_ACTOR

MINUTE = dt.timedelta(minutes=1)


def events_of(service, event_type: str) -> list[dict]:
    return [event for kind, event in published(service) if kind == event_type]


def accepted(service, ticket_no=NO, **changes) -> dict:
    create(service, ticket_no, **changes)
    service.accept(ticket_no, KAICHEN)
    service.publisher.reset_mock()
    return service.get_status(ticket_no, ADMIN)


def paused(service, now, resume_on=None) -> dict:
    accepted(service)
    service.request_pause(NO, KAICHEN, "等待业主购买扶手配件", resume_on)
    service.decide_pause(NO, SUPERVISOR, True)
    service.publisher.reset_mock()
    return service.get_status(NO, ADMIN)


# Warnings
def test_a_near_deadline_is_warned_of_once_then_reported_when_missed(service, now):
    create(service)
    service.publisher.reset_mock()

    now.advance(minutes=95)
    service.check_deadlines()
    assert published(service) == []

    now.advance(minutes=2)  # 97 of the 120 minutes to sign for it
    service.check_deadlines()
    service.check_deadlines()
    [(event_type, event)] = published(service)
    assert event_type == "ticket_warning"
    assert event["data"] == {"unit_id": "kaichen", "deadline": "accept",
                             "due_at": iso(START + 2 * HOUR), "share": 0.8}
    assert service.get_status(NO, KAICHEN)["warned"] == [
        {"deadline": "accept", "due_at": iso(START + 2 * HOUR)}]

    now.advance(minutes=24)
    service.check_deadlines()
    assert published_types(service) == ["ticket_warning", "ticket_overdue"]


def test_a_met_deadline_is_not_warned_of(service, now):
    create(service)
    now.advance(minutes=30)
    service.accept(NO, KAICHEN)
    service.publisher.reset_mock()
    now.advance(minutes=80)
    service.check_deadlines()
    assert published(service) == []


def test_the_policy_settings_come_from_config(tmp_path):
    policy = tmp_path / "policy.yml"
    policy.write_text("rules:\n  - deadlines: {accept: {hours: 1}, contact: {working_days: 1},"
                      " resolve: {working_days: 2}}\n")
    provider = DeadlinePolicy()
    provider.container = Mock(config={"POLICY_FILE": str(policy), "WARN_SHARE": 0.5,
                                      "WORKDAY_START": "08:30"})
    provider.setup()
    assert provider.policy.warn_share == 0.5
    # dispatched on Saturday 2025-10-04 (a holiday): counted from Thursday 9th at 08:30
    holiday = dt.datetime(2025, 10, 4, 4, 0, tzinfo=dt.UTC)
    deadlines = provider.policy.deadlines_for(
        {"category": "other", "kind": "help", "urgency": "normal"}, holiday)
    assert iso(deadlines["contact_by"]) == "2025-10-10T00:30:00.000Z"


def test_deadlines_follow_the_tickets_kind(store, now):
    by_kind = {"rules": [*POLICY["rules"],
                         {"kind": "consult", "deadlines": {"resolve": {"hours": 48}}}]}
    service = worker_factory(DispatchService, store=store, policy=Policy(by_kind),
                             request_id=None)
    status = create(service, kind="consult")
    assert status["deadlines"]["resolve_by"] == iso(START + 48 * HOUR)
    service.return_ticket(NO, KAICHEN, "非物业管辖范围")
    later = now.advance(hours=1)
    reassigned = service.reassign(NO, DISPATCHER, "grid-1")
    assert reassigned["deadlines"]["resolve_by"] == iso(later + 48 * HOUR)


# The supervisors' list
def test_the_supervision_list_says_who_owes_what(service, now):
    create(service, "YP-LATE")                                           # accept due at 2 h
    create(service, "YP-NEAR", category="elevator", priority="high",
           address={"district": "杨浦区", "subdistrict": "殷行街道"})       # grid-1's
    now.advance(minutes=90)
    service.accept("YP-NEAR", GRID)                                      # contact due at 24 h
    create(service, "YP-ASKS")
    service.accept("YP-ASKS", KAICHEN)
    service.request_extension("YP-ASKS", KAICHEN, iso(START + 200 * HOUR), "需要采购配件")
    create(service, "YP-WAITS")
    service.accept("YP-WAITS", KAICHEN)
    service.request_pause("YP-WAITS", KAICHEN, "业主外出, 下周回来")
    now.advance(hours=20)  # 21.5 h after the first: YP-NEAR's contact is near

    report = service.supervision(SUPERVISOR)

    [late] = [item for item in report["overdue"] if item["ticket_no"] == "YP-LATE"]
    assert late == {"ticket_no": "YP-LATE", "unit_id": "kaichen", "unit_name": "凯晨物业",
                    "deadline": "accept", "due_at": iso(START + 2 * HOUR),
                    "priority": "normal", "category": "home_repair", "hours_late": 19.5}
    near = report["warning"][0]  # high priority first
    assert {item["ticket_no"] for item in report["warning"][1:]} == {"YP-LATE", "YP-ASKS",
                                                                  "YP-WAITS"}
    assert (near["ticket_no"], near["unit_name"], near["deadline"], near["hours_left"]) == (
        "YP-NEAR", "殷行街道第一网格工作站", "contact", 2.5)
    [extension] = report["extensions"]
    assert (extension["ticket_no"], extension["deadline"], extension["until"],
            extension["reason"], extension["requested_by"]["id"]) == (
        "YP-ASKS", "resolve", iso(START + 200 * HOUR), "需要采购配件", KAICHEN["id"])
    [pause] = report["pauses"]
    assert (pause["ticket_no"], pause["reason"], pause["resume_on"]) == (
        "YP-WAITS", "业主外出, 下周回来", None)
    assert service.supervision(DISPATCHER) == service.supervision(ADMIN) == report


@pytest.mark.parametrize("who", [KAICHEN, actor("agent")])
def test_only_the_centre_reads_the_supervision_list(service, who):
    with pytest.raises(NotPermitted):
        service.supervision(who)


# Urging
def test_a_supervisor_urges_the_unit_and_the_unit_sees_it(service, now):
    accepted(service)
    now.advance(hours=25)

    status = service.urge(NO, SUPERVISOR, "请今天内联系王阿姨")

    [event] = events_of(service, "ticket_urged")
    assert event["actor"] == SUPERVISOR
    assert event["data"] == {"unit_id": "kaichen", "note": "请今天内联系王阿姨",
                             "deadline": "contact"}
    [urge] = service.get_status(NO, KAICHEN)["urges"]
    assert (urge["note"], urge["deadline"], urge["unit_id"], urge["by"]["name"]) == (
        "请今天内联系王阿姨", "contact", "kaichen", "督办员")
    assert status["urges"] == [urge]


@pytest.mark.parametrize("who, note, error", [
    (DISPATCHER, "快", NotPermitted),
    (KAICHEN, "快", NotPermitted),
    (SUPERVISOR, "  ", InvalidRequest),
])
def test_only_a_supervisor_urges_and_says_what_for(service, who, note, error):
    create(service)
    with pytest.raises(error):
        service.urge(NO, who, note)


# Extensions
def test_an_approved_extension_moves_the_deadline_and_it_is_watched_afresh(service, store, now):
    accepted(service)
    service.record_contact(NO, KAICHEN)
    now.advance(hours=121)
    service.check_deadlines()
    assert [e["data"]["deadline"] for e in events_of(service, "ticket_overdue")] == ["resolve"]
    service.publisher.reset_mock()
    until = START + 170 * HOUR

    service.request_extension(NO, KAICHEN, iso(until), "外墙脱落需搭脚手架")
    status = service.decide_extension(NO, SUPERVISOR, True, "同意延期")

    assert status["deadlines"]["resolve_by"] == iso(until)
    assert status["overdue"] == [] and status["warned"] == []
    assert [e["status"] for e in status["extensions"]] == ["approved"]
    [requested] = events_of(service, "extension_requested")
    assert requested["data"] == {"unit_id": "kaichen", "deadline": "resolve",
                                 "due_at": iso(START + 120 * HOUR), "until": iso(until),
                                 "reason": "外墙脱落需搭脚手架"}
    [decided] = events_of(service, "extension_decided")
    assert decided["actor"] == SUPERVISOR
    assert decided["data"] == {"unit_id": "kaichen", "deadline": "resolve", "approved": True,
                               "due_at": iso(until), "until": iso(until), "note": "同意延期"}
    service.publisher.reset_mock()

    now.advance(hours=40)  # 161 h: 80% of the window to 170 h has passed
    service.check_deadlines()
    now.advance(hours=10)
    service.check_deadlines()
    service.check_deadlines()
    assert [(kind, e["data"]["due_at"]) for kind, e in published(service)] == [
        ("ticket_warning", iso(until)), ("ticket_overdue", iso(until))]


def test_a_refused_extension_moves_nothing(service):
    accepted(service)
    service.request_extension(NO, KAICHEN, iso(START + 30 * HOUR), "人手不足", "contact")
    status = service.decide_extension(NO, ADMIN, False, "请按时联系")
    assert status["deadlines"]["contact_by"] == iso(START + 24 * HOUR)
    [decided] = events_of(service, "extension_decided")
    assert (decided["data"]["approved"], decided["data"]["due_at"]) == (
        False, iso(START + 24 * HOUR))
    # refused, it no longer waits: the unit may ask again
    service.request_extension(NO, KAICHEN, iso(START + 40 * HOUR), "居民不在家", "contact")


EXTENSION_REFUSALS = [
    ("a second request while one waits", True,
     lambda s: s.request_extension(NO, KAICHEN, iso(START + 300 * HOUR), "再延"),
     IllegalTransition),
    ("a time not later than the deadline", False,
     lambda s: s.request_extension(NO, KAICHEN, iso(START + 120 * HOUR), "x"), InvalidRequest),
    ("a deadline already met", False,
     lambda s: s.request_extension(NO, KAICHEN, iso(START + 30 * HOUR), "x", "accept"),
     IllegalTransition),
    ("a deadline that is not one", False,
     lambda s: s.request_extension(NO, KAICHEN, iso(START + 300 * HOUR), "x", "fix"),
     InvalidRequest),
    ("no reason", False, lambda s: s.request_extension(NO, KAICHEN, iso(START + 300 * HOUR), ""),
     InvalidRequest),
    ("a time that is not one", False, lambda s: s.request_extension(NO, KAICHEN, "next week", "x"),
     InvalidRequest),
    ("another unit asking", False,
     lambda s: s.request_extension(NO, GRID, iso(START + 300 * HOUR), "x"), NotPermitted),
    ("a dispatcher deciding", True, lambda s: s.decide_extension(NO, DISPATCHER, True),
     NotPermitted),
    ("the unit deciding", True, lambda s: s.decide_extension(NO, KAICHEN, True), NotPermitted),
    ("a decision with none waiting", False, lambda s: s.decide_extension(NO, SUPERVISOR, True),
     IllegalTransition),
    ("a decision that is not yes or no", True,
     lambda s: s.decide_extension(NO, SUPERVISOR, "yes"), InvalidRequest),
    ("a pause before signing", "dispatched", lambda s: s.request_pause(NO, KAICHEN, "x"),
     IllegalTransition),
    ("a pause ending in the past", False,
     lambda s: s.request_pause(NO, KAICHEN, "x", iso(START - HOUR)), InvalidRequest),
    ("a pause decided by the unit", "pause", lambda s: s.decide_pause(NO, KAICHEN, True),
     NotPermitted),
    ("a second pause request", "pause", lambda s: s.request_pause(NO, KAICHEN, "y"),
     IllegalTransition),
    ("resuming what is not paused", "pause", lambda s: s.resume(NO, KAICHEN), IllegalTransition),
    ("a pause decision with none waiting", False, lambda s: s.decide_pause(NO, SUPERVISOR, True),
     IllegalTransition),
    ("resumed by another unit", "paused", lambda s: s.resume(NO, GRID), NotPermitted),
    ("resumed by a dispatcher", "paused", lambda s: s.resume(NO, DISPATCHER), NotPermitted),
]


@pytest.mark.parametrize("name, before, step, error", EXTENSION_REFUSALS,
                         ids=[r[0] for r in EXTENSION_REFUSALS])
def test_a_refused_request_or_decision_changes_nothing(service, store, now, name, before, step,
                                                       error):
    if before == "dispatched":
        create(service)
    elif before == "paused":
        paused(service, now)
    else:
        accepted(service)
    if before is True:
        service.request_extension(NO, KAICHEN, iso(START + 200 * HOUR), "需要采购配件")
    elif before == "pause":
        service.request_pause(NO, KAICHEN, "等待配件")
    assert_refused(service, store, step, error)


# Pauses
def test_a_paused_resolve_clock_stands_still_and_moves_the_deadline_on_resume(service, now):
    accepted(service)
    service.record_contact(NO, KAICHEN)
    service.publisher.reset_mock()
    now.advance(hours=10)
    service.request_pause(NO, KAICHEN, "等待业主购买扶手配件")
    now.advance(hours=2)
    status = service.decide_pause(NO, SUPERVISOR, True, "同意")
    assert status["paused"] is True
    [(_, requested), (_, decided)] = published(service)
    assert requested["data"] == {"unit_id": "kaichen", "reason": "等待业主购买扶手配件",
                                 "resume_on": None}
    assert decided["data"] == {"unit_id": "kaichen", "approved": True, "note": "同意",
                               "resume_on": None}
    service.publisher.reset_mock()

    now.advance(hours=150)  # far past the resolve deadline, but paused
    service.check_deadlines()
    assert published(service) == []
    assert service.supervision(SUPERVISOR)["overdue"] == []

    status = service.resume(NO, KAICHEN)

    assert status["paused"] is False and status["paused_hours"] == 150.0
    assert status["deadlines"]["resolve_by"] == iso(START + 270 * HOUR)
    [(event_type, event)] = published(service)
    assert event_type == "ticket_resumed"
    assert event["data"] == {"unit_id": "kaichen", "paused_hours": 150.0,
                             "due_at": iso(START + 270 * HOUR), "by": "request"}


def test_a_pause_ends_on_its_date(service, now):
    resume_on = START + 48 * HOUR
    paused(service, now, iso(resume_on))
    now.advance(hours=49)
    service.check_deadlines()

    [event] = events_of(service, "ticket_resumed")
    assert event["actor"] == SYSTEM_ACTOR
    assert event["data"] == {"unit_id": "kaichen", "paused_hours": 48.0,
                             "due_at": iso(START + 168 * HOUR), "by": "date"}
    status = service.get_status(NO, ADMIN)
    assert (status["paused"], status["paused_hours"]) == (False, 48.0)


def test_a_supervisor_may_resume_and_a_refused_pause_stops_nothing(service, now):
    paused(service, now)
    now.advance(hours=3)
    assert service.resume(NO, SUPERVISOR)["deadlines"]["resolve_by"] == iso(START + 123 * HOUR)
    service.request_pause(NO, KAICHEN, "再次等待")
    status = service.decide_pause(NO, SUPERVISOR, False, "请尽快处理")
    assert status["paused"] is False
    assert [pause["status"] for pause in status["pauses"]] == ["ended", "refused"]


def test_resolving_a_paused_ticket_ends_the_pause_and_counts_it(service, now):
    paused(service, now)
    now.advance(hours=130)
    status = service.resolve(NO, KAICHEN, "配件到货后上门安装")

    assert status["state"] == "resolved" and status["paused"] is False
    assert published_types(service) == ["ticket_resumed", "ticket_resolved"]
    [resolved] = events_of(service, "ticket_resolved")
    assert resolved["data"]["on_time"] is True  # 130 h of work time stood still
    assert resolved["data"]["due_at"] == iso(START + 250 * HOUR)
    assert resolved["data"]["paused_hours"] == 130.0


def test_requests_still_waiting_are_withdrawn_when_the_ticket_leaves_the_unit(service):
    accepted(service)
    service.request_extension(NO, KAICHEN, iso(START + 200 * HOUR), "需要采购配件")
    service.request_pause(NO, KAICHEN, "等待配件")
    service.publisher.reset_mock()

    status = service.return_ticket(NO, KAICHEN, "非物业管辖范围")

    assert published_types(service) == ["extension_decided", "pause_decided", "ticket_returned"]
    for _, event in published(service)[:2]:
        assert event["actor"] == SYSTEM_ACTOR and event["data"]["approved"] is False
        assert event["data"]["note"] == "withdrawn: the ticket was returned"
    assert [e["status"] for e in status["extensions"] + status["pauses"]] == [
        "withdrawn", "withdrawn"]
    assert service.supervision(SUPERVISOR)["extensions"] == []


def test_reassigning_a_paused_ticket_ends_the_pause_and_starts_afresh(service, now):
    paused(service, now)
    later = now.advance(hours=5)
    status = service.reassign(NO, DISPATCHER, "grid-1")
    assert published_types(service) == ["ticket_resumed", "ticket_dispatched"]
    assert (status["paused"], status["paused_hours"], status["pauses"]) == (False, 0.0, [])
    assert status["deadlines"]["resolve_by"] == iso(later + 120 * HOUR)


def test_the_resolved_event_counts_paused_time_over_every_dispatch(service, now):
    paused(service, now)
    now.advance(hours=5)
    service.reassign(NO, DISPATCHER, "grid-1")  # ends the 5-hour pause, fresh deadlines
    grid = {"id": "s-grid", "name": "网格员", "role": "unit_staff", "unit_id": "grid-1"}
    service.accept(NO, grid)
    status = service.resolve(NO, grid, "已修好")

    assert status["paused_hours"] == 0.0  # this dispatch was never paused
    [resolved] = events_of(service, "ticket_resolved")
    assert resolved["data"]["paused_hours"] == 5.0  # but the ticket was, for 5 hours


# On time
def test_each_step_says_whether_it_met_its_deadline(service, now):
    create(service)
    now.advance(hours=3)
    service.accept(NO, KAICHEN)              # 2 h to sign: late
    service.record_contact(NO, KAICHEN)      # 24 h to contact: on time
    service.record_contact(NO, KAICHEN)      # contacted again: no deadline to meet
    now.advance(hours=200)
    service.resolve(NO, KAICHEN, "已修好")    # 120 h to resolve: late

    on_time = [(kind, event["data"]["on_time"]) for kind, event in published(service)[1:]]
    assert on_time == [("ticket_accepted", False), ("ticket_contacted", True),
                       ("ticket_contacted", None), ("ticket_resolved", False)]
    [resolved] = events_of(service, "ticket_resolved")
    assert (resolved["data"]["due_at"], resolved["data"]["paused_hours"]) == (
        iso(START + 120 * HOUR), 0.0)


# Repeat calls
def merged_event(ticket_no: str, calls: int) -> dict:
    data = {"caller": {"name": "李伯伯", "phone": "+8613900000001", "anonymous": False},
            "channel": "hotline", "description": "浴缸边需要装扶手", "match": "same_place",
            "similarity": 91.0, "calls": calls, "external_id": None}
    return new_event("intake", "ticket_merged", data, ticket_no=ticket_no)


def test_repeat_calls_show_how_many_people_called(service, store):
    create(service)
    assert service.get_status(NO, KAICHEN)["calls"] == 1
    third = merged_event(NO, 3)
    service.on_ticket_merged(merged_event(NO, 2))
    service.on_ticket_merged(third)
    assert service.queue("kaichen", KAICHEN)[0]["calls"] == 3

    state = store.get(NO)
    service.on_ticket_merged(third)              # redelivered
    service.on_ticket_merged(merged_event(NO, 2))  # an older count, late
    service.on_ticket_merged(merged_event("YP20000101-9999", 2))  # no such ticket
    assert store.get(NO) == state
    assert service.get_status(NO, KAICHEN)["calls"] == 3


def test_a_ticket_created_with_earlier_calls_counts_them(service):
    assert create(service, calls=2)["calls"] == 2


def test_an_unknown_ticket_is_not_found_for_every_supervision_step(service):
    with pytest.raises(NotFound):
        service.urge("YP20000101-9999", SUPERVISOR, "快")
    with pytest.raises(NotFound):
        service.resume("YP20000101-9999", SUPERVISOR)
