"""Check-ins on a resident's plan (定时探访电话): planned from the register's events, called
by the workers like callbacks, answered or missed."""
import datetime as dt

import pytest
from callback_support import CALLBACK_WORKER, FrozenClock, shanghai
from nameko.testing.services import worker_factory

from services.callback import checkins
from services.callback.dialers import ScriptedDialer
from services.callback.service import CallbackService
from services.callback.worker import CallbackWorker
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest
from services.shared.events import new_event
from services.shared.payloads import event_data

CONFIG = {
    "CALLBACK": {"window": {"start": "09:00", "end": "20:00"}, "lease_seconds": 120},
    "CHECKINS": {"plan_horizon_hours": 24, "replan_minutes": 60, "catch_up_minutes": 30,
                 "max_attempts": 3, "retry_minutes": 10},
}
PHONE = "+8613800000009"
DAILY = {"days": [1, 2, 3, 4, 5, 6, 7], "times": ["10:00", "15:00"], "paused": False,
         "paused_until": None}

# an admin of the whole city reads
READER = {"id": "admin", "name": "管理员", "role": "admin", "unit_id": None}



MONDAY_8AM = shanghai("2026-11-23 08:00")  # a Monday


@pytest.fixture
def now(monkeypatch) -> FrozenClock:
    return FrozenClock(monkeypatch, MONDAY_8AM)


@pytest.fixture
def service(store, now):
    service = worker_factory(CallbackService, store=store, request_id=None)
    service.config = CONFIG
    return service


def card(**changes) -> dict:
    resident = {
        "resident_id": "r-0001", "name": "周奶奶", "phones": [PHONE],
        "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
                    "estate": "开鲁新村", "building": "12号", "room": "301", "detail": None},
        "birth_date": "1927-03-08", "living_status": "alone", "groups": ["childless"],
        "emergency_contacts": [
            {"name": "周建国", "relation": "儿子", "phone": "+8613900000001"}],
        "grid_unit_id": "yinhang-grid-1", "grid_worker": "李琳",
        "checkin_plan": dict(DAILY), "retired": False,
    }
    resident.update(changes)
    return resident


def register_changed(version: int, change: str = "changed", **changes) -> dict:
    data = event_data("register_changed", change=change, resident=card(**changes),
                      version=version)
    return new_event("register", "register_changed", data,
                     actor={"id": "admin", "name": "管理员", "role": "admin", "unit_id": None})


def checkins_of(store, **query) -> list[dict]:
    return list(store.tasks.find({"kind": "checkin", **query}).sort("planned_for", 1))


def live(store) -> list[dict]:
    return checkins_of(store, status={"$in": ["due", "claimed"]})


def planned(store) -> list[dt.datetime]:
    return [task["planned_for"] for task in live(store)]


def published(service, event_type: str | None = None) -> list[dict]:
    return [event for kind, event in (call.args for call in service.publisher.call_args_list)
            if event_type is None or kind == event_type]


# Planning

def test_a_plan_makes_one_task_for_each_planned_time_ahead(service, store):
    service.keep_resident(register_changed(1, "added"))

    assert planned(store) == [shanghai("2026-11-23 10:00"), shanghai("2026-11-23 15:00")]
    first = live(store)[0]
    assert (first["kind"], first["resident_id"], first["phone"], first["caller_name"]) == (
        "checkin", "r-0001", PHONE, "周奶奶")
    assert first["due_at"] == first["planned_for"]  # no callback delay
    assert first["unit_id"] == "yinhang-grid-1" and first["ticket_no"] is None
    scheduled = published(service, "checkin_scheduled")
    assert [event["data"]["due_at"] for event in scheduled] == [
        "2026-11-23T02:00:00.000Z", "2026-11-23T07:00:00.000Z"]
    assert scheduled[0]["data"] == {"task_id": first["_id"], "resident_id": "r-0001",
                                    "attempt": 1, "due_at": "2026-11-23T02:00:00.000Z"}
    # planned under the planner's own name, not an anonymous "system"
    assert {(event["actor"]["id"], event["actor"]["name"]) for event in scheduled} == {
        ("checkin-planner", "探访计划")}


