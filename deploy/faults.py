"""`make faults`: the fault drill. While 1,000 tickets are created at a steady rate and
worked by scripted units and callback workers, every part of the system fails once:

- kill -9 of each service (intake, dispatch, callback, ledger, register, accounts), restarted
  at once;
- kill -9 of a callback worker in the middle of a call (holding a task), restarted;
- dispatch hung (SIGSTOP) for longer than its callers wait, then let go on (SIGCONT): it
  refuses, as it wakes, the requests it held whose callers were told they failed (the
  report counts them);
- a crash (kill -9) and restart of RabbitMQ: a node of the drill's own
  (deploy/private_broker.py), so the broker that `make run` and the tests share is untouched;
- the storage of every service away for a few seconds, then its disk full for as long (the
  fault switch of services/shared/storage.py);
- poison: bad messages published on the services' queues (a body that is not JSON, an
  envelope of an unknown event type, a ticket_created whose data does not fit, an RPC
  request that cannot be decoded: deploy/poison.py), each of which every service that
  hears it must park exactly once (services/shared/parking.py);
- clocks stepped (services/shared/clock.py: each service reads a step file of its own):
  callback's two minutes forward, past its leases, so that other live workers claim the
  tasks held then again and the fence must refuse the first holders' reports; dispatch's
  an hour back; each for a few seconds, alongside another fault, then put back.

Meanwhile an admin makes an account for a unit's staff every few seconds, and each signs in.

Afterwards every ticket ``create_ticket`` accepted must exist once, reach the state its
script leads to (closed) along the script's path, with the ledger holding each of its
events exactly once and in order, and the ledger's hash chains intact; every call that
failed must have told its caller (an error, never silence), and a retry with the same
``external_id`` must succeed without a duplicate. Every account made (at once or when
retried) must sign in, with its unit's name, and be recorded in the ledger as created exactly
once. Every poison message is parked once by each service that hears it (counted in the
parking queues as ``hotline-admin parked`` reads them, and by each service's ``parked_count``),
and no callback task has an outcome recorded for two claims. A ticket with an event stamped
by a stepped clock is held to its script's path like any other: the ledger reads a history
in causal order (``caused_by``, dispatch's ``ticket_version``), not by the stamps. Prints
sent, accepted, completed, lost and duplicated, the poison sent and parked and what the
stepped clocks did; exits 1 unless lost and duplicated are 0 and every check holds.
Writes var/faults/faults.json; the parts' logs go to var/faults/log/.

The timers' work is watched too: tickets nobody works, with a short accept deadline, are
each reported overdue once and warned of at most once; residents' check-ins are each
planned once.

With ``--copies 2``: two copies of every service, each its own process, on the wire store
(deploy/wire_store.py, MongoDB's stand-in, on the embedded store), and the faults of
copies: kill -9 of one copy of each service in turn, poison, a callback worker killed in a
call, every store connection dropped, no primary (NotWritablePrimary) for 5 s; the same
checks. Writes var/faults/copies.json; logs in var/faults/copies-log/.

With ``--cluster``: the services on a RabbitMQ cluster of three nodes
(deploy/broker_cluster.py) in a vhost of quorum queues with the broker's parking
(deploy/rabbitmq/queues.py), every part given the three nodes' addresses; under load,
poison, then one node killed with -9 (the one every part connected to first) and started
again, then a rolling restart of all three (each drained, stopped and started in turn);
the same checks. Writes var/faults/cluster.json; logs in var/faults/cluster-log/.

    .venv/bin/python deploy/faults.py [--tickets 1000] [--rate 12] [--copies 2 | --cluster]
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

import bench  # noqa: E402  deploy/bench.py: the same calls as the benchmark's
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py
import picture  # noqa: E402
import poison  # noqa: E402  deploy/poison.py: the bad messages and where they are parked
import run_lock  # noqa: E402  deploy/run_lock.py
import single_machine  # noqa: E402  (its import puts deploy/rabbitmq on the path)
from broker_cluster import BrokerCluster  # noqa: E402
from private_broker import PrivateBroker  # noqa: E402
from queues import apply as quorum_vhost  # noqa: E402  deploy/rabbitmq/queues.py
from wire_store import WireStoreProcess  # noqa: E402

from services.shared import clock as hotline_clock  # noqa: E402  (Clock below is the drill's)
from services.shared import leases  # noqa: E402
from services.shared.errors import HotlineError, IllegalTransition, NotFound, NotPermitted  # noqa: E402
from services.shared.rpc_client import ServiceProxy, ServicesUnavailable  # noqa: E402
from services.shared.schemas import SYSTEM_ACTOR  # noqa: E402
from services.shared.statements import vouch  # noqa: E402

OUT = ROOT / "var" / "faults"
RPC_TIMEOUT = 10          # a caller waits this long before it is told the call failed
CALLBACK_WORKERS = 4
CALL_SECONDS = 0.2        # each scripted callback call lasts this long
LEASE_SECONDS = 5         # a killed worker's task is claimed again after this
STORAGE_OUTAGE_SECONDS = 5
SETTLE_SECONDS = 240      # after the last call, how long tickets may take to close
# The clocks stepped, each for CLOCK_STEP_SECONDS while tickets flow, then put back.
# callback's forward by more than its lease (the leases held then lapse, and other live
# workers claim those tasks again: the fence must refuse the first holders' reports) but
# well inside a statement's five minutes (statements.py), so that workers go on working;
# dispatch's back an hour (it refuses statements that seem issued in its future, so the
# units wait; what it says on its own is still stamped after its cause: events.new_event).
CLOCK_STEPS = {"callback": dt.timedelta(minutes=2), "dispatch": dt.timedelta(hours=-1)}
CLOCK_STEP_SECONDS = 4
# A timeline entry stamped this far ahead of its recording, or this far behind, was stamped
# by a stepped clock (the ledger's own is never stepped); no backlog comes near either.
STAMPED_AHEAD = dt.timedelta(seconds=5)
STAMPED_BEHIND = dt.timedelta(minutes=30)

# Each ticket follows one script; the share of each is by the ticket's index mod 10.
SCRIPTS = {
    "resolve": ["ticket_created", "ticket_dispatched", "ticket_accepted", "ticket_resolved",
                "callback_scheduled", "callback_completed", "ticket_closed"],
    "contact": ["ticket_created", "ticket_dispatched", "ticket_accepted", "ticket_contacted",
                "ticket_resolved", "callback_scheduled", "callback_completed", "ticket_closed"],
    "return": ["ticket_created", "ticket_dispatched", "ticket_returned", "ticket_dispatched",
               "ticket_accepted", "ticket_resolved", "callback_scheduled",
               "callback_completed", "ticket_closed"],
}
SCRIPT_BY_INDEX = ["resolve"] * 6 + ["contact"] * 2 + ["return"] * 2
FINAL_STATE = "closed"
ACCOUNT_EVERY_SECONDS = 2  # an admin makes an account this often while tickets are sent
ACCOUNTS = 40             # at most
DRILL_PASSWORD = "drill-staff-pass"
ADMIN = {"username": "drill-admin", "name": "演练管理员", "password": "drill-admin-pass"}
ADMIN_ACTOR = {"id": ADMIN["username"], "name": ADMIN["name"], "role": "admin", "unit_id": None}
DISPATCHER = {"id": "drill-centre", "name": "演练派单员", "role": "dispatcher", "unit_id": None}
OBSERVER = {"id": "drill", "name": "演练", "role": "supervisor", "unit_id": None}
# A dead copy's timers (the deadline check, the outbox sweeps, check-in planning) run in
# another copy after this (services/shared/leases.py); 10 s in production.
TIMER_LEASE_SECONDS = 3
NODE_DOWN_SECONDS = 5  # the cluster drill's killed node stays down this long
KILLED_WORKER = "kill -9 a callback worker in a call"
# Tickets nobody works, whose accept deadline the drill's policy makes short, sent one by
# one through the first 60% of the sending: each must be reported overdue once, and
# warned of at most once, whatever the faults and however many copies check deadlines.
# A check that finds the deadline already passed reports it without a warning (as after
# a service was down through the warning's time), so some may go unwarned; not all.
WATCHED = 20
WATCHED_KIND = "suggestion"  # the scripted tickets are complaints
WATCHED_ACCEPT_HOURS = 0.01  # 36 s: warned after 29 s, 7 s before it passes
OVERDUE_CHECK_SECONDS = 2  # dispatch's deadline check (10 s in production)
# Residents of the register with a check-in planned for the minute the drill starts (and
# the next day's): each planned time must be planned once, and today's called.
RESIDENTS = 10
GRID = "yinhang-grid-1"
AGENT = {"id": "drill-agent", "name": "演练话务员", "role": "agent", "unit_id": None}


def staff_of(unit_id: str) -> str:
    """A unit's staff, as accounts would vouch for them (the drill holds accounts' key)."""
    return vouch({"id": f"drill-{unit_id}", "name": "演练承办人", "role": "unit_staff",
                  "unit_id": unit_id})


@dataclass
class Ticket:
    index: int
    external_id: str
    script: str
    number: str | None = None
    first_unit: str | None = None   # the unit it was first dispatched to
    failures: list[str] = field(default_factory=list)  # what failed calls told the caller
    retried: bool = False
    state: str | None = None
    # events of steps whose call told the drill it failed: such a step may have been
    # carried out all the same, and taken again by the unit on its next look
    told_failed_steps: set[str] = field(default_factory=set)
    photos: int = 0  # the photos of the site its resolve carried (photos_at_resolve)

    def expected_path(self) -> list[str]:
        """Its script's events, each photo resolve carried recorded before the resolve."""
        path = list(SCRIPTS[self.script])
        at = path.index("ticket_resolved")
        return path[:at] + ["attachment_added"] * self.photos + path[at:]


