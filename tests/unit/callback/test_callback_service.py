import datetime as dt

import pytest
from callback_support import CALLBACK_WORKER, FrozenClock, shanghai
from nameko.testing.services import worker_factory

from services.callback import tasks
from services.callback.dialers import ScriptedDialer
from services.callback.service import CallbackService
from services.callback.worker import CallbackWorker
from services.shared import clock, outbox
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import event_data
from services.shared.schemas import SYSTEM_ACTOR

WHOLE_DAY = {"start": "00:00", "end": "24:00"}
CONFIG = {"CALLBACK": {"delay_minutes": 0, "window": WHOLE_DAY, "max_attempts": 3,
                       "retry_minutes": 60, "lease_seconds": 120}}
PHONE = "+8613812345678"

# an admin of the whole city reads
READER = {"id": "admin", "name": "管理员", "role": "admin", "unit_id": None}



def resolved(ticket_no="YP20261123-0001", phone="13812345678", name="王阿姨", at=None):
    caller = {"name": name, "phone": phone, "anonymous": False}
    event = new_event("dispatch", "ticket_resolved",
                      event_data("ticket_resolved", unit_id="kailu-grid-3",
                                 resolution="两盏路灯已修复", caller=caller),
                      ticket_no=ticket_no, actor={"id": "u7", "name": "李师傅",
                                                  "role": "unit_staff", "unit_id": "kailu-grid-3"})
    if at is not None:
        event["occurred_at"] = clock.iso(at)
    return event


@pytest.fixture
def service(store):
    # claims without a request id, carried out each time; a test of redelivered requests
    # gives service.request_id the id its call comes with
    service = worker_factory(CallbackService, store=store, request_id=None)
    service.config = CONFIG
    return service


def published(service):
    return [call.args for call in service.publisher.call_args_list]


def event_types(service):
    return [event_type for event_type, _ in published(service)]


def schedule(service, **kwargs):
    service.schedule_callback(resolved(**kwargs))
    [task] = service.store.for_ticket(kwargs.get("ticket_no", "YP20261123-0001"))[-1:]
    return task


def set_task(store, task_id, **fields):
    store.tasks.update_one({"_id": task_id}, {"$set": fields})


# Scheduling

def test_a_resolved_ticket_gets_a_due_callback_and_says_so(service, store):
    task = schedule(service)

    assert (task["status"], task["attempt"], task["kind"]) == ("due", 1, "callback")
    assert (task["ticket_no"], task["unit_id"]) == ("YP20261123-0001", "kailu-grid-3")
    assert (task["phone"], task["caller_name"]) == (PHONE, "王阿姨")
    [(event_type, event)] = published(service)
    assert event_type == "callback_scheduled"
    assert event["source"] == "callback" and event["ticket_no"] == "YP20261123-0001"
    assert event["actor"] == SYSTEM_ACTOR
    assert event["data"] == {"task_id": task["_id"], "kind": "callback", "attempt": 1,
                             "due_at": clock.iso(task["due_at"])}
    assert store.get(task["_id"])["outbox"] == []


def test_the_first_call_waits_for_the_delay_and_the_window(service):
    service.config = {"CALLBACK": {"delay_minutes": 30,
                                   "window": {"start": "09:00", "end": "20:00"}}}
    morning = schedule(service, ticket_no="A-1", at=shanghai("2026-11-23 10:00"))
    evening = schedule(service, ticket_no="A-2", at=shanghai("2026-11-23 19:45"))

    assert morning["due_at"] == shanghai("2026-11-23 10:30")
    assert evening["due_at"] == shanghai("2026-11-24 09:00")  # 20:15 is too late to call


def test_a_redelivered_resolution_makes_no_second_task(service, store):
    event = resolved()
    service.schedule_callback(event)
    service.schedule_callback(dict(event))

    assert store.tasks.count_documents({}) == 1
    assert event_types(service) == ["callback_scheduled"]


def test_each_resolution_of_a_reopened_ticket_gets_its_own_task(service):
    schedule(service)
    schedule(service)
    assert len(service.tasks_for_ticket("YP20261123-0001", READER)) == 2


