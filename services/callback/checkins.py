"""Check-ins (定时探访电话): calls on a resident's plan, placed by the same workers as callbacks.

The register says each resident's plan: ISO weekdays (1 = Monday) and times of
day, Shanghai wall-clock, e.g. every day at 10:00 and 15:00. callback keeps the latest
card of every resident (``register_changed``, the highest version wins) and, whenever a
card changes and every ``replan`` otherwise, makes sure that every planned time from
``catch_up`` ago to ``horizon`` ahead has exactly one check-in task:

- none for a retired resident, one without a plan, or one without a phone (logged: the
  register should give one);
- none on a day the plan is paused (a pause ``paused_until`` a date covers that day too);
- a planned time still to come that the plan no longer wants (a time dropped, the phone
  changed) is cancelled; a pause or a retirement cancels every check-in not yet done,
  one in a worker's hands included (its report is then refused).

A check-in is due at its planned time: the callback delay does not apply, the daytime
calling window does. A planned time outside the window is placed at the window's next
opening (07:30 → 09:00 that day, 21:00 → 09:00 the next) with a warning in the log,
rather than dropped: a skipped check-in is a resident nobody checked on. ``catch_up``
lets a time that has just passed (the service was restarting, the resident was added at
10:05 for 10:00) still be called.

Answered (any outcome but unreachable, or "answered"): ``checkin_answered``. Nobody
answered: tried again ``retry`` later, inside the window, up to ``max_attempts``; then
``checkin_missed`` with the resident's card, and intake opens an urgent welfare check.

Plain functions, no broker and no database; every rule takes ``now``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from marshmallow import ValidationError

from services.callback import tasks
from services.callback.schemas import CheckinConfigSchema
from services.callback.window import CallingWindow, next_call_time
from services.shared import clock
from services.shared.events import new_event
from services.shared.payloads import event_data, resident_card
from services.shared.states import CHECKIN_ANSWERED, CHECKIN_MISSED, CHECKIN_TASK

KIND = CHECKIN_TASK
DAY = dt.timedelta(days=1)
# Who plans check-ins, as its events name it: the callback service's planner itself, in
# process (it calls no other service: the cards are those the register said).
CHECKIN_PLANNER = {"id": "checkin-planner", "name": "探访计划", "role": "system",
                   "unit_id": None, "district": None}

# Why a check-in was cancelled (its ``note``).
RETIRED, NO_PLAN, NO_PHONE, PAUSED, NOT_PLANNED, NEW_PHONE = (
    "resident retired", "no check-in plan", "no phone number", "check-ins paused",
    "no longer on the plan", "phone number changed")


@dataclass(frozen=True)
class CheckinPolicy:
    """The configured rules of check-ins (key ``CHECKINS``)."""

    horizon: dt.timedelta  # how far ahead tasks are made
    replan: dt.timedelta  # how often a resident's plan is looked at again
    catch_up: dt.timedelta  # a planned time this recent, with no task yet, is still called
    max_attempts: int  # tries before the check-in is missed
    retry: dt.timedelta  # wait after nobody answered


def policy_from(settings: dict | None) -> CheckinPolicy:
    """The policy from the ``CHECKINS`` config, defaults filled in; ValueError if malformed
    (a plan looked at less often than its horizon would leave times without a task)."""
    try:
        loaded = CheckinConfigSchema().load(settings or {})
    except ValidationError as exc:
        raise ValueError(f"bad CHECKINS config: {exc.messages}") from None
    policy = CheckinPolicy(
        horizon=dt.timedelta(hours=loaded["plan_horizon_hours"]),
        replan=dt.timedelta(minutes=loaded["replan_minutes"]),
        catch_up=dt.timedelta(minutes=loaded["catch_up_minutes"]),
        max_attempts=loaded["max_attempts"],
        retry=dt.timedelta(minutes=loaded["retry_minutes"]),
    )
    if policy.replan >= policy.horizon:
        raise ValueError("bad CHECKINS config: replan_minutes must be shorter than "
                         "plan_horizon_hours")
    return policy


# Whom to call, and when

def not_served(card: dict) -> str | None:
    """Why the resident gets no check-ins at all, or None if they do."""
    if card.get("retired"):
        return RETIRED
    if not card.get("checkin_plan"):
        return NO_PLAN
    if not card.get("phones"):
        return NO_PHONE
    return None


def paused_on(plan: dict, day: dt.date) -> bool:
    """Whether the plan is paused on this (Shanghai) day: paused with no end, or paused
    until a last day without calls that is not yet past."""
    if not plan.get("paused"):
        return False
    until = plan.get("paused_until")
    return until is None or day <= dt.date.fromisoformat(until)


def _time_of_day(text: str) -> dt.time:
    return dt.time.fromisoformat(text)  # "HH:MM"; the register refuses anything else


def planned_times(card: dict, policy: CheckinPolicy, now: dt.datetime) -> list[dt.datetime]:
    """Every planned time of the resident from ``catch_up`` ago to ``horizon`` ahead (UTC,
    in order), leaving out paused days; none for a resident not served."""
    if not_served(card):
        return []
    plan = card["checkin_plan"]
    start, end = now - policy.catch_up, now + policy.horizon
    day, last = clock.local(start).date(), clock.local(end).date()
    found = set()
    while day <= last:
        if day.isoweekday() in plan["days"] and not paused_on(plan, day):
            for text in plan["times"]:
                moment = clock.as_utc(dt.datetime.combine(day, _time_of_day(text),
                                                          tzinfo=clock.SHANGHAI))
                if start <= moment < end:
                    found.add(moment)
        day += DAY
    return sorted(found)


def unwanted(task: dict, card: dict, wanted: Iterable[dt.datetime],
             now: dt.datetime) -> str | None:
    """Why a check-in not yet done is to be cancelled, or None to keep it. One whose time
    has come is kept through a change of times or phone (the call is under way, retries
    included), not through a pause or a retirement."""
    reason = not_served(card)
    if reason:
        return reason
    planned_for = clock.as_utc(task["planned_for"])
    if paused_on(card["checkin_plan"], clock.local(planned_for).date()):
        return PAUSED
    if planned_for <= now:
        return None
    if planned_for not in set(wanted):
        return NOT_PLANNED
    if task["phone"] != card["phones"][0]:
        return NEW_PHONE  # made again with the new number
    return None


def checkin_key(resident_id: str, planned_for: dt.datetime) -> str:
    """One check-in per resident and planned time (a unique index; a cancelled check-in
    gives its key up, so a resumed plan may call at that time again)."""
    return f"{resident_id}@{clock.iso(planned_for)}"


def new_checkin(card: dict, planned_for: dt.datetime, window: CallingWindow,
                now: dt.datetime) -> tuple[dict, list[dict]]:
    """The check-in task for a planned time, due then or at the window's next opening,
    and the event that says so. The card is kept with it, as it was when planned."""
    task = tasks.new_task(
        KIND, now,
        unit_id=card.get("grid_unit_id"),
        resident_id=card["resident_id"],
        resident=resident_card(card),
        phone=card["phones"][0],
        caller_name=card["name"],
        planned_for=planned_for,
        checkin_key=checkin_key(card["resident_id"], planned_for),
        due_at=next_call_time(planned_for, window),
    )
    return task, [_scheduled_event(task, 1, task["due_at"])]


def cancellation(reason: str, now: dt.datetime) -> dict:
    """The changes that cancel a check-in (the store also frees its key)."""
    return {"status": tasks.CANCELLED, "note": reason, "completed_at": now,
            "claimed_by": None, "claimed_at": None, "lease_until": None}


# Completing

def complete(task: dict, worker_id: str, outcome: str, note: str | None,
             policy: CheckinPolicy, window: CallingWindow, card: dict,
             now: dt.datetime, actor: dict) -> tasks.Completion:
    """Complete the current attempt of a check-in: answered (anything but unreachable)
    says ``checkin_answered``; unreachable with tries left schedules the next one
    (``checkin_scheduled``); the last unreachable says ``checkin_missed`` with ``card``,
    the resident as the register now has them. ``actor`` is the worker's account,
    ``worker_id`` the holder (tasks.holder). Refusals as tasks.check_held."""
    done = tasks.attempt_completed(task, worker_id, outcome, note,
                                   max_attempts=policy.max_attempts, retry=policy.retry,
                                   window=window, now=now)
    if not done.final and done.next_due is not None:
        events = [_scheduled_event(task, task["attempt"] + 1, done.next_due)]
    elif outcome == tasks.UNREACHABLE:
        events = [new_event(tasks.SOURCE, "checkin_missed", event_data(
            "checkin_missed", task_id=task["_id"], resident_id=task["resident_id"],
            attempts=done.record["attempt"], planned_for=clock.iso(task["planned_for"]),
            resident=resident_card(card)), actor=actor)]
    else:
        events = [new_event(tasks.SOURCE, "checkin_answered", event_data(
            "checkin_answered", task_id=task["_id"], resident_id=task["resident_id"],
            attempt=done.record["attempt"], note=note, worker_id=worker_id), actor=actor)]
    return tasks.Completion(done.expected, done.changes, done.record, events)


def _scheduled_event(task: dict, attempt: int, due_at: dt.datetime) -> dict:
    data = event_data("checkin_scheduled", task_id=task["_id"], resident_id=task["resident_id"],
                      attempt=attempt, due_at=clock.iso(due_at))
    return new_event(tasks.SOURCE, "checkin_scheduled", data, actor=CHECKIN_PLANNER)


# What callers see

def result_of(task: dict) -> str | None:
    """How the check-in ended, in a word for the resident's card page: answered, missed,
    cancelled, or None while it is still to be called."""
    if task["status"] == tasks.CANCELLED:
        return tasks.CANCELLED
    if task["status"] != tasks.DONE:
        return None
    return CHECKIN_MISSED if task["outcome"] == tasks.UNREACHABLE else CHECKIN_ANSWERED


def as_history_entry(task: dict) -> dict:
    """A check-in as the resident's history shows it: the task (tasks.as_payload) and
    its ``result``."""
    return {**tasks.as_payload(task), "result": result_of(task)}