def by_change(timeline: list[dict]) -> list[dict]:
    """The timeline with the events of one change of dispatch's (one ``ticket_version``)
    in the order the change says them: what it attached, then the step. The ledger reads
    such events as happening at once (one version, one time), so their order among
    themselves is the ledger's arrival order, which a fault may turn round."""
    ordered: list[dict] = []
    for entry in timeline:
        last = ordered[-1] if ordered else None
        same_change = last is not None and entry.get("ticket_version") is not None \
            and (last["source"], last.get("ticket_version")) == (entry["source"],
                                                                 entry["ticket_version"])
        if same_change and entry["event_type"] == "attachment_added":
            at = len(ordered)
            while at > 0 and ordered[at - 1]["event_type"] != "attachment_added" and \
                    ordered[at - 1].get("ticket_version") == entry["ticket_version"] and \
                    ordered[at - 1]["source"] == entry["source"]:
                at -= 1
            ordered.insert(at, entry)
        else:
            ordered.append(entry)
    return ordered


class Clock:
    def __init__(self):
        self.started = time.monotonic()

    def at(self) -> float:
        return round(time.monotonic() - self.started, 1)

    def say(self, text: str) -> None:
        print(f"  [{self.at():6.1f} s] {text}", flush=True)


def described(error: Exception) -> str:
    text = f"{type(error).__name__}: {error}"
    return text[:160]


CLUSTER_VHOST = "hotline"  # the cluster drill's: quorum queues (deploy/rabbitmq/queues.py)