def test_a_caller_without_a_phone_is_closed_at_once_as_unreachable(service):
    task = schedule(service, phone=None)

    assert (task["status"], task["outcome"], task["note"]) == ("done", "unreachable",
                                                               "no phone number")
    [(event_type, event)] = published(service)
    assert event_type == "callback_completed"
    assert event["data"]["final"] is True and event["data"]["outcome"] == "unreachable"
    assert event["data"]["note"] == "no phone number"
    assert event["actor"] == SYSTEM_ACTOR
    assert service.claim("w1", CALLBACK_WORKER) is None  # nothing for a worker to call


def test_a_malformed_resolution_is_dropped(service, store):
    event = resolved()
    del event["data"]["caller"]
    service.schedule_callback(event)
    assert store.tasks.count_documents({}) == 0
    assert published(service) == []


# Claiming

def test_claims_hand_out_the_earliest_due_task_once(service, store):
    now = clock.now()
    first, second, later = (schedule(service, ticket_no=f"T-{n}") for n in (1, 2, 3))
    set_task(store, first["_id"], due_at=now - dt.timedelta(minutes=5))
    set_task(store, second["_id"], due_at=now - dt.timedelta(minutes=10))
    set_task(store, later["_id"], due_at=now + dt.timedelta(hours=1))

    one = service.claim("w1", CALLBACK_WORKER)
    two = service.claim("w2", CALLBACK_WORKER)

    assert (one["task_id"], two["task_id"]) == (second["_id"], first["_id"])
    assert service.claim("w3", CALLBACK_WORKER) is None  # the third is not due yet
    assert set(one) == {"task_id", "ticket_no", "kind", "resident_id", "planned_for", "phone",
                        "caller_name", "attempt", "due_at", "lease_until", "fence"}
    assert (one["kind"], one["resident_id"], one["planned_for"]) == ("callback", None, None)
    assert (one["phone"], one["caller_name"], one["attempt"]) == (PHONE, "王阿姨", 1)
    held = store.get(second["_id"])
    # held by process w1 of the callback workers' account
    assert (held["status"], held["claimed_by"]) == ("claimed", "dialer/w1")
    lease = clock.parse_iso(one["lease_until"]) - now
    assert dt.timedelta(seconds=119) < lease < dt.timedelta(seconds=125)


def test_an_expired_lease_frees_the_task_for_anyone(service, store):
    task = schedule(service)
    service.claim("w1", CALLBACK_WORKER)
    assert service.claim("w2", CALLBACK_WORKER) is None  # held by w1

    set_task(store, task["_id"], lease_until=clock.now() - dt.timedelta(seconds=1))
    again = service.claim("w2", CALLBACK_WORKER)

    assert again["task_id"] == task["_id"] and again["attempt"] == 1
    assert store.get(task["_id"])["claimed_by"] == "dialer/w2"
    with pytest.raises(NotPermitted):
        service.complete(task["_id"], "w1", "satisfied", CALLBACK_WORKER)


def test_a_worker_whose_lease_ran_out_may_still_report_if_nobody_took_over(service, store):
    task = schedule(service)
    service.claim("w1", CALLBACK_WORKER)
    set_task(store, task["_id"], lease_until=clock.now() - dt.timedelta(seconds=1))
    assert service.complete(task["_id"], "w1", "satisfied", CALLBACK_WORKER)["final"] is True


def test_nothing_is_claimed_outside_the_calling_window(service):
    schedule(service)
    hour = clock.local(clock.now()).hour
    closed = {"start": "13:00", "end": "14:00"} if hour < 12 else {"start": "01:00", "end": "02:00"}
    service.config = {"CALLBACK": {**CONFIG["CALLBACK"], "window": closed}}
    assert service.claim("w1", CALLBACK_WORKER) is None


@pytest.mark.parametrize("worker_id", [None, "", 42, "x" * 101])
def test_a_claim_needs_a_worker_id(service, worker_id):
    schedule(service)
    with pytest.raises(InvalidRequest):
        service.claim(worker_id, CALLBACK_WORKER)
    assert service.claim("w1", CALLBACK_WORKER) is not None  # the refused claim took nothing