def test_the_timer_plans_the_next_day_once_and_only_once(service, store, now):
    service.keep_resident(register_changed(1, "added"))
    service.plan_checkins()  # not due again yet: nothing new
    assert len(live(store)) == 2

    now.moment = shanghai("2026-11-23 11:00")
    service.plan_checkins()
    service.plan_checkins()
    service.publisher.reset_mock()
    now.moment = shanghai("2026-11-23 12:30")
    service.plan_checkins()

    assert [clock.local(t).strftime("%d %H:%M") for t in planned(store)] == [
        "23 10:00", "23 15:00", "24 10:00"]
    assert store.tasks.count_documents({"kind": "checkin"}) == 3
    assert published(service) == []  # 24 10:00 was planned at 11:00, not again


def test_only_the_plans_weekdays_are_called(service, store):
    # Monday 08:00, 48 hours ahead: Tuesday is not on a Monday/Wednesday plan
    service.config = {**CONFIG, "CHECKINS": {**CONFIG["CHECKINS"], "plan_horizon_hours": 48}}
    service.keep_resident(register_changed(1, checkin_plan={**DAILY, "days": [1, 3],
                                                            "times": ["10:00"]}))
    assert planned(store) == [shanghai("2026-11-23 10:00")]


def test_a_paused_plan_makes_no_task_and_a_resume_makes_them_again(service, store):
    service.keep_resident(register_changed(1, "added"))
    tasks_before = live(store)

    service.keep_resident(register_changed(2, checkin_plan={**DAILY, "paused": True}))

    assert live(store) == []
    cancelled = checkins_of(store, status="cancelled")
    assert {task["_id"] for task in cancelled} == {task["_id"] for task in tasks_before}
    assert {task["note"] for task in cancelled} == {"check-ins paused"}

    service.keep_resident(register_changed(3, checkin_plan=dict(DAILY)))
    assert planned(store) == [shanghai("2026-11-23 10:00"), shanghai("2026-11-23 15:00")]
    history = [(entry["planned_for"], entry["result"])
               for entry in service.checkins_for("r-0001", READER)]
    assert sorted(history, key=lambda e: (e[0], e[1] or "")) == [
        ("2026-11-23T02:00:00.000Z", None), ("2026-11-23T02:00:00.000Z", "cancelled"),
        ("2026-11-23T07:00:00.000Z", None), ("2026-11-23T07:00:00.000Z", "cancelled")]


def test_a_pause_until_a_day_calls_again_the_day_after(service, store):
    service.config = {**CONFIG, "CHECKINS": {**CONFIG["CHECKINS"], "plan_horizon_hours": 48}}
    service.keep_resident(register_changed(
        1, checkin_plan={**DAILY, "paused": True, "paused_until": "2026-11-23"}))
    assert [clock.local(t).strftime("%d %H:%M") for t in planned(store)] == [
        "24 10:00", "24 15:00"]


def test_a_retired_resident_is_not_called(service, store):
    service.keep_resident(register_changed(1, "added"))
    service.keep_resident(register_changed(2, "retired", retired=True))
    assert live(store) == []
    assert {task["note"] for task in checkins_of(store)} == {"resident retired"}

    service.keep_resident(register_changed(1, "added"))  # an older event, late
    assert live(store) == []


def test_no_plan_or_no_phone_means_no_call(service, store, caplog):
    service.keep_resident(register_changed(1, checkin_plan=None))
    assert live(store) == []
    service.keep_resident(register_changed(2, phones=[]))
    assert live(store) == []
    assert "no phone" in caplog.text


def test_a_changed_time_cancels_the_old_and_plans_the_new(service, store):
    service.keep_resident(register_changed(1, "added"))
    ten = live(store)[0]

    service.keep_resident(register_changed(2, checkin_plan={**DAILY, "times": ["10:00",
                                                                                "16:00"]}))

    assert planned(store) == [shanghai("2026-11-23 10:00"), shanghai("2026-11-23 16:00")]
    assert live(store)[0]["_id"] == ten["_id"]  # kept, not made again
    [dropped] = checkins_of(store, status="cancelled")
    assert dropped["planned_for"] == shanghai("2026-11-23 15:00")
    assert dropped["note"] == "no longer on the plan"


def test_a_new_phone_is_called_from_the_next_check_in(service, store):
    service.keep_resident(register_changed(1, "added"))
    service.keep_resident(register_changed(2, phones=["+8613800000010"]))
    assert {task["phone"] for task in live(store)} == {"+8613800000010"}
    assert len(live(store)) == 2
    assert {task["note"] for task in checkins_of(store, status="cancelled")} == {
        "phone number changed"}