class Drill:
    def __init__(self, args: argparse.Namespace, broker: PrivateBroker | BrokerCluster,
                 data_dir: Path, log_dir: Path, store_uri: str | None = None):
        """The single-machine drill on the embedded store in ``data_dir``; or, with
        ``store_uri`` (a wire store's), ``args.copies`` copies of every service on it; on
        a cluster (``broker`` a BrokerCluster), in a vhost of quorum queues."""
        self.args = args
        self.copies = args.copies
        self.store_uri = store_uri or f"litemongo:{data_dir}"
        self.broker = broker
        api = permissions.api_of(broker.api_uri)
        vhost = "/"
        if isinstance(broker, BrokerCluster):
            vhost = CLUSTER_VHOST
            quorum_vhost(api, vhost)
        # Each part as its own broker user, made on the drill's node by its admin; the
        # drill's own calls (tickets, units, accounts, checks) as the console's user.
        self.uris = permissions.RunUsers(api, broker.amqp_uri, prefix="").grant(vhost)
        self.uri = self.uris["console"]
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.switch = data_dir / "storage-fault-switch"
        self.clock = Clock()
        self.run_id = f"drill-{int(time.time())}"
        self.tickets = [Ticket(i, f"{self.run_id}-{i:05d}", SCRIPT_BY_INDEX[i % 10])
                        for i in range(args.tickets)]
        self.by_number: dict[str, Ticket] = {}
        self.lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.successes: list[float] = []  # when create_ticket calls succeeded
        self.failures_at: list[float] = []  # when they told their caller they failed
        self.faults: list[dict] = []
        self.two_numbers: list[str] = []  # one external_id answered with two ticket numbers
        self.accounts: dict[str, str] = {}  # username -> unit_id, of the accounts made
        # told_failed, signed_in, ...
        self.account_calls: collections.Counter[str] = collections.Counter()
        self.account_desk_stopped: str | None = None  # an answer neither refusal nor "away"
        self.stop_working = threading.Event()
        self.stop_supervising = threading.Event()
        self.policy = data_dir / "policy.yml"
        self.env = {**single_machine.statement_keys(dict(os.environ), data_dir / "keys"),
                    **single_machine.DEFAULTS,
                    "MONGO_URI": self.store_uri, "POLICY_FILE": str(self.policy),
                    "CALLBACK_DELAY_MINUTES": "0", "CALLBACK_WINDOW_START": "00:00",
                    "CALLBACK_WINDOW_END": "24:00", "CALLBACK_LEASE_SECONDS": str(LEASE_SECONDS),
                    "LEASE_SECONDS": str(TIMER_LEASE_SECONDS),
                    "OVERDUE_CHECK_SECONDS": str(OVERDUE_CHECK_SECONDS),
                    "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
        if store_uri is None:  # the embedded store's faults come through the switch
            self.env["STORAGE_FAULT_SWITCH"] = str(self.switch)
        self.clocks = data_dir / "clocks"  # each service's step file (services/shared/clock.py)
        self.stepped_until = 0.0  # monotonic: until then a service's clock may be stepped
        self.poison: list[poison.Poison] = []  # the bad messages published
        self.script = data_dir / "dialer.yml"
        self.worker_env = dict(self.env)  # with the workers' token, once accounts issues it
        self.worker_ids = [f"drill-worker-{n}" for n in range(1, CALLBACK_WORKERS + 1)]
        self.supervisor = single_machine.Supervisor({
            **{part: functools.partial(single_machine.start_service, name,
                                       self.service_env(name), self.uris, log_dir, part)
               for part, name in self.service_parts()},
            **{worker: functools.partial(single_machine.callback_worker, worker,
                                         str(self.script), self.worker_env, self.uris,
                                         log_dir, 0.2)
               for worker in self.worker_ids},
        }, say=lambda text: self.clock.say(text))
        self.units: list[str] = []
        self.watched: list[str] = []  # the watched tickets' numbers
        self.watched_until = 0.0  # monotonic: when the last one's accept deadline passes
        self.watched_failed: list[str] = []  # watched tickets never made, and why
        self.residents: list[str] = []  # the residents with check-ins, by id

    # ------------------------------------------------------------ parts
    def service_parts(self) -> list[tuple[str, str]]:
        """(part, service) of every copy of every service (single_machine.copy_parts)."""
        return single_machine.copy_parts(self.copies)

    def service_env(self, name: str) -> dict:
        """A service's env: the drill's, with a clock of its own (a step file)."""
        return {**self.env, hotline_clock.STEP_FILE_ENV: str(self.clocks / f"{name}.step")}

    def start_parts(self) -> None:
        self.script.write_text(f"default: satisfied\ncall_seconds: {CALL_SECONDS}\n")
        self.policy.write_text(watched_policy(), encoding="utf-8")
        self.clocks.mkdir(parents=True, exist_ok=True)
        started = single_machine.start_services(self.env, self.uris, self.log_dir, 120,
                                                init=True, env_of=self.service_env,
                                                copies=self.copies)
        for name, process in started.items():
            self.supervisor.adopt(name, process)
        self.worker_env["HOTLINE_TOKEN"] = single_machine.program_token(
            self.uri, single_machine.CALLBACK_WORKER_ACCOUNT, self.data_dir / "keys")
        for worker in self.worker_ids:
            self.supervisor.adopt(worker, self.supervisor.starters[worker]())
        self.supervisor.watch(self.stop_supervising, every=0.2)
        proxy = ServiceProxy(self.uri, RPC_TIMEOUT)
        self.units = [unit["id"] for unit in proxy.call("dispatch", "get_directory",
                                                        vouch(OBSERVER))["units"]]
        proxy.call("accounts", "create_first_admin", ADMIN)
        proxy.close()

    def stop_parts(self) -> None:
        # The parts first: those the supervisor's thread started again are told to stop
        # as that thread ends (single_machine.start), which would cut their stop short.
        self.supervisor.stop()
        self.stop_supervising.set()

    # ------------------------------------------------------------ load
    def send(self, lane: int, lanes: int) -> None:
        """Create every lanes-th ticket at its time on the steady schedule."""
        proxy = ServiceProxy(self.uri, RPC_TIMEOUT)
        chance = random.Random(lane)
        interval = 1.0 / self.args.rate
        for ticket in self.tickets[lane::lanes]:
            due = self.clock.started + ticket.index * interval
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self.create(proxy, ticket, chance)
        proxy.close()

    def create(self, proxy: ServiceProxy, ticket: Ticket, chance: random.Random) -> bool:
        request = {**bench.ticket_request(chance), "external_id": ticket.external_id,
                   "merge": False}
        with self.lock:
            self.calls["create_ticket"] += 1
        try:
            answer = proxy.call("intake", "create_ticket", request, vouch(AGENT))
        except HotlineError:
            raise  # a refusal would be a defect of the drill's requests, not a fault
        except Exception as error:  # told: a timeout, a lost connection, a storage error
            with self.lock:
                ticket.failures.append(described(error))
                self.failures_at.append(time.monotonic())
            return False
        with self.lock:
            if ticket.number not in (None, answer["ticket_no"]):  # one call, two tickets
                self.two_numbers.append(f"{ticket.external_id}: {ticket.number} and "
                                        f"{answer['ticket_no']}")
            ticket.number = answer["ticket_no"]
            self.by_number[ticket.number] = ticket
            self.successes.append(time.monotonic())
        return True

    def retry_failed(self) -> None:
        """Each failed call again with the same external_id until it succeeds."""
        proxy, chance = ServiceProxy(self.uri, RPC_TIMEOUT), random.Random(99)
        deadline = time.monotonic() + 120
        for ticket in self.tickets:
            if ticket.number is not None:
                continue
            ticket.retried = True
            while not self.create(proxy, ticket, chance):
                if time.monotonic() > deadline:
                    break
                time.sleep(1)
        proxy.close()

    # ------------------------------------------------------------ scripted units
    def work_units(self, units: list[str]) -> None:
        """These units (one of them may be the centre) work their queues as each ticket's
        script says; each unit is worked by one thread only, as one desk would."""
        proxy = ServiceProxy(self.uri, RPC_TIMEOUT)
        dispatch = proxy.of("dispatch")
        while not self.stop_working.is_set():
            for unit_id in units:
                try:
                    actor = vouch(DISPATCHER) if unit_id == "centre" else staff_of(unit_id)
                    for row in dispatch.queue(unit_id, actor):
                        self.step(dispatch, unit_id, row)
                except HotlineError:
                    continue  # the ticket moved on meanwhile
                except Exception:  # a fault in progress: look again shortly
                    time.sleep(0.5)
            self.stop_working.wait(0.3)
        proxy.close()

    def step(self, dispatch, unit_id: str, row: dict) -> None:
        with self.lock:
            ticket = self.by_number.get(row["ticket_no"])
        if ticket is None or row.get("role") != "lead":
            return  # its creation's answer was lost: known after the retry
        state, number = row["state"], row["ticket_no"]
        staff = staff_of(unit_id)
        step: tuple[Any, ...]  # (the event it makes, the RPC, its arguments…)
        if unit_id == "centre":
            other = next(u for u in self.units if u not in ("centre", ticket.first_unit))
            step = ("ticket_dispatched", dispatch.reassign, vouch(DISPATCHER), other, "演练: 改派")
        elif state == "dispatched":
            if ticket.first_unit is None:
                ticket.first_unit = unit_id
            if ticket.script == "return" and unit_id == ticket.first_unit:
                step = ("ticket_returned", dispatch.return_ticket, staff, "演练: 非本单位职责")
            else:
                step = ("ticket_accepted", dispatch.accept, staff)
        elif state == "accepted" and ticket.script == "contact":
            step = ("ticket_contacted", dispatch.record_contact, staff, "演练: 已联系")
        elif state in ("accepted", "contacted"):
            # the photos of the site the policy asks of its category (photos_at_resolve)
            photos = ticket.photos = dispatch.get_status(number, staff)["photos_required"]
            step = ("ticket_resolved", dispatch.resolve, staff, "演练: 已处理",
                    bench.site_photos(photos))
        else:
            return
        event, call, *args = step
        try:
            call(number, *args)
        except HotlineError:
            pass  # a step already taken (its answer lost): the state says what is next
        except Exception:
            ticket.told_failed_steps.add(event)
            raise

    # ------------------------------------------------------------ accounts
    def work_accounts(self) -> None:
        """An admin makes an account for staff of a unit every ACCOUNT_EVERY_SECONDS (a call
        told it failed is made again until it succeeds or finds the account there: the
        first was carried out), and the new account signs in. Any other answer stops the
        admin's desk, and the drill fails saying what it was."""
        try:
            self._make_accounts()
        except Exception as unexpected:  # a fault must come as a refusal or as "away"
            self.account_desk_stopped = repr(unexpected)
            raise

    def _make_accounts(self) -> None:
        proxy = ServiceProxy(self.uri, RPC_TIMEOUT)
        units = [unit for unit in self.units if unit != "centre"]
        for n in range(ACCOUNTS):
            if self.stop_working.wait(ACCOUNT_EVERY_SECONDS):
                break
            user = drill_account(n, units[n % len(units)])
            while not self.stop_working.is_set():
                try:
                    proxy.call("accounts", "create_user", user, vouch(ADMIN_ACTOR))
                except IllegalTransition:
                    pass  # made by a call the drill was told had failed
                except ServicesUnavailable:  # told: a fault in progress; try again shortly
                    self.account_calls["told_failed"] += 1
                    time.sleep(0.5)
                    continue
                except NotPermitted:
                    # accounts asks dispatch for the unit, passing the admin's statement
                    # on: dispatch with its clock stepped back takes it for one issued in
                    # its future and refuses it. Asked again once the clock is back.
                    if time.monotonic() >= self.stepped_until:
                        raise
                    self.account_calls["refused_clock_stepped"] += 1
                    time.sleep(0.5)
                    continue
                self.accounts[user["username"]] = user["unit_id"]
                break
            try:
                proxy.call("accounts", "authenticate", user["username"], user["password"])
                self.account_calls["signed_in"] += 1
            except ServicesUnavailable:
                self.account_calls["sign_in_told_failed"] += 1
            except HotlineError:  # check_accounts says which and why
                self.account_calls["sign_in_refused"] += 1
        proxy.close()

    def check_accounts(self, rpc: dict) -> list[str]:
        """Every account made signs in, with its unit's name as dispatch has it."""
        names = {unit["id"]: unit["name"]
                 for unit in rpc["dispatch"].get_directory(vouch(OBSERVER))["units"]}
        wrong = [] if self.account_desk_stopped is None else [
            f"the admin's desk stopped on {self.account_desk_stopped}"]
        for username, unit_id in sorted(self.accounts.items()):
            try:
                who = rpc["accounts"].authenticate(username, DRILL_PASSWORD)
            except HotlineError as refusal:
                wrong.append(f"{username}: {refusal}")
                continue
            if (who["unit_id"], who["unit_name"]) != (unit_id, names[unit_id]):
                wrong.append(f"{username}: {who['unit_id']} {who['unit_name']}")
        return wrong

    # ------------------------------------------------------------ timers' work
    def start_watching(self) -> None:
        """The residents whose check-ins are planned now (the watched tickets come one by
        one while the tickets are sent: ``send_watched``); what the timers must say once
        each."""
        proxy = ServiceProxy(self.uri, RPC_TIMEOUT)
        plan_time = f"{hotline_clock.local(hotline_clock.now()):%H:%M}"
        self.residents = [proxy.call("register", "add_resident",
                                     drill_resident(n, plan_time),
                                     vouch(ADMIN_ACTOR))["resident_id"]
                          for n in range(RESIDENTS)]
        proxy.close()

    def send_watched(self) -> None:
        """The watched tickets, one every so often through the first 60% of the sending;
        each call told it failed made again with the same external_id for up to a minute
        (one never made, or refused, is said among the checks' problems)."""
        proxy, chance = ServiceProxy(self.uri, RPC_TIMEOUT), random.Random(7)
        every = 0.6 * self.args.tickets / self.args.rate / WATCHED
        for n in range(WATCHED):
            if self.stop_working.wait(every if n else 0):
                break
            request = {**watched_request(chance), "external_id": f"{self.run_id}-watch-{n}",
                       "merge": False}
            deadline = time.monotonic() + 60
            while True:
                try:
                    answer = proxy.call("intake", "create_ticket", request, vouch(AGENT))
                except HotlineError as refusal:  # a defect of the drill's request
                    self.watched_failed.append(f"watched ticket {n} refused: {refusal}")
                    break
                except Exception as error:  # told: a fault in progress; made again shortly
                    if time.monotonic() > deadline:
                        self.watched_failed.append(f"watched ticket {n} never made: "
                                                   f"{described(error)}")
                        break
                    time.sleep(0.5)
                    continue
                self.watched.append(answer["ticket_no"])
                self.watched_until = time.monotonic() + WATCHED_ACCEPT_HOURS * 3600
                break
        proxy.close()

    def wait_for_watched(self, seconds: float = 60) -> None:
        """Until the last watched ticket's accept deadline has passed and been checked."""
        # from the create's answer: dispatch, the check and the ledger's hearing of it after
        pause = self.watched_until + 2 * OVERDUE_CHECK_SECONDS + 10 - time.monotonic()
        if pause > 0:
            self.clock.say(f"waiting {pause:.0f} s for the last watched ticket's deadline")
            time.sleep(min(pause, seconds))

    def check_timers_said_once(self, rpc: dict) -> dict:
        """Each watched ticket warned once and reported overdue once; each resident's
        planned check-ins planned once each, today's called."""
        wrong: list[str] = list(self.watched_failed)
        said: collections.Counter[tuple] = collections.Counter()
        for number in self.watched:
            counts = collections.Counter(
                (entry["event_type"], entry["data"].get("deadline"))
                for entry in rpc["ledger"].timeline(number, vouch(SYSTEM_ACTOR)))
            said.update({key: counts[key] for key in (("ticket_warning", "accept"),
                                                      ("ticket_overdue", "accept"))})
            wrong += [f"{number}: {problem}" for problem in (
                said_once(counts, ("ticket_warning", "accept"), at_most=True),
                said_once(counts, ("ticket_overdue", "accept"))) if problem]
        if self.watched and not said[("ticket_warning", "accept")]:
            wrong.append("no watched ticket was warned of: the warnings went untested")
        planned, called = 0, 0
        for resident_id in self.residents:
            checkins = rpc["callback"].checkins_for(resident_id, vouch(ADMIN_ACTOR))
            times = collections.Counter(task["planned_for"] for task in checkins)
            planned += len(checkins)
            answered = sum(task["result"] == "answered" for task in checkins)
            called += answered
            if not answered:  # the one planned for the drill's first minute
                wrong.append(f"resident {resident_id}: no check-in answered")
            wrong += [f"resident {resident_id}: check-in at {at} planned {n} times"
                      for at, n in times.items() if n > 1]
            if not times:
                wrong.append(f"resident {resident_id}: no check-in planned")
        return {"watched_tickets": len(self.watched),
                "warnings": said[("ticket_warning", "accept")],
                "overdue": said[("ticket_overdue", "accept")], "residents": len(self.residents),
                "checkins_planned": planned, "checkins_answered": called,
                "timers_said_wrong": wrong}

    # ------------------------------------------------------------ faults
    def fault(self, name: str, action, on_its_own: bool = True) -> None:
        """Bring the fault about and wait until every service answers again; one run
        alongside another (not ``on_its_own``) is over when its action is, and does not
        name the parts started again meanwhile (the other's)."""
        started = time.monotonic()
        restarts = dict(self.supervisor.restarts)
        self.clock.say(f"fault: {name}")
        detail = action() or {}
        # A broker restart ends the services caught mid-reply (nameko's way); the
        # supervisor starts them again. Back means every service answers once more.
        if on_its_own:
            self.wait_until_answering()
        restarted = sorted(n for n, count in self.supervisor.restarts.items()
                           if count > restarts.get(n, 0)) if on_its_own else []
        record = {"fault": name, "at_s": round(started - self.clock.started, 1),
                  "took_s": round(time.monotonic() - started, 1), **detail}
        if restarted:
            record["restarted"] = restarted
        self.faults.append(record)
        self.clock.say(f"  back after {record['took_s']} s"
                       + (f"; started again: {', '.join(restarted)}" if restarted else ""))

    def wait_until_answering(self, seconds: float = 120) -> None:
        """Every service answers; one that dies meanwhile is the supervisor's to restart."""
        deadline = time.monotonic() + seconds
        while True:
            services = {name: self.supervisor.parts[name] for name in single_machine.SERVICES}
            try:
                return single_machine.wait_until_answering(self.uri, services, 5)
            except SystemExit:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def replaced(self, name: str, old: subprocess.Popen, seconds: float = 60) -> None:
        """Wait until the supervisor has started ``name`` again after ``old`` died."""
        deadline = time.monotonic() + seconds
        while self.supervisor.parts[name] is old:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} was not started again in {seconds:.0f} s")
            time.sleep(0.1)

    def kill_service(self, name: str):
        def action():
            process = self.supervisor.parts[name]
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.replaced(name, process)
        return action

    def kill_lease_holder(self, name: str):
        """kill -9 the copy of ``name`` that holds its timers' lease, as the store says
        (its holder names the process): the other copy must take its timers over."""
        def action():
            lease = self.timers_lease(name)
            pid = int(lease["holder"].split("/")[1])
            part = next(part for part, service in self.service_parts()
                        if service == name and self.supervisor.parts[part].pid == pid)
            self.kill_service(part)()
            return {"killed": part, "fence_then": lease["fence"]}
        return action

    def timers_lease(self, name: str) -> dict:
        """The lease of ``name``'s timers, read from the store."""
        with self.store_client() as client:
            return client[name][leases.LEASES].find_one({"_id": leases.TIMERS}) or {}

    def store_client(self) -> Any:
        """A client of the drill's own on the wire store (closed as its ``with`` ends)."""
        import pymongo

        return pymongo.MongoClient(self.store_uri, serverSelectionTimeoutMS=5000)

    def kill_worker_mid_call(self):
        """kill -9 a worker whose log shows it in a call (holding a claimed task)."""
        def action():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                for worker in self.worker_ids:
                    task = self.call_in_progress(worker)
                    process = self.supervisor.parts[worker]
                    if task and process.poll() is None:
                        process.send_signal(signal.SIGKILL)
                        process.wait()
                        self.replaced(worker, process)
                        return {"worker": worker, "task_id": task}
                time.sleep(0.02)
            raise RuntimeError("no callback worker was in a call for 30 s")
        return action

    def call_in_progress(self, worker: str) -> str | None:
        """The task the worker's log says it is calling for, with no outcome yet."""
        try:
            with open(self.log_dir / f"{worker}.log", "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 600))
                last = log.read().decode("utf-8", "replace").rstrip("\n").rsplit("\n", 1)[-1]
        except OSError:
            return None
        if " calling " in last and "(task " in last:
            return last.split("(task ", 1)[1].split(",", 1)[0]
        return None

    def hang_service(self, name: str):
        """Stop ``name`` (SIGSTOP) for longer than its callers wait, with requests handed
        to it, then let it go on (SIGCONT): its callers were told their calls failed, so it
        must carry none of them out when it wakes (services/shared/deadlines.py)."""
        def action():
            process = self.supervisor.parts[name]
            process.send_signal(signal.SIGSTOP)
            try:
                time.sleep(RPC_TIMEOUT + 3)
            finally:
                process.send_signal(signal.SIGCONT)
            time.sleep(2)  # what it held, read and refused
            return {"refused_on_waking": self.refused_on_waking(name)}
        return action

    def refused_on_waking(self, name: str) -> int:
        """How many requests ``name``'s log says it refused, their callers gone."""
        try:
            text = (self.log_dir / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 0
        return text.count("the caller stopped waiting")

    def restart_broker(self):
        def action():
            assert isinstance(self.broker, PrivateBroker)
            self.broker.crash()
            time.sleep(1)
            return {"broker_start_s": round(self.broker.start(), 1)}
        return action

    def crash_node(self, index: int, down_seconds: float):
        """kill -9 one node of the cluster, under load; start it again ``down_seconds``
        later (meanwhile the parts go on with the other two)."""
        def action():
            assert isinstance(self.broker, BrokerCluster)
            self.broker.crash(index)
            time.sleep(down_seconds)
            return {"node_back_s": round(self.broker.start_node(index), 1)}
        return action

    def roll_cluster(self):
        """A rolling restart of the cluster, under load (BrokerCluster.roll)."""
        def action():
            assert isinstance(self.broker, BrokerCluster)
            return {"nodes_restarted_s": self.broker.roll()}
        return action

    def disk_full(self):
        """Every service's store answers as SQLite does on a full disk, for a few seconds
        (the fault switch saying disk-full): callers are told ServicesUnavailable, why, and
        all is well again once there is room."""
        def action():
            self.switch.write_text("disk-full", encoding="utf-8")
            time.sleep(STORAGE_OUTAGE_SECONDS)
            self.switch.unlink()
        return action

    def storage_outage(self):
        def action():
            self.switch.touch()
            time.sleep(STORAGE_OUTAGE_SECONDS)
            self.switch.unlink()
        return action

    def misbehave_store(self, how: str, seconds: float):
        """The wire store misbehaves as a replica set does (deploy/wire_store.py): drops
        every connection, or has no primary (writes answered NotWritablePrimary)."""
        def action():
            with self.store_client() as client:
                client.admin.command({"hotlineMisbehave": how, "seconds": seconds})
            time.sleep(seconds)
        return action

    def publish_poison(self):
        """Publish the bad messages (deploy/poison.py), each as the broker user that may,
        and see them parked; whether each was parked once is counted at the end."""
        def action():
            self.poison = poison.poisons(self.run_id)
            for message in self.poison:
                poison.publish(message, self.uris[message.user])
            expected = sum(len(message.parked_by) for message in self.poison)
            deadline, found = time.monotonic() + 10, 0
            while time.monotonic() < deadline:
                found = sum(sum(counts.values())
                            for counts in poison.tally(self.uris["operator"]).values())
                if found >= expected:
                    break
                time.sleep(0.5)
            return {"sent": len(self.poison), "parked_then": found}
        return action

    def step_clock(self, name: str, step: dt.timedelta):
        """Step ``name``'s clock (its step file) for CLOCK_STEP_SECONDS, then put it back."""
        def action():
            step_file = self.clocks / f"{name}.step"
            self.stepped_until = float("inf")
            hotline_clock.write_step_file(step_file, step)
            try:
                time.sleep(CLOCK_STEP_SECONDS)
            finally:
                hotline_clock.write_step_file(step_file, dt.timedelta(0))
                # answers given while it was stepped may still be on their way
                self.stepped_until = time.monotonic() + 2
            time.sleep(hotline_clock.STEP_FILE_READ_SECONDS)  # read again: back
            return {"step_s": step.total_seconds()}
        return action

    def schedule(self) -> list[tuple[float, list[tuple[str, Any]]]]:
        """The faults, spread over the sending time (1,000 tickets at 12/s: about 83 s): at
        each time one fault, and maybe another alongside it that has nothing to do with
        it (a clock stepped while a service it does not ask is killed), so the drill
        takes no longer for it. With copies, those of copies on a shared store."""
        span = self.args.tickets / self.args.rate
        if self.copies > 1:
            return self.copies_schedule(span)
        if self.args.cluster:
            return self.cluster_schedule(span)
        plan: list[list[tuple[str, Any]]] = [[(f"kill -9 {name}", self.kill_service(name))]
                                             for name in single_machine.SERVICES]
        plan[3].append((clock_fault("dispatch"),  # with the ledger killed
                        self.step_clock("dispatch", CLOCK_STEPS["dispatch"])))
        plan[4].append((clock_fault("callback"),  # with the register killed
                        self.step_clock("callback", CLOCK_STEPS["callback"])))
        # On its own: a service killed between parking a copy and taking the message off
        # its queue would rightly park it again (at least once), which the drill counts.
        plan.insert(3, [("poison messages published", self.publish_poison())])
        plan += [[(KILLED_WORKER, self.kill_worker_mid_call())],
                 [(f"dispatch hung (SIGSTOP) {RPC_TIMEOUT + 3} s", self.hang_service("dispatch"))],
                 [("crash and restart RabbitMQ", self.restart_broker())],
                 [(f"storage away for {STORAGE_OUTAGE_SECONDS} s", self.storage_outage())],
                 [(f"disk full for {STORAGE_OUTAGE_SECONDS} s", self.disk_full())]]
        return [(span * (n + 1) / (len(plan) + 1.5), faults) for n, faults in enumerate(plan)]

    def cluster_schedule(self, span: float) -> list[tuple[float, list[tuple[str, Any]]]]:
        """Poison (parked from quorum queues), the first node killed with -9 (every part
        connects to it first: all fail over) and started again, then the rolling restart
        of all three, begun halfway through the sending so it runs under load."""
        return [(span * 0.1, [("poison messages published", self.publish_poison())]),
                (span * 0.25, [(f"kill -9 RabbitMQ node 1 of 3 ({NODE_DOWN_SECONDS} s down)",
                                self.crash_node(0, NODE_DOWN_SECONDS))]),
                (span * 0.5, [("rolling restart of the 3 RabbitMQ nodes",
                               self.roll_cluster())])]

    def copies_schedule(self, span: float) -> list[tuple[float, list[tuple[str, Any]]]]:
        """kill -9 of one copy of each service in turn (the others go on, taking over its
        timers), poison, a callback worker killed in a call, every store connection
        dropped, and no primary for STORAGE_OUTAGE_SECONDS."""
        parts = self.service_parts()  # each service's copies side by side
        # the first copy of one service, the second of the next…; dispatch's, the copy
        # that runs its timers (the deadline check) at the time
        killed = [parts[n * self.copies + n % self.copies][0]
                  for n in range(len(single_machine.SERVICES))]
        plan: list[list[tuple[str, Any]]] = [
            [("kill -9 the dispatch copy running the timers",
              self.kill_lease_holder("dispatch"))] if part.startswith("dispatch")
            else [(f"kill -9 {part}", self.kill_service(part))] for part in killed]
        plan.insert(3, [("poison messages published", self.publish_poison())])
        plan += [[(KILLED_WORKER, self.kill_worker_mid_call())],
                 [("every store connection dropped", self.misbehave_store("drop", 1))],
                 [(f"no primary (NotWritablePrimary) for {STORAGE_OUTAGE_SECONDS} s",
                   self.misbehave_store("not_primary", STORAGE_OUTAGE_SECONDS))]]
        return [(span * (n + 1) / (len(plan) + 1.5), faults) for n, faults in enumerate(plan)]

    def run_faults(self) -> None:
        alongside: list[threading.Thread] = []
        for at, faults in self.schedule():
            pause = self.clock.started + at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            (name, action), *others = faults
            for other, other_action in others:
                alongside.append(threading.Thread(target=self.fault,
                                                  args=(other, other_action, False)))
                alongside[-1].start()
            self.fault(name, action)
        for thread in alongside:
            thread.join()
        self.faults.sort(key=lambda fault: fault["at_s"])

    # ------------------------------------------------------------ progress
    def report_progress(self) -> None:
        while not self.stop_working.wait(10):
            with self.lock:
                accepted = sum(t.number is not None for t in self.tickets)
                failed = sum(bool(t.failures) for t in self.tickets)
            self.clock.say(f"{self.calls['create_ticket']} calls, {accepted} accepted, "
                           f"{failed} told of a failure")

    def wait_for_closing(self) -> int:
        """Poll each accepted ticket's state until all are closed or time runs out."""
        proxy = ServiceProxy(self.uri, RPC_TIMEOUT)
        deadline = time.monotonic() + SETTLE_SECONDS
        open_ = [t for t in self.tickets if t.number]
        said = 0.0
        while open_ and time.monotonic() < deadline:
            still = []
            for ticket in open_:
                try:
                    ticket.state = proxy.call("dispatch", "get_status", ticket.number,
                                              vouch(OBSERVER))["state"]
                except ServicesUnavailable:
                    pass
                if ticket.state != FINAL_STATE:
                    still.append(ticket)
            open_ = still
            if open_ and time.monotonic() - said > 10:
                said = time.monotonic()
                self.clock.say(f"waiting for {len(open_)} tickets to close")
            if open_:
                time.sleep(1)
        proxy.close()
        return len(open_)

    # ------------------------------------------------------------ checks
    def check(self) -> dict:
        """What the ledger, dispatch and intake say of every ticket, then the stores."""
        proxy = ServiceProxy(self.uri, RPC_TIMEOUT)
        rpc = {name: proxy.of(name) for name in single_machine.SERVICES}
        lost, wrong_path, wrong_state, twice, repeated = [], [], [], [], []
        stepped: list[str] = []  # tickets with an event stamped by a stepped clock
        for ticket in self.tickets:
            if ticket.number is None:
                continue
            try:
                rpc["intake"].get_ticket(ticket.number, vouch(SYSTEM_ACTOR))
                status = rpc["dispatch"].get_status(ticket.number, vouch(OBSERVER))
                timeline = rpc["ledger"].timeline(ticket.number, vouch(SYSTEM_ACTOR))
            except NotFound as missing:
                lost.append(f"{ticket.number}: {missing}")
                continue
            if status["state"] != FINAL_STATE:
                wrong_state.append(f"{ticket.number} ({ticket.script}): {status['state']}")
            ids = [entry["event_id"] for entry in timeline]
            if len(ids) != len(set(ids)):
                twice.append(ticket.number)
            path = [entry["event_type"] for entry in by_change(timeline)]
            if stamped_by_a_stepped_clock(timeline):
                # The ledger reads a history in causal order (caused_by, dispatch's
                # ticket_version), not by the times stamped: held to the script like the rest.
                stepped.append(f"{ticket.number} ({ticket.script}): {' → '.join(path)}")
            problems = history_order_problems(timeline)
            if problems:
                wrong_path.append(f"{ticket.number} ({ticket.script}): {' → '.join(path)} "
                                  f"{problems}")
            elif path != ticket.expected_path():
                if on_path_but_repeated(path, ticket.expected_path(), ticket.told_failed_steps):
                    repeated.append(f"{ticket.number} ({ticket.script}): {' → '.join(path)}")
                else:
                    wrong_path.append(f"{ticket.number} ({ticket.script}): {' → '.join(path)}")
        chains = rpc["ledger"].verify(vouch(SYSTEM_ACTOR))
        accounts_wrong = self.check_accounts(rpc)
        held = None
        killed = next((f for f in self.faults if "task_id" in f), None)
        if killed:
            task = rpc["callback"].get_task(killed["task_id"], vouch(SYSTEM_ACTOR))
            held = {"task_id": task["task_id"], "status": task["status"],
                    "claimed_by": task["claimed_by"], "outcome": task["outcome"]}
        parked_count, parked_count_errors = {}, {}
        for name in single_machine.SERVICES:
            for _ in range(3):
                try:
                    parked_count[name] = rpc[name].parked_count(vouch(OBSERVER))["count"]
                    break
                except Exception as error:  # said in the report; asked again
                    parked_count_errors[name] = described(error)
                    time.sleep(0.5)
        timers = self.check_timers_said_once(rpc)
        if self.copies > 1:  # the timers of the dispatch copy killed went on in the other
            fence = self.timers_lease("dispatch").get("fence", 0)
            timers["dispatch_lease_fence"] = fence
            if fence < 2:
                timers["timers_said_wrong"].append(
                    f"dispatch's timers were never taken over (lease fence {fence})")
        proxy.close()
        found = poison.tally(self.uris["operator"])
        return {"timers": timers, "lost": lost, "wrong_state": wrong_state,
                "wrong_path": wrong_path,
                "repeated_after_told_failure": repeated, "clock_stepped_tickets": stepped,
                "recorded_twice": twice, "chains_broken": chains["broken"],
                "accounts_not_signing_in": accounts_wrong,
                "entries_checked": chains["checked"], "killed_workers_task": held,
                "poison": {"messages": poison.copies(self.poison, found),
                           "parked_count": parked_count,
                           "parked_count_errors": parked_count_errors,
                           "other_parked": {name: counts[poison.OTHER]
                                            for name, counts in found.items()
                                            if counts.get(poison.OTHER)}},
                "reports_refused_claimed_again": self.reports_refused()}

    def reports_refused(self) -> int:
        """How many reports the callback workers' logs say were refused because the task
        was claimed again since (the fence: services/callback/tasks.py)."""
        refused = 0
        for worker in self.worker_ids:
            for log in self.log_dir.glob(f"{worker}.log*"):
                text = log.read_text(encoding="utf-8", errors="replace")
                refused += sum(" refused: " in line and "was claimed again since" in line
                               for line in text.splitlines())
        return refused

    def count_in_stores(self) -> dict:
        """Read with the services stopped: tickets per external_id in intake, states per
        ticket in dispatch, entries per event_id in the ledger."""
        from services.shared.storage import connect

        uri = self.store_uri
        ours = {t.external_id for t in self.tickets}
        intake = connect(uri, "intake")
        per_external = collections.Counter(
            doc.get("external_id") for doc in intake["tickets"].find({}, {"external_id": 1}))
        duplicated = sorted({e for e, n in per_external.items() if e in ours and n > 1}
                            | {entry.split(":")[0] for entry in self.two_numbers})
        stored = sum(1 for e in per_external if e in ours)
        intake.client.close()
        ledger = connect(uri, "ledger")
        per_event = collections.Counter(
            doc["_id"] for doc in ledger["entries"].find({}, {"_id": 1}))  # _id: event_id
        created = collections.Counter(
            doc["data"]["username"] for doc in ledger["entries"].find(
                {"event_type": "account_changed", "data.change": "created"}, {"data": 1}))
        ledger.client.close()
        callback = connect(uri, "callback")
        claimed_twice, lapsed = [], 0
        for task in callback["tasks"].find({}, {"attempts": 1, "fence": 1}):
            if recorded_by_two_claims(task["attempts"]):
                claimed_twice.append(f"{task['_id']}: " + ", ".join(
                    f"attempt {a['attempt']} by {a['worker_id']}" for a in task["attempts"]))
            lapsed += max(0, task.get("fence", 0) - len(task["attempts"]))
        callback.client.close()
        return {"duplicated": duplicated, "stored_tickets": stored,
                "tasks_claimed_twice": claimed_twice, "claims_lapsed": lapsed,
                "events_recorded_twice": sorted(e for e, n in per_event.items() if n > 1),
                "accounts_not_recorded_once": sorted(
                    f"{username}: {created[username]}" for username in self.accounts
                    if created[username] != 1)}

    # ------------------------------------------------------------ the drill
    def run(self) -> dict:
        self.clock.say(f"starting the services, {CALLBACK_WORKERS} callback workers (RabbitMQ "
                       f"{self.uri.split('@')[-1]}, store {self.data_dir})")
        self.start_parts()
        self.start_watching()
        self.clock = Clock()
        self.clock.say(f"sending {len(self.tickets)} tickets at {self.args.rate}/s")
        lanes = 4
        senders = [threading.Thread(target=self.send, args=(lane, lanes)) for lane in range(lanes)]
        # two desks a copy: with copies, each step waits on a store over the network
        desks = 2 * self.copies
        helpers = [threading.Thread(target=self.work_units, args=(self.units[desk::desks],),
                                    daemon=True) for desk in range(desks)]
        helpers.append(threading.Thread(target=self.report_progress, daemon=True))
        admin_desk = threading.Thread(target=self.work_accounts)
        senders.append(threading.Thread(target=self.send_watched))
        for thread in senders + helpers + [admin_desk]:
            thread.start()
        self.run_faults()
        for thread in senders:
            thread.join()
        told = sum(bool(t.failures) for t in self.tickets)
        self.clock.say(f"sent; {told} calls were told they failed: retrying them with the "
                       f"same external_id")
        self.retry_failed()
        still_open = self.wait_for_closing()
        self.wait_for_watched()
        self.stop_working.set()
        admin_desk.join()
        self.clock.say("checking every ticket, its path and its ledger")
        checks = self.check()
        self.stop_parts()
        checks.update(self.count_in_stores())
        return self.summary(checks, still_open)

    def per_second(self) -> dict:
        """Calls answered and calls told they failed, by second since sending began."""
        def count(moments: list[float]) -> list[int]:
            seconds = [int(moment - self.clock.started) for moment in moments]
            counts = [0] * (max(seconds, default=0) + 1)
            for second in seconds:
                counts[second] += 1
            return counts
        return {"accepted": count(self.successes), "told_failed": count(self.failures_at)}

    def summary(self, checks: dict, still_open: int) -> dict:
        accepted = [t for t in self.tickets if t.number]
        told = [t for t in self.tickets if t.failures]
        recovered = [t for t in told if t.number]
        closed = sum(t.state == FINAL_STATE for t in accepted)
        lost = len(checks["lost"]) + max(0, len(accepted) - checks["stored_tickets"])
        return {
            "sent": len(self.tickets),
            "calls": self.calls["create_ticket"],
            "accepted": len(accepted),
            "accepted_first_time": sum(not t.failures for t in accepted),
            "told_failed": len(told),
            "retried_ok": len(recovered),
            "failures_told": collections.Counter(
                f.split(":")[0] for t in told for f in t.failures).most_common(),
            "completed": closed,
            "still_open": still_open,
            "lost": lost,
            "duplicated": len(checks["duplicated"]),
            "scripts": collections.Counter(t.script for t in accepted),
            "accounts": {"made": len(self.accounts), **self.account_calls},
            "poison": poison_summary(checks["poison"]),
            "clock": {"steps_s": {name: step.total_seconds()
                                  for name, step in CLOCK_STEPS.items()
                                  if any(fault["fault"] == clock_fault(name)
                                         for fault in self.faults)},
                      "for_s": CLOCK_STEP_SECONDS,
                      "tickets_stamped_stepped": len(checks["clock_stepped_tickets"]),
                      "reports_refused_claimed_again": checks["reports_refused_claimed_again"],
                      "claims_lapsed": checks["claims_lapsed"],
                      "tasks_claimed_twice": len(checks["tasks_claimed_twice"])},
            "faults": self.faults,
            "per_second": self.per_second(),
            "checks": checks,
        }


def watched_policy() -> str:
    """deploy/policy.yml with a short accept deadline for the watched tickets' kind."""
    import yaml

    policy = yaml.safe_load((ROOT / "deploy" / "policy.yml").read_text(encoding="utf-8"))
    policy["rules"].append({"kind": WATCHED_KIND,
                            "deadlines": {"accept": {"hours": WATCHED_ACCEPT_HOURS}}})
    return yaml.safe_dump(policy, allow_unicode=True)


def watched_request(chance: random.Random) -> dict:
    return {**bench.ticket_request(chance), "kind": WATCHED_KIND}


def drill_resident(n: int, plan_time: str) -> dict:
    return {"name": f"演练老人{n}", "phones": [f"1370000{n:04d}"],
            "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
                        "estate": "开鲁新村", "building": f"{n + 1}号", "room": "101"},
            "birth_date": "1935-05-01", "living_status": "alone", "grid_unit_id": GRID,
            "checkin_plan": {"days": [1, 2, 3, 4, 5, 6, 7], "times": [plan_time]}}


def said_once(counts: collections.Counter, key: tuple, at_most: bool = False) -> str | None:
    """What is wrong with how often ``key`` was said: None when once (or, ``at_most``,
    not at all)."""
    if counts[key] == 1 or (at_most and not counts[key]):
        return None
    return f"{key[0]} ({key[1]}) said {counts[key]} times"


def poison_summary(found: dict) -> dict:
    """The poison's figures: messages sent, parked copies expected (one by each service
    that hears one), found in the parking queues, and as the services' ``parked_count``
    says (every message parked, the drill's or not)."""
    messages = found["messages"]
    return {"sent": len(messages),
            "expected": sum(len(message["parked_by"]) for message in messages),
            "parked": sum(sum(message["parked"].values()) for message in messages),
            "parked_count": sum(found["parked_count"].values()),
            "by_service": found["parked_count"],
            # parked_count answered with an error at least once (not the verdict's count)
            "parked_count_errors": found.get("parked_count_errors", {}),
            "other_parked": found["other_parked"],
            "messages": messages}


def drill_account(n: int, unit_id: str) -> dict:
    return {"username": f"drill-staff-{n:03d}", "name": f"演练承办人{n}", "role": "unit_staff",
            "unit_id": unit_id, "password": DRILL_PASSWORD}


def checks_of(summary: dict, *keys: str) -> list:
    """What these checks found wrong, together."""
    return [problem for key in keys for problem in summary["checks"][key]]


def on_path_but_repeated(path: list[str], script: list[str], told_failed: set[str]) -> bool:
    """The script's path, but for steps taken twice in a row where the first call told the
    unit it failed (an RPC is carried out at least once: a request the service took
    before it died is taken again by the service that replaces it)."""
    collapsed = [event for n, event in enumerate(path)
                 if not (n and event == path[n - 1] and event in told_failed)]
    return collapsed == script


def clock_fault(name: str) -> str:
    """The name of the fault that steps ``name``'s clock (CLOCK_STEPS)."""
    step = CLOCK_STEPS[name]
    seconds = step.total_seconds()
    amount = f"{abs(seconds) / 3600:g} h" if seconds % 3600 == 0 else f"{abs(seconds) / 60:g} min"
    return f"{name} clock {'+' if seconds > 0 else '-'}{amount} for {CLOCK_STEP_SECONDS} s"


def stamped_by_a_stepped_clock(timeline: list[dict]) -> bool:
    """Whether an event of this timeline was stamped by a stepped clock: stamped well
    ahead of the ledger's recording it, or an hour's way behind it."""
    for entry in timeline:
        lag = (hotline_clock.parse_iso(entry["recorded_at"])
               - hotline_clock.parse_iso(entry["occurred_at"]))
        if lag < -STAMPED_AHEAD or lag > STAMPED_BEHIND:
            return True
    return False


def history_order_problems(timeline: list[dict]) -> list[str]:
    """What puts the ledger's history of a ticket out of causal order: dispatch's events
    not in the order of their ticket version, or an event before the one it followed from,
    whatever the clocks said."""
    problems = []
    versions = [entry["ticket_version"] for entry in timeline
                if entry.get("source") == "dispatch" and entry.get("ticket_version") is not None]
    if versions != sorted(versions):
        problems.append(f"ticket versions in the order {versions}")
    seen: set[str] = set()
    ids = {entry["event_id"] for entry in timeline}
    for entry in timeline:
        cause = entry.get("caused_by")
        if cause in ids and cause not in seen:
            problems.append(f"{entry['event_type']} before the event it followed from")
        seen.add(entry["event_id"])
    return problems


def recorded_by_two_claims(attempts: list[dict]) -> bool:
    """Whether a callback task's attempts show one attempt recorded twice, or two final
    outcomes: two claims of it, both reported and both recorded (the fence must refuse
    the report of an earlier claim)."""
    numbers = [attempt["attempt"] for attempt in attempts]
    return len(numbers) != len(set(numbers)) or sum(bool(a["final"]) for a in attempts) > 1


def verdict(summary: dict) -> list[str]:
    """What went wrong; empty when the drill passed."""
    checks = summary["checks"]
    problems = []
    if summary["lost"]:
        problems.append(f"{summary['lost']} tickets lost: {checks['lost'][:5]}")
    if summary["duplicated"]:
        problems.append(f"{summary['duplicated']} tickets duplicated: {checks['duplicated'][:5]}")
    if summary["accepted"] != summary["sent"]:
        problems.append(f"{summary['sent'] - summary['accepted']} calls never succeeded, "
                        f"even when retried")
    if summary["completed"] != summary["accepted"]:
        problems.append(f"{summary['accepted'] - summary['completed']} tickets not closed: "
                        f"{checks['wrong_state'][:5]}")
    for key, what in (("wrong_path", "tickets off their script's path"),
                      ("recorded_twice", "tickets with an event recorded twice"),
                      ("events_recorded_twice", "events recorded twice in the ledger's store"),
                      ("chains_broken", "breaks in the ledger's hash chains"),
                      ("accounts_not_signing_in", "accounts made that do not sign in"),
                      ("accounts_not_recorded_once",
                       "accounts not recorded as created exactly once")):
        if checks[key]:
            problems.append(f"{len(checks[key])} {what}: {checks[key][:3]}")
    if checks["timers"]["timers_said_wrong"]:
        wrong = checks["timers"]["timers_said_wrong"]
        problems.append(f"{len(wrong)} things the timers said not once: {wrong[:3]}")
    if checks["tasks_claimed_twice"]:
        problems.append(f"{len(checks['tasks_claimed_twice'])} callback tasks recorded for two "
                        f"claims (the fence let an earlier claim's report through): "
                        f"{checks['tasks_claimed_twice'][:3]}")
    bad = summary["poison"]
    if not bad["sent"]:
        problems.append("no poison messages were sent")
    misparked = poison.misparked(bad["messages"])
    if misparked or bad["parked"] != bad["expected"]:
        problems.append(f"poison: {bad['parked']} parked copies of {bad['sent']} messages, "
                        f"not {bad['expected']} (each once by each service that hears it): "
                        f"{misparked[:3]}")
    silent = {name: error for name, error in bad.get("parked_count_errors", {}).items()
              if name not in bad.get("by_service", {})}
    if silent:  # the supervision page asks the same RPC
        problems.append(f"parked_count never answered after the faults: {silent}")
    task = checks["killed_workers_task"]
    killed_a_worker = any(fault["fault"] == KILLED_WORKER for fault in summary["faults"])
    if killed_a_worker and (task is None or task["status"] != "done"):
        problems.append(f"the task held by the killed worker was not completed: {task}")
    return problems


def chart(summary: dict, path: Path) -> Path:
    """create_ticket answers and failures each second, with the faults marked."""
    accepted, failed = summary["per_second"]["accepted"], summary["per_second"]["told_failed"]
    span = max(len(accepted), len(failed), 1)
    width, height, left, top, plot_w, plot_h = 960, 380, 60, 70, 860, 250
    peak = max(accepted + failed + [1]) * 1.15

    def x(second: float) -> float:
        return left + plot_w * second / span

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / peak

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" '
             f'fill="white"/>',
             f'<text x="{left}" y="24" font-size="15">make faults: create_ticket each second '
             f'while parts fail ({summary["sent"]} tickets; lost {summary["lost"]}, '
             f'duplicated {summary["duplicated"]})</text>',
             f'<text x="{left}" y="{height - 30}" font-size="11" fill="#444">poison: '
             f'{summary["poison"]["sent"]} bad messages, {summary["poison"]["parked"]} of '
             f'{summary["poison"]["expected"]} copies parked; clocks stepped: reports of an '
             f'earlier claim refused {summary["clock"]["reports_refused_claimed_again"]}, '
             f'tasks recorded for two claims {summary["clock"]["tasks_claimed_twice"]}</text>']
    for n, fault in enumerate(summary["faults"]):
        start, end = x(fault["at_s"]), x(fault["at_s"] + fault["took_s"])
        parts.append(f'<rect x="{start:.1f}" y="{top}" width="{max(end - start, 2):.1f}" '
                     f'height="{plot_h}" fill="#f4d9a6" opacity="0.6"/>')
        parts.append(f'<text x="{start + 2:.1f}" y="{top - 8 - 14 * (n % 2)}" font-size="11" '
                     f'fill="#8a5a00">{fault["fault"].replace("kill -9 ", "kill ")}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" '
                 f'fill="none" stroke="#999"/>')
    for tick in range(5):
        value = peak * tick / 4
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
                     f'{value:.0f}</text>')
    for second in range(0, span + 1, 10):
        parts.append(f'<text x="{x(second):.1f}" y="{top + plot_h + 16}" '
                     f'text-anchor="middle">{second}</text>')
    parts.append(picture.polyline([(x(n + 0.5), y(v)) for n, v in enumerate(accepted)],
                                  "#1f6feb"))
    parts.append(picture.polyline([(x(n + 0.5), y(v)) for n, v in enumerate(failed)],
                                  "#d1242f"))
    parts.append(f'<text x="{left}" y="{height - 14}" fill="#444">seconds since the first '
                 f'call; <tspan fill="#1f6feb">blue: calls answered</tspan>, '
                 f'<tspan fill="#d1242f">red: calls told they failed</tspan> (retried later '
                 f'with the same external_id); shaded: a fault until every service answered '
                 f'again</text></svg>')
    return picture.as_png("".join(parts), path, width, height)