# Completing

def test_a_satisfied_caller_ends_the_task(service, store):
    task = schedule(service)
    service.claim("w1", CALLBACK_WORKER)
    service.publisher.reset_mock()

    answer = service.complete(task["_id"], "w1", "satisfied", CALLBACK_WORKER, "路灯亮了，谢谢")

    assert answer["final"] is True and answer["next_due_at"] is None
    assert (answer["outcome"], answer["attempt"], answer["ticket_no"]) == (
        "satisfied", 1, "YP20261123-0001")
    done = store.get(task["_id"])
    assert (done["status"], done["outcome"], done["claimed_by"]) == ("done", "satisfied", None)
    [(event_type, event)] = published(service)
    assert event_type == "callback_completed"
    assert event["data"] == {"task_id": task["_id"], "outcome": "satisfied",
                             "note": "路灯亮了，谢谢", "attempt": 1, "final": True,
                             "worker_id": "dialer/w1"}
    # said under the callback workers' account, as accounts signed it
    assert {key: event["actor"][key] for key in ("id", "name", "role")} == {
        "id": "dialer", "name": "自动回访外呼", "role": "callback_worker"}


def test_unsatisfied_is_final_too(service):
    task = schedule(service)
    service.claim("w1", CALLBACK_WORKER)
    assert service.complete(task["_id"], "w1", "unsatisfied", CALLBACK_WORKER)["final"] is True


def test_nobody_answering_is_tried_again_until_max_attempts(service, store):
    task = schedule(service)
    for attempt in (1, 2):
        service.claim("w1", CALLBACK_WORKER)
        service.publisher.reset_mock()
        before = clock.now()
        answer = service.complete(task["_id"], "w1", "unreachable", CALLBACK_WORKER)

        assert (answer["final"], answer["next_attempt"]) == (False, attempt + 1)
        again = store.get(task["_id"])
        assert (again["status"], again["attempt"]) == ("due", attempt + 1)
        assert again["claimed_by"] is None
        assert again["due_at"] >= before + dt.timedelta(minutes=60)
        [(completed, completed_event), (scheduled, scheduled_event)] = published(service)
        assert (completed, scheduled) == ("callback_completed", "callback_scheduled")
        assert completed_event["data"]["final"] is False
        assert completed_event["data"]["attempt"] == attempt
        assert scheduled_event["data"]["attempt"] == attempt + 1
        assert scheduled_event["data"]["due_at"] == clock.iso(again["due_at"])
        assert service.claim("w1", CALLBACK_WORKER) is None  # not before the retry is due
        set_task(store, task["_id"], due_at=clock.now())

    service.claim("w1", CALLBACK_WORKER)
    service.publisher.reset_mock()
    answer = service.complete(task["_id"], "w1", "unreachable", CALLBACK_WORKER, "无人接听")

    assert answer["final"] is True and answer["attempt"] == 3
    assert store.get(task["_id"])["status"] == "done"
    assert event_types(service) == ["callback_completed"]
    attempts = service.get_task(task["_id"], READER)["attempts"]
    assert [a["outcome"] for a in attempts] == ["unreachable"] * 3


def test_the_retry_waits_for_the_window():
    policy = tasks.policy_from({"window": {"start": "09:00", "end": "20:00"}})
    task, _ = tasks.schedule(resolved(), {"unit_id": "u", "caller": {"phone": PHONE}},
                             policy, clock.now())
    task.update(status="claimed", claimed_by="dialer/w1")

    completion = tasks.complete(task, "dialer/w1", "unreachable", None, policy,
                                now=shanghai("2026-11-23 19:30"), actor=CALLBACK_WORKER)

    assert completion.changes["due_at"] == shanghai("2026-11-24 09:00")
    assert completion.changes["attempt"] == 2


