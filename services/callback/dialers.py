"""Dialer adapters: how a callback worker places the call and learns the outcome.

Every adapter answers ``dial(task) -> DialResult(outcome, note)`` for a claimed task
(``phone`` in E.164, ``caller_name``, ``attempt``, ``kind``, ``ticket_no`` or, for a
check-in, ``resident_id``, ``task_id``), with ``outcome`` one of satisfied,
basically_satisfied, unsatisfied, unreachable (for a check-in, anything but unreachable
means the resident answered). An adapter
that could not place the call at all raises DialerError: the worker then reports
nothing and the task returns to the queue when its lease runs out.

- ``scripted``: outcomes read from a YAML script, for demos and tests.
- ``http``: a telephony/SMS/IVR gateway reached over HTTP (skeleton, see HttpGatewayDialer).
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from services.shared.schemas import CALLBACK_OUTCOMES, normalise_phone


@dataclass(frozen=True)
class DialResult:
    outcome: str
    note: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in CALLBACK_OUTCOMES:
            raise ValueError(f"not a callback outcome: {self.outcome!r}")
        # callback refuses an empty or overlong note; a gateway's chatter must not lose the result
        note = str(self.note).strip()[:4000] if self.note is not None else None
        object.__setattr__(self, "note", note or None)


class DialerError(Exception):
    """The call could not be placed (gateway down, refused request): no outcome to report."""


class Dialer(Protocol):
    def dial(self, task: dict) -> DialResult:
        """Place the call for a claimed task and say how it went."""


class ScriptedDialer:
    """Outcomes by number and attempt, from a script::

        default: satisfied                 # any number not listed
        call_seconds: 0.5                  # how long each call lasts (default 0)
        numbers:
          "13800000001": [unreachable, unreachable, satisfied]   # attempts 1, 2, 3…
          "+8613900000002": [unsatisfied]

    The list gives the outcome of attempt 1, 2, 3…; its last entry repeats for later
    attempts. Numbers may be written as a caller would; they are matched in E.164.
    """

    def __init__(self, script: dict | None):
        script = script or {}
        self.default = DialResult(script.get("default") or "satisfied").outcome
        self.call_seconds = float(script.get("call_seconds") or 0)
        if not 0 <= self.call_seconds <= 600:
            raise ValueError(f"call_seconds must be 0 to 600, not {self.call_seconds}")
        self.numbers: dict[str, list[str]] = {}
        for phone, outcomes in (script.get("numbers") or {}).items():
            outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes or [])
            if not outcomes:
                raise ValueError(f"no outcomes scripted for {phone!r}")
            self.numbers[normalise_phone(phone)] = [DialResult(outcome).outcome
                                                    for outcome in outcomes]

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedDialer:
        with open(path, encoding="utf-8") as script:
            return cls(yaml.safe_load(script))

    def dial(self, task: dict) -> DialResult:
        # A call takes time: a worker killed meanwhile holds its task (make faults).
        time.sleep(self.call_seconds)
        try:
            phone = normalise_phone(task["phone"])
        except ValueError:
            return DialResult("unreachable", "scripted: not a valid number")
        outcomes = self.numbers.get(phone)
        if outcomes is None:
            return DialResult(self.default, "scripted: default")
        outcome = outcomes[min(task["attempt"], len(outcomes)) - 1]
        return DialResult(outcome, f"scripted: attempt {task['attempt']}")


# What a gateway may say about the call, beyond a rating from someone who answered.
GATEWAY_NOT_REACHED = ("no_answer", "busy", "failed", "rejected", "voicemail", "powered_off")


def outcome_from_reply(reply: dict) -> DialResult:
    """A gateway's synchronous reply as a result (see HttpGatewayDialer)."""
    status = reply.get("status")
    note = reply.get("note")
    if status == "answered":
        rating = reply.get("satisfaction")
        if rating in ("satisfied", "basically_satisfied", "unsatisfied"):
            return DialResult(rating, note)
        # Someone picked up but gave no rating (hung up in the IVR): try again later.
        return DialResult("unreachable", note or "answered without a rating")
    if status in GATEWAY_NOT_REACHED:
        return DialResult("unreachable", note or status)
    raise DialerError(f"gateway reply not understood: {reply!r}")


class HttpGatewayDialer:
    """A telephony/SMS/IVR platform behind HTTP: the skeleton of the second adapter.

    Request: ``POST <url>`` with JSON ``{task_id, ticket_no, resident_id, kind, attempt,
    phone, caller_name}`` (and ``Authorization: Bearer <token>`` when a token is configured).
    Synchronous reply, 200 with JSON ``{status, satisfaction, note}``: ``status``
    answered (with ``satisfaction`` satisfied, basically_satisfied or unsatisfied) or
    one of no_answer, busy, failed, rejected, voicemail, powered_off → unreachable.
    A 202 means the gateway will report the result later, to an endpoint of ours that
    does not exist yet: NotImplementedError. Transport errors and 4xx/5xx: DialerError.
    """

    def __init__(self, url: str, token: str | None = None, timeout_seconds: float = 90.0):
        self.url = url
        self.token = token
        self.timeout_seconds = timeout_seconds

    def dial(self, task: dict) -> DialResult:
        body = json.dumps({name: task.get(name) for name in (
            "task_id", "ticket_no", "resident_id", "kind", "attempt", "phone",
            "caller_name")}).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                if response.status == 202:
                    raise NotImplementedError(
                        "asynchronous gateways need an endpoint that receives the result")
                return outcome_from_reply(json.load(response))
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise DialerError(f"gateway {self.url}: {exc}") from exc


def build_dialer(name: str, options: dict | None = None) -> Dialer:
    """The adapter called ``name``: ``scripted`` (options: ``script``, a YAML path) or
    ``http`` (options: ``url``, ``token``, ``timeout_seconds``). ValueError otherwise."""
    options = options or {}
    if name == "scripted":
        if not options.get("script"):
            raise ValueError("the scripted dialer needs a script (--script PATH)")
        return ScriptedDialer.from_file(options["script"])
    if name == "http":
        if not options.get("url"):
            raise ValueError("the http dialer needs a gateway url")
        return HttpGatewayDialer(options["url"], options.get("token"),
                                 float(options.get("timeout_seconds") or 90.0))
    raise ValueError(f"no dialer called {name!r}; known: scripted, http")