def test_a_redelivered_register_change_changes_nothing(service, store):
    event = register_changed(1, "added")
    service.keep_resident(event)
    before = list(store.tasks.find())
    service.publisher.reset_mock()

    service.keep_resident(dict(event))

    assert list(store.tasks.find()) == before
    assert published(service) == []


def test_an_older_version_is_ignored(service, store):
    service.keep_resident(register_changed(2, checkin_plan={**DAILY, "paused": True}))
    service.keep_resident(register_changed(1, "added"))

    assert live(store) == []
    assert store.resident("r-0001")["card"]["checkin_plan"]["paused"] is True


def test_a_time_outside_the_calling_window_is_placed_at_its_opening(service, store, caplog):
    service.keep_resident(register_changed(1, checkin_plan={**DAILY, "times": ["08:30",
                                                                                "21:00"]}))
    due = {clock.local(t["planned_for"]).strftime("%d %H:%M"):
           clock.local(t["due_at"]).strftime("%d %H:%M") for t in live(store)}
    assert due == {"23 08:30": "23 09:00", "23 21:00": "24 09:00"}
    assert "outside the calling window" in caplog.text


def test_a_time_just_passed_is_still_called(service, store, now):
    now.moment = shanghai("2026-11-23 10:05")
    service.keep_resident(register_changed(1, "added"))
    assert planned(store)[0] == shanghai("2026-11-23 10:00")
    assert service.claim("w1", CALLBACK_WORKER)["planned_for"] == "2026-11-23T02:00:00.000Z"


def test_planning_without_the_resident_does_nothing(service, store):
    service._plan("r-unknown")
    assert store.tasks.count_documents({}) == 0


# Calling

def test_a_claimed_check_in_names_the_resident(service, now):
    service.keep_resident(register_changed(1, "added"))
    assert service.claim("w1", CALLBACK_WORKER) is None  # 08:00: not due
    now.moment = shanghai("2026-11-23 10:00")

    claim = service.claim("w1", CALLBACK_WORKER)

    assert (claim["kind"], claim["resident_id"], claim["caller_name"], claim["phone"]) == (
        "checkin", "r-0001", "周奶奶", PHONE)
    assert claim["ticket_no"] is None and claim["attempt"] == 1
    assert claim["planned_for"] == claim["due_at"] == "2026-11-23T02:00:00.000Z"


@pytest.mark.parametrize("outcome", ["answered", "satisfied", "basically_satisfied"])
def test_an_answered_check_in_is_recorded(service, store, now, outcome):
    service.keep_resident(register_changed(1, "added"))
    now.moment = shanghai("2026-11-23 10:00")
    claim = service.claim("w1", CALLBACK_WORKER)
    service.publisher.reset_mock()

    answer = service.complete(claim["task_id"], "w1", outcome,
                              CALLBACK_WORKER, "身体还好，正在吃午饭")

    assert answer["final"] is True and answer["kind"] == "checkin"
    assert answer["resident_id"] == "r-0001"
    [event] = published(service)
    assert event["event_type"] == "checkin_answered" and event["ticket_no"] is None
    assert event["data"] == {"task_id": claim["task_id"], "resident_id": "r-0001",
                             "attempt": 1, "note": "身体还好，正在吃午饭", "worker_id": "dialer/w1"}
    [latest_done] = [e for e in service.checkins_for("r-0001", READER) if e["result"]]
    assert (latest_done["result"], latest_done["outcome"]) == ("answered", outcome)