def test_a_repeated_report_gets_the_same_answer_and_says_nothing(service, store):
    first = schedule(service, ticket_no="R-1")
    second = schedule(service, ticket_no="R-2")
    service.claim("w1", CALLBACK_WORKER)
    service.claim("w1", CALLBACK_WORKER)
    done = service.complete(first["_id"], "w1", "satisfied", CALLBACK_WORKER)
    retry = service.complete(second["_id"], "w1", "unreachable", CALLBACK_WORKER)
    service.publisher.reset_mock()

    assert service.complete(first["_id"], "w1", "satisfied", CALLBACK_WORKER) == done
    assert service.complete(second["_id"], "w1", "unreachable", CALLBACK_WORKER) == retry
    assert published(service) == []
    assert store.get(second["_id"])["attempt"] == 2
    # a different outcome on a done task is not a repeat
    with pytest.raises(IllegalTransition):
        service.complete(first["_id"], "w1", "unsatisfied", CALLBACK_WORKER)
    with pytest.raises(IllegalTransition):
        service.complete(first["_id"], "w2", "satisfied", CALLBACK_WORKER)


def test_refused_reports_change_nothing_and_say_nothing(service, store):
    task = schedule(service)
    with pytest.raises(NotPermitted):  # due, not claimed
        service.complete(task["_id"], "w1", "satisfied", CALLBACK_WORKER)
    service.claim("w1", CALLBACK_WORKER)
    service.publisher.reset_mock()
    before = store.get(task["_id"])

    with pytest.raises(NotPermitted):
        service.complete(task["_id"], "w2", "satisfied", CALLBACK_WORKER)
    with pytest.raises(NotFound):
        service.complete("no-such-task", "w1", "satisfied", CALLBACK_WORKER)
    with pytest.raises(InvalidRequest) as raised:
        service.complete(task["_id"], "w1", "delighted", CALLBACK_WORKER)
    assert "outcome" in raised.value.errors
    with pytest.raises(InvalidRequest) as raised:  # a check-in's word, not a rating
        service.complete(task["_id"], "w1", "answered", CALLBACK_WORKER)
    assert "outcome" in raised.value.errors
    with pytest.raises(InvalidRequest):
        service.complete(task["_id"], None, "satisfied", CALLBACK_WORKER)

    assert store.get(task["_id"]) == before
    assert published(service) == []


# Reading

def test_get_task_and_tasks_for_ticket(service):
    task = schedule(service)
    view = service.get_task(task["_id"], READER)

    assert view["task_id"] == task["_id"] and view["status"] == "due"
    assert view["due_at"] == clock.iso(task["due_at"]) and view["attempts"] == []
    assert service.tasks_for_ticket("YP20261123-0001", READER) == [view]
    assert service.tasks_for_ticket("YP20000101-9999", READER) == []
    with pytest.raises(NotFound):
        service.get_task("no-such-task", READER)
    with pytest.raises(InvalidRequest):
        service.get_task({"task_id": task["_id"]}, READER)


def test_the_answers_are_the_contracts_and_lose_nothing_of_the_task(service, store):
    """Each answer is dumped with its schema (services/shared/answers/callback.py): what
    the service builds of a task, attempts and all, reaches the caller whole."""
    task = schedule(service)
    claim = service.claim("w1", CALLBACK_WORKER)
    assert claim == tasks.as_claim(store.get(task["_id"]))
    done = service.complete(task["_id"], "w1", "unreachable", CALLBACK_WORKER, "无人接听")
    assert done == tasks.as_completion(store.get(task["_id"]),
                                       store.get(task["_id"])["attempts"][-1])
    assert done["next_attempt"] == 2
    assert service.get_task(task["_id"], READER) == tasks.as_payload(store.get(task["_id"]))
    assert service.get_task(task["_id"], READER)["attempts"][0]["note"] == "无人接听"


def test_a_broker_outage_keeps_the_events_for_the_sweep(service, store):
    service.publisher.side_effect = ConnectionError("broker away")
    task = schedule(service)
    assert len(store.get(task["_id"])["outbox"]) == 1

    service.publisher.side_effect = None
    service.publisher.reset_mock()
    outbox.publish_pending(store.tasks, service.publisher)
    assert event_types(service) == ["callback_scheduled"]
    assert store.get(task["_id"])["outbox"] == []