def print_summary(summary: dict) -> None:
    print("\nfaults, in order:")
    for fault in summary["faults"]:
        extra = {k: v for k, v in fault.items() if k not in ("fault", "at_s", "took_s")}
        print(f"  at {fault['at_s']:>5} s  {fault['fault']:<40} back in {fault['took_s']} s"
              + (f"  {extra}" if extra else ""))
    task = summary["checks"]["killed_workers_task"]
    if task:
        print(f"  the task the killed worker held ({task['task_id']}): {task['status']}, "
              f"{task['outcome']}")
    print(f"\n  tickets sent        {summary['sent']:>6}")
    print(f"  accepted            {summary['accepted']:>6}   ({summary['accepted_first_time']} "
          f"at the first call; {summary['calls']} calls in all)")
    print(f"  told of a failure   {summary['told_failed']:>6}   (then retried with the same "
          f"external_id: {summary['retried_ok']} succeeded) {summary['failures_told']}")
    print(f"  completed (closed)  {summary['completed']:>6}   {dict(summary['scripts'])}")
    print(f"  lost                {summary['lost']:>6}   (must be 0)")
    print(f"  duplicated          {summary['duplicated']:>6}   (must be 0)")
    accounts = summary["accounts"]
    print(f"  accounts made       {accounts['made']:>6}   (each signs in and is recorded once: "
          f"{not checks_of(summary, 'accounts_not_signing_in', 'accounts_not_recorded_once')}; "
          f"{accounts.get('told_failed', 0)} calls told they failed, "
          f"{accounts.get('refused_clock_stepped', 0)} refused by dispatch's stepped clock, "
          f"made again; "
          f"{accounts.get('sign_in_told_failed', 0)} sign-ins told they failed)")
    checks = summary["checks"]
    print(f"  ledger: {checks['entries_checked']} entries in intact chains: "
          f"{not checks['chains_broken']}; events recorded twice: "
          f"{len(checks['events_recorded_twice'])}; tickets off their path: "
          f"{len(checks['wrong_path'])}")
    timers = checks["timers"]
    print(f"  timers' work        {timers['watched_tickets']:>6}   watched tickets: "
          f"{timers['warnings']} warnings (each at most once), {timers['overdue']} overdue "
          f"(each once); "
          f"{timers['residents']} residents: {timers['checkins_planned']} check-ins planned, "
          f"{timers['checkins_answered']} answered; said not once: "
          f"{len(timers['timers_said_wrong'])} (must be 0)"
          + (f"; dispatch's timers' lease at fence {timers['dispatch_lease_fence']} (taken "
             f"over {timers['dispatch_lease_fence'] - 1} times)"
             if "dispatch_lease_fence" in timers else ""))
    bad = summary["poison"]
    print(f"  poison sent         {bad['sent']:>6}   (parked copies: {bad['parked']} found of "
          f"{bad['expected']} expected, each once: {not poison.misparked(bad['messages'])}; "
          f"parked_count says {bad['parked_count']} {bad['by_service']})")
    if bad["parked_count_errors"]:
        print(f"  parked_count failed (asked again up to 3 times): {bad['parked_count_errors']}")
    if bad["other_parked"]:
        print(f"  parked, not the drill's poison: {bad['other_parked']}")
    stepped = summary["clock"]
    print(f"  clocks stepped      {len(stepped['steps_s']):>6}   ({stepped['steps_s']} s for "
          f"{stepped['for_s']} s each; tickets stamped by a stepped clock "
          f"{stepped['tickets_stamped_stepped']}; reports of an earlier claim refused "
          f"{stepped['reports_refused_claimed_again']}; claims that lapsed "
          f"{stepped['claims_lapsed']}; tasks recorded for two claims "
          f"{stepped['tasks_claimed_twice']} (must be 0))")
    if checks["repeated_after_told_failure"]:
        print(f"  a unit's step taken twice after its first call was told it failed: "
              f"{len(checks['repeated_after_told_failure'])} tickets, e.g. "
              f"{checks['repeated_after_told_failure'][0]}")


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--tickets", type=int, default=1000)
    options.add_argument("--rate", type=float, default=12.0, help="tickets a second")
    options.add_argument("--copies", type=int, default=1,
                         help="copies of every service; more than 1: on the wire store "
                              "(deploy/wire_store.py), with the faults of copies")
    options.add_argument("--cluster", action="store_true",
                         help="on a RabbitMQ cluster of three nodes, with its faults")
    args = options.parse_args(argv)
    if args.cluster and args.copies > 1:
        options.error("--cluster runs one copy of every service")
    name = "cluster" if args.cluster else "faults" if args.copies == 1 else "copies"
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("amqp", "kombu", "nameko", "services.shared.rpc_client"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)  # the faults are on purpose
    OUT.mkdir(parents=True, exist_ok=True)
    log_dir = OUT / ("log" if name == "faults" else f"{name}-log")
    shutil.rmtree(log_dir, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="hotline-faults-"))
    started = time.monotonic()
    where = ("" if args.copies == 1 else
             f", {args.copies} copies of every service on the wire store")
    if args.cluster:
        where = ", on a RabbitMQ cluster of three nodes"
    print(f"{name}: a drill of {args.tickets} tickets at {args.rate}/s{where}; logs in "
          f"{log_dir.relative_to(ROOT)}/", flush=True)
    broker = (BrokerCluster(work / "rabbitmq") if args.cluster
              else PrivateBroker(work / "rabbitmq"))
    data_dir = work / "data"
    lock = run_lock.hold(data_dir, "faults")  # as `make run` holds its store (makes it)
    drill, store = None, None
    try:
        broker.start()
        if args.copies > 1:  # MongoDB's stand-in, on the embedded store
            store = WireStoreProcess(work / "wire")
        drill = Drill(args, broker, data_dir, log_dir, store.uri if store else None)
        summary = drill.run()
    finally:
        if drill is not None:
            drill.stop_working.set()
            drill.stop_parts()
        if store is not None:
            store.stop()
        broker.stop()
        run_lock.release(lock)
    summary["seconds"] = round(time.monotonic() - started, 1)
    problems = verdict(summary)
    summary["problems"] = problems
    summary["copies"] = args.copies
    summary["cluster"] = args.cluster
    (OUT / f"{name}.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2,
                                                 default=list), encoding="utf-8")
    drawn = chart(summary, OUT / f"{name}.png")
    print_summary(summary)
    shutil.rmtree(work, ignore_errors=True)
    if problems:
        print(f"\n{name}: FAILED\n  " + "\n  ".join(problems))
        print(f"(the store and broker data were removed; logs in {log_dir.relative_to(ROOT)}/)")
        return 1
    print(f"\n{name}: passed in {summary['seconds']} s; wrote "
          f"{(OUT / f'{name}.json').relative_to(ROOT)} and {drawn.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