def test_nobody_answering_after_the_retries_is_one_missed_check_in(service, store, now):
    service.keep_resident(register_changed(1, "added"))
    # the contacts changed since the check-in was planned: the miss carries the card as now
    service.keep_resident(register_changed(2, emergency_contacts=[
        {"name": "周建国", "relation": "儿子", "phone": "+8613900000001"},
        {"name": "王芳", "relation": "邻居", "phone": "+8613900000002"}]))
    worker = CallbackWorker(service, ScriptedDialer({"numbers": {PHONE: ["unreachable"]}}), "w1",
                            lambda: CALLBACK_WORKER)
    service.publisher.reset_mock()

    now.moment = shanghai("2026-11-23 10:00")
    for minute in ("10:00", "10:10", "10:20"):
        now.moment = shanghai(f"2026-11-23 {minute}")
        assert worker.work_once() is True
        assert worker.work_once() is False  # the retry waits retry_minutes

    assert [e["event_type"] for e in published(service)] == [
        "checkin_scheduled", "checkin_scheduled", "checkin_missed"]
    assert [e["data"]["attempt"] for e in published(service, "checkin_scheduled")] == [2, 3]
    [missed] = published(service, "checkin_missed")
    assert missed["data"]["attempts"] == 3
    assert missed["data"]["planned_for"] == "2026-11-23T02:00:00.000Z"
    assert missed["data"]["resident"]["name"] == "周奶奶"
    assert [c["name"] for c in missed["data"]["resident"]["emergency_contacts"]] == [
        "周建国", "王芳"]
    entry = service.checkins_for("r-0001", READER)[-1]
    assert (entry["result"], entry["attempt"]) == ("missed", 3)
    assert [a["outcome"] for a in entry["attempts"]] == ["unreachable"] * 3

    # the missed report again (a lost reply) says nothing more
    service.publisher.reset_mock()
    service.complete(entry["task_id"], "w1", "unreachable", CALLBACK_WORKER)
    assert published(service) == []


def test_a_missed_check_in_carries_no_health_notes_even_from_a_card_kept_with_them(
        service, store, now):
    # the card as kept before health notes left it, and a plan made from it
    event = register_changed(1, "added")
    event["data"]["resident"]["health_notes"] = "高血压"  # said by an older register
    service.keep_resident(event)
    store.residents.update_one({"_id": "r-0001"}, {"$set": {"card.health_notes": "高血压"}})
    store.tasks.update_many({"resident_id": "r-0001"},
                            {"$set": {"resident.health_notes": "高血压"}})
    worker = CallbackWorker(service, ScriptedDialer({"numbers": {PHONE: ["unreachable"]}}), "w1",
                            lambda: CALLBACK_WORKER)
    service.publisher.reset_mock()

    for minute in ("10:00", "10:10", "10:20"):
        now.moment = shanghai(f"2026-11-23 {minute}")
        assert worker.work_once() is True

    [missed] = published(service, "checkin_missed")
    assert missed["data"]["resident"]["name"] == "周奶奶"
    assert "health_notes" not in missed["data"]["resident"]
    assert "health_notes" not in str(published(service))


def test_a_pause_cancels_a_check_in_in_a_workers_hands(service, store, now):
    service.keep_resident(register_changed(1, "added"))
    now.moment = shanghai("2026-11-23 10:00")
    claim = service.claim("w1", CALLBACK_WORKER)

    service.keep_resident(register_changed(2, checkin_plan={**DAILY, "paused": True}))

    with pytest.raises(IllegalTransition):
        service.complete(claim["task_id"], "w1", "unreachable", CALLBACK_WORKER)
    assert published(service, "checkin_missed") == []


# Reading and config

def test_checkins_for_lists_the_latest_first_and_checks_its_arguments(service):
    service.keep_resident(register_changed(1, "added"))
    history = service.checkins_for("r-0001", READER)
    assert [entry["planned_for"] for entry in history] == [
        "2026-11-23T07:00:00.000Z", "2026-11-23T02:00:00.000Z"]
    assert len(service.checkins_for("r-0001", READER, limit=1)) == 1
    assert service.checkins_for("r-9999", READER) == []
    with pytest.raises(InvalidRequest):
        service.checkins_for("r-0001", READER, limit=0)
    with pytest.raises(InvalidRequest):
        service.checkins_for(None, READER)


def test_a_malformed_register_change_is_dropped(service, store):
    event = register_changed(1, "added")
    del event["data"]["version"]
    service.keep_resident(event)
    assert store.residents.count_documents({}) == 0


@pytest.mark.parametrize("settings", [
    {"replan_minutes": 600, "plan_horizon_hours": 6},
    {"retry_minutes": -1},
    {"plan_horizon_hours": 0},
])
def test_a_bad_checkins_config_is_refused(settings):
    with pytest.raises(ValueError):
        checkins.policy_from(settings)


def test_the_defaults():
    policy = checkins.policy_from(None)
    assert (policy.max_attempts, policy.retry) == (3, dt.timedelta(minutes=10))
    assert policy.horizon == dt.timedelta(hours=24)