def test_a_worker_calls_until_someone_answers(service, store):
    """The worker's loop against the service itself: two missed calls, then an answer."""
    task = schedule(service)
    dialer = ScriptedDialer({"numbers": {"13812345678": ["unreachable", "unreachable",
                                                          "basically_satisfied"]}})
    worker = CallbackWorker(service, dialer, "w1",
                            lambda: CALLBACK_WORKER)

    for _ in range(3):
        assert worker.work_once() is True
        assert worker.work_once() is False  # the retry is not due yet
        set_task(store, task["_id"], due_at=clock.now())

    done = service.get_task(task["_id"], READER)
    assert (done["status"], done["outcome"], done["attempt"]) == ("done", "basically_satisfied", 3)
    completed = [event["data"] for event_type, event in published(service)
                 if event_type == "callback_completed"]
    assert [(data["outcome"], data["final"]) for data in completed] == [
        ("unreachable", False), ("unreachable", False), ("basically_satisfied", True)]


# Who works the tasks: only the callback workers' account

@pytest.mark.parametrize("role", ["agent", "dispatcher", "admin", "call_centre"])
def test_only_a_callback_worker_claims_or_completes(service, store, role):
    task = schedule(service)
    someone = {"id": "x-1", "name": "某人", "role": role,
               "unit_id": "centre" if role == "dispatcher" else None}
    with pytest.raises(NotPermitted, match="may not claim and complete callback tasks"):
        service.claim("w1", someone)
    assert store.get(task["_id"])["status"] == "due"  # nothing claimed

    service.claim("w1", CALLBACK_WORKER)
    with pytest.raises(NotPermitted):
        service.complete(task["_id"], "w1", "satisfied", someone)
    assert store.get(task["_id"])["status"] == "claimed"


def test_a_worker_of_another_account_cannot_complete_a_task_under_the_same_name(service, store):
    task = schedule(service)
    service.claim("w1", CALLBACK_WORKER)
    other = {**CALLBACK_WORKER, "id": "other-dialer", "name": "另一外呼"}

    with pytest.raises(NotPermitted, match="not held by other-dialer/w1"):
        service.complete(task["_id"], "w1", "satisfied", other)
    assert store.get(task["_id"])["status"] == "claimed"
    assert service.complete(task["_id"], "w1", "satisfied", CALLBACK_WORKER)["final"] is True


# A claim request that comes again (RabbitMQ redelivers it when the process that claimed
# was killed before answering) hands out nothing more

def test_a_claim_delivered_twice_answers_the_same_task_and_fence_and_claims_once(
        service, store):
    task, other = schedule(service, ticket_no="T-1"), schedule(service, ticket_no="T-2")
    set_task(store, task["_id"], due_at=clock.now() - dt.timedelta(minutes=10))
    set_task(store, other["_id"], due_at=clock.now() - dt.timedelta(minutes=5))
    service.request_id = "req-claim-1"

    first = service.claim("w1", CALLBACK_WORKER)
    again = service.claim("w1", CALLBACK_WORKER)

    assert again == first and first["task_id"] == task["_id"]
    assert store.get(task["_id"])[tasks.FENCE] == first["fence"]  # claimed once
    assert store.get(other["_id"])["status"] == "due"  # not handed out behind its back
    done = service.complete(task["_id"], "w1", "satisfied", CALLBACK_WORKER, None,
                            again["fence"])
    assert done["final"] is True


def test_another_claim_request_of_the_same_worker_claims_the_next_task(service, store):
    first_task, second_task = (schedule(service, ticket_no=f"T-{n}") for n in (1, 2))
    set_task(store, first_task["_id"], due_at=clock.now() - dt.timedelta(minutes=10))
    set_task(store, second_task["_id"], due_at=clock.now() - dt.timedelta(minutes=5))

    service.request_id = "req-claim-1"
    first = service.claim("w1", CALLBACK_WORKER)
    service.request_id = "req-claim-2"
    second = service.claim("w1", CALLBACK_WORKER)

    assert (first["task_id"], second["task_id"]) == (first_task["_id"], second_task["_id"])
    service.request_id = "req-claim-3"
    assert service.claim("w1", CALLBACK_WORKER) is None  # nothing left


def test_a_claim_delivered_again_after_the_task_was_claimed_since_claims_as_usual(
        service, store, monkeypatch):
    moment = FrozenClock(monkeypatch, shanghai("2026-11-23 10:00"))
    task = schedule(service, at=moment.moment)
    service.request_id = "req-claim-1"
    first = service.claim("w1", CALLBACK_WORKER)

    moment.moment += HOUR  # the lease ran out and w2 claimed the task
    service.request_id = "req-claim-2"
    taken = service.claim("w2", CALLBACK_WORKER)
    service.request_id = "req-claim-1"  # w1's first claim, delivered again only now
    again = service.claim("w1", CALLBACK_WORKER)

    assert taken["fence"] == first["fence"] + 1
    assert again is None  # the claim no longer stands, and nothing else is due
    assert (store.get(task["_id"])["claimed_by"], store.get(task["_id"])[tasks.FENCE]) == (
        "dialer/w2", taken["fence"])


def test_a_claim_delivered_again_to_a_worker_of_the_same_name_elsewhere_is_not_its(
        service, store):
    schedule(service)
    other_account = {**CALLBACK_WORKER, "id": "other-dialer"}
    service.request_id = "req-claim-1"
    service.claim("w1", CALLBACK_WORKER)

    # the same id under another account names another holder: its claim made nothing
    assert service.claim("w1", other_account) is None


# Time that steps (through services/shared/clock.py): a lease held across processes
# carries a fence token

HOUR = dt.timedelta(hours=1)


def test_a_clock_stepped_forward_frees_the_task_but_the_old_claim_can_no_longer_write(
        service, store, monkeypatch):
    moment = FrozenClock(monkeypatch, shanghai("2026-11-23 10:00"))
    task = schedule(service, at=moment.moment)
    first = service.claim("w1", CALLBACK_WORKER)

    moment.moment += HOUR  # every lease has run out
    # the same worker's name again (a process restarted with it), and a second claim
    again = service.claim("w1", CALLBACK_WORKER)
    assert (again["task_id"], again["fence"]) == (task["_id"], first["fence"] + 1)

    with pytest.raises(NotPermitted, match="claimed again since"):
        service.complete(task["_id"], "w1", "satisfied", CALLBACK_WORKER, "早先那通",
                         first["fence"])
    assert store.get(task["_id"])["attempts"] == []  # nothing recorded from the old claim
    done = service.complete(task["_id"], "w1", "unsatisfied", CALLBACK_WORKER, None,
                            again["fence"])
    assert done["outcome"] == "unsatisfied"


def test_a_clock_stepped_back_hands_out_no_lease_still_held(service, store, monkeypatch):
    moment = FrozenClock(monkeypatch, shanghai("2026-11-23 10:00"))
    schedule(service, at=moment.moment - HOUR)
    held = service.claim("w1", CALLBACK_WORKER)

    moment.moment -= HOUR
    assert service.claim("w2", CALLBACK_WORKER) is None  # claimed once only
    moment.moment += 2 * HOUR  # and forward again, past the lease: claimable once more
    assert service.claim("w2", CALLBACK_WORKER)["fence"] == held["fence"] + 1


def test_an_outcome_follows_its_scheduling_even_on_a_clock_stepped_back(
        service, store, monkeypatch):
    moment = FrozenClock(monkeypatch, shanghai("2026-11-23 10:00"))
    task = schedule(service, at=moment.moment - HOUR)
    [(_, scheduled)] = published(service)
    service.claim("w1", CALLBACK_WORKER)

    moment.moment -= 2 * HOUR  # the outcome is reported on a clock two hours behind
    service.complete(task["_id"], "w1", "unreachable", CALLBACK_WORKER)
    _, completed = published(service)[1]
    _, retried = published(service)[2]

    assert completed["caused_by"] == scheduled["event_id"]
    assert retried["caused_by"] == completed["event_id"]
    assert scheduled["occurred_at"] < completed["occurred_at"] < retried["occurred_at"]
