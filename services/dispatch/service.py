"""The dispatch service: routes each new ticket to the unit that answers for it, lets units
sign for, contact, resolve or return tickets and the centre reassign them, watches
deadlines, and closes or reopens tickets on the callback's result.

Contract version 1. Every RPC takes ``actor`` = {id, name, role, unit_id} and returns
JSON-ready dicts. Errors a caller may see (``services.shared.errors``): InvalidRequest
(``errors`` lists every field), NotFound, IllegalTransition (the step is not legal from
the ticket's state, or another step won the race), NotPermitted (the actor may not take
it). A refused call changes nothing and says nothing.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

from marshmallow import EXCLUDE, ValidationError
from nameko.events import EventDispatcher
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.timer import Timer, timer

from services.dispatch import directory as directory_rules
from services.dispatch import lifecycle
from services.dispatch.lifecycle import CENTRE_ID, CENTRE_ROLES, Change
from services.dispatch.policy import Policy
from services.dispatch.policy import read_file as read_policy
from services.dispatch.schemas import (
    ContactArgs, QueueArgs, ReassignArgs, ResolveArgs, ReturnArgs, RouteArgs, RuleKeySchema,
    RuleSchema, TicketArgs, UnitSchema,
)
from services.dispatch.store import TicketStateStore
from services.shared import clock, outbox
from services.shared.errors import (
    EXPECTED, IllegalTransition, InvalidRequest, NotFound, NotPermitted,
)
from services.shared.events import on_event
from services.shared.payloads import CallbackCompletedSchema, TicketSchema
from services.shared.schemas import load, load_actor
from services.shared.storage import Storage

log = logging.getLogger(__name__)

DEFAULT_DIRECTORY_FILE = "deploy/directory.yml"
DEFAULT_POLICY_FILE = "deploy/policy.yml"
DEFAULT_OVERDUE_CHECK_SECONDS = 10
DIRECTORY_EDITORS = ("dispatcher", "admin")
# A step that loses a race is decided again on the new state, a few times at most.
STEP_ATTEMPTS = 3
CENTRE_NAME_UNSET = "派单中心"


class DirectoryStorage(Storage):
    """The ticket state store; at start-up it loads ``DIRECTORY_FILE`` into an empty
    directory (a directory edited over RPC is kept across restarts)."""

    def setup(self) -> None:
        super().setup()
        path = self.container.config.get("DIRECTORY_FILE", DEFAULT_DIRECTORY_FILE)
        if path and self.store.directory_is_empty():
            self.store.replace_directory(directory_rules.read_file(path))
            log.info("directory loaded from %s", path)


class DeadlinePolicy(DependencyProvider):
    """The deadline policy from ``POLICY_FILE``, read once at start-up."""

    def setup(self) -> None:
        self.policy = read_policy(self.container.config.get("POLICY_FILE", DEFAULT_POLICY_FILE))

    def get_dependency(self, worker_ctx) -> Policy:
        return self.policy


class ConfiguredTimer(Timer):
    """A timer whose interval is a config setting, read when the service starts."""

    def __init__(self, setting: str, default: float, **kwargs):
        self.setting = setting
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self) -> None:
        self.interval = float(self.container.config.get(self.setting) or self.default)
        super().setup()


class DispatchService:
    name = "dispatch"

    store: TicketStateStore = DirectoryStorage(TicketStateStore)
    policy: Policy = DeadlinePolicy()
    dispatch = EventDispatcher()

    # Reading tickets
    @rpc(expected_exceptions=EXPECTED)
    def get_status(self, ticket_no: str, actor: dict) -> dict:
        """The ticket's state now: ticket_no, state, unit_id, unit_name, routed, route,
        category, kind, priority, urgency, caller, address, description, deadlines
        (accept_by, contact_by, resolve_by), met, overdue [{deadline, due_at}],
        reopen_count, outcome, resolution, last_note, times, version. The caller's phone
        and room are masked for staff of other units. Raises NotFound."""
        actor = load_actor(actor)
        args = load(TicketArgs(), {"ticket_no": ticket_no})
        return lifecycle.view(self._ticket(args["ticket_no"]), actor)

    @rpc(expected_exceptions=EXPECTED)
    def queue(self, unit_id: str, actor: dict, states: list[str] | None = None) -> list[dict]:
        """The open tickets a unit holds (the centre's: those pending), as get_status shows
        them, high priority first, then by nearest unmet deadline. ``states`` narrows it.
        Unit staff read their own unit's queue only (NotPermitted). Raises NotFound for an
        unknown unit."""
        actor = load_actor(actor)
        args = load(QueueArgs(), {"unit_id": unit_id, "states": states})
        if actor["role"] == "unit_staff" and actor["unit_id"] != args["unit_id"]:
            raise NotPermitted("unit staff read their own unit's queue only")
        if self.store.unit(args["unit_id"]) is None:
            raise NotFound(f"unit {args['unit_id']}")
        held = self.store.held_by(args["unit_id"], args["states"] or lifecycle.OPEN_STATES)
        return [lifecycle.view(state, actor) for state in sorted(held, key=lifecycle.queue_order)]

    # Steps a unit takes (staff of the unit holding the ticket, or an admin)
    @rpc(expected_exceptions=EXPECTED)
    def accept(self, ticket_no: str, actor: dict) -> dict:
        """Sign for a dispatched ticket (签收): state accepted. Returns get_status's view.
        Raises NotFound, NotPermitted, IllegalTransition."""
        actor = load_actor(actor)
        args = load(TicketArgs(), {"ticket_no": ticket_no})
        return self._step(args["ticket_no"], actor,
                          lambda state, now: lifecycle.accept(state, actor, now))

    @rpc(expected_exceptions=EXPECTED)
    def return_ticket(self, ticket_no: str, actor: dict, reason: str) -> dict:
        """Send a misrouted ticket back to the centre (退单) with a reason: state pending,
        held by the centre. Raises InvalidRequest (no reason), NotFound, NotPermitted,
        IllegalTransition."""
        actor = load_actor(actor)
        args = load(ReturnArgs(), {"ticket_no": ticket_no, "reason": reason})
        centre = self._centre()
        return self._step(args["ticket_no"], actor, lambda state, now: lifecycle.return_ticket(
            state, actor, args["reason"], centre, now))

    @rpc(expected_exceptions=EXPECTED)
    def record_contact(self, ticket_no: str, actor: dict, note: str | None = None) -> dict:
        """Record that the unit reached the caller: state contacted. Raises NotFound,
        NotPermitted, IllegalTransition."""
        actor = load_actor(actor)
        args = load(ContactArgs(), {"ticket_no": ticket_no, "note": note})
        return self._step(args["ticket_no"], actor, lambda state, now: lifecycle.record_contact(
            state, actor, args["note"], now))

    @rpc(expected_exceptions=EXPECTED)
    def resolve(self, ticket_no: str, actor: dict, resolution: str) -> dict:
        """Record what was done (办结): state resolved; the callback phones the caller next.
        Raises InvalidRequest (no resolution), NotFound, NotPermitted, IllegalTransition."""
        actor = load_actor(actor)
        args = load(ResolveArgs(), {"ticket_no": ticket_no, "resolution": resolution})
        return self._step(args["ticket_no"], actor, lambda state, now: lifecycle.resolve(
            state, actor, args["resolution"], now))

    # Steps the centre takes (dispatcher, supervisor, admin)
    @rpc(expected_exceptions=EXPECTED)
    def reassign(self, ticket_no: str, actor: dict, unit_id: str, note: str | None = None) -> dict:
        """Send an open ticket to ``unit_id`` with fresh deadlines: state dispatched.
        Raises InvalidRequest (the centre itself), NotFound (ticket or unit),
        NotPermitted (not the centre), IllegalTransition (resolved or closed)."""
        actor = load_actor(actor)
        args = load(ReassignArgs(), {"ticket_no": ticket_no, "unit_id": unit_id, "note": note})
        if actor["role"] not in CENTRE_ROLES:
            raise NotPermitted(f"only the dispatch centre ({', '.join(CENTRE_ROLES)}) may reassign")
        unit = self.store.unit(args["unit_id"])
        if unit is None:
            raise NotFound(f"unit {args['unit_id']}")
        return self._step(args["ticket_no"], actor, lambda state, now: lifecycle.reassign(
            state, actor, unit, self.policy.deadlines_for(state["category"], state["urgency"], now),
            args["note"], now))

    # Routing and the directory
    @rpc(expected_exceptions=EXPECTED)
    def route(self, address: dict, category: str, actor: dict) -> dict:
        """Where a ticket of ``category`` at ``address`` would go, without making one:
        {unit_id, unit_name, routed, route}. Raises InvalidRequest."""
        load_actor(actor)
        args = load(RouteArgs(), {"address": address, "category": category})
        destination = self._route(args["address"], args["category"])
        return {"unit_id": destination.unit_id, "unit_name": self._unit_name(destination.unit_id),
                "routed": destination.routed, "route": destination.route}

    @rpc(expected_exceptions=EXPECTED)
    def get_directory(self, actor: dict) -> dict:
        """{units: [{id, name, kind, place}], places: [{name, children}], rules:
        [{category, place, unit_id}]}: the shape load_directory takes."""
        load_actor(actor)
        return self.store.directory()

    @rpc(expected_exceptions=EXPECTED)
    def load_directory(self, directory: dict, actor: dict) -> dict:
        """Replace the whole directory (dispatcher, admin). It must name the centre (id
        'centre', kind centre) and every place and unit its units and rules refer to.
        Tickets already dispatched keep their unit. Returns get_directory's answer.
        Raises InvalidRequest (nothing changed), NotPermitted."""
        self._directory_editor(actor)
        self.store.replace_directory(directory_rules.checked(directory))
        return self.store.directory()

    @rpc(expected_exceptions=EXPECTED)
    def put_unit(self, unit: dict, actor: dict) -> dict:
        """Add a unit or change one ({id, name, kind, place}); returns it. Raises
        InvalidRequest (a second centre, a centre made a handling unit, a handling unit
        without a place), NotFound (place), NotPermitted."""
        self._directory_editor(actor)
        unit = load(UnitSchema(), unit)
        is_centre = unit["id"] == CENTRE_ID
        if is_centre != (unit["kind"] == lifecycle.CENTRE_KIND):
            raise InvalidRequest(
                {"kind": [f"Only unit '{CENTRE_ID}' is the centre, and it stays one."]})
        if not is_centre and not unit["place"]:
            raise InvalidRequest({"place": ["A handling unit needs the place it answers for."]})
        if unit["place"] and not self.store.place_exists(unit["place"]):
            raise NotFound(f"place {unit['place']}")
        return self.store.put_unit(unit)

    @rpc(expected_exceptions=EXPECTED)
    def put_rule(self, rule: dict, actor: dict) -> dict:
        """Route ``category`` (or "*") at ``place`` to ``unit_id``, replacing the rule for
        that category and place; returns it. Raises InvalidRequest (a rule to the
        centre), NotFound (place, unit), NotPermitted."""
        self._directory_editor(actor)
        rule = load(RuleSchema(), rule)
        if not self.store.place_exists(rule["place"]):
            raise NotFound(f"place {rule['place']}")
        unit = self.store.unit(rule["unit_id"])
        if unit is None:
            raise NotFound(f"unit {rule['unit_id']}")
        if unit["kind"] == lifecycle.CENTRE_KIND:
            raise InvalidRequest({"unit_id": ["What no rule routes waits at the centre already."]})
        return self.store.put_rule(rule)

    @rpc(expected_exceptions=EXPECTED)
    def remove_rule(self, rule: dict, actor: dict) -> dict:
        """Remove the rule for ``category`` at ``place``; returns {category, place}.
        Raises NotFound (no such rule), NotPermitted."""
        self._directory_editor(actor)
        key = load(RuleKeySchema(), rule)
        key.pop("unit_id", None)
        if not self.store.remove_rule(key["category"], key["place"]):
            raise NotFound(f"rule {key['category']} @ {key['place']}")
        return key

    # Events
    @on_event("intake", "ticket_created")
    def on_ticket_created(self, event: dict) -> None:
        """Route a new ticket: dispatched to a unit, or pending at the centre, with deadlines;
        an answered consultation is closed at once. A redelivery changes nothing."""
        try:
            # fields a newer intake may add are not ours to refuse
            ticket = TicketSchema(unknown=EXCLUDE).load(event["data"])
        except ValidationError as exc:
            log.error("dropped ticket_created %s: data does not fit: %s", event["event_id"], exc)
            return
        if self.store.get(ticket["ticket_no"]) is not None:
            return
        now = clock.now()
        destination = self._route(ticket["address"], ticket["category"])
        deadlines = self.policy.deadlines_for(ticket["category"], ticket["urgency"], now)
        state = lifecycle.created(ticket, destination, self._unit_name(destination.unit_id),
                                  deadlines, now)
        if self.store.add_if_new(state):
            outbox.publish_now(self.store.tickets, self.dispatch, state["_id"])

    @on_event("callback", "callback_completed")
    def on_callback_completed(self, event: dict) -> None:
        """Close a resolved ticket on a satisfied, basically satisfied or finally
        unreachable callback; reopen it to the same unit on an unsatisfied one."""
        try:
            event = {**event, "data": CallbackCompletedSchema(unknown=EXCLUDE).load(event["data"])}
        except ValidationError as exc:
            log.error("dropped callback_completed %s: data does not fit: %s",
                      event["event_id"], exc)
            return
        if not event["ticket_no"] or self.store.get(event["ticket_no"]) is None:
            log.warning("callback_completed %s names no ticket of ours (%s)",
                        event["event_id"], event["ticket_no"])
            return
        self._apply(event["ticket_no"], lambda state, now: lifecycle.callback_completed(
            state, event, self.policy.deadlines_for(state["category"], state["urgency"], now), now))

    # Timers
    @ConfiguredTimer.decorator(setting="OVERDUE_CHECK_SECONDS",
                               default=DEFAULT_OVERDUE_CHECK_SECONDS)
    def check_deadlines(self) -> None:
        """Say ``ticket_overdue`` once for every deadline that passed unmet."""
        now = clock.now()
        for state in self.store.due_for_check(now):
            change = lifecycle.overdue(state, now)
            # one that moved meanwhile is looked at again on the next pass
            if change is not None and self.store.apply(state, change) is not None:
                outbox.publish_now(self.store.tickets, self.dispatch, state["_id"])

    publish_outbox = outbox.sweep(lambda service: service.store.tickets)

    # Shared by the entrypoints
    def _ticket(self, ticket_no: str) -> dict:
        state = self.store.get(ticket_no)
        if state is None:
            raise NotFound(f"ticket {ticket_no}")
        return state

    def _step(self, ticket_no: str, actor: dict,
              decide: Callable[[dict, dt.datetime], Change]) -> dict:
        """Take an RPC step and return the ticket's new view; refusals propagate."""
        stored = self._apply(ticket_no, decide)
        if stored is None:  # cannot happen for RPC steps: they raise instead of declining
            raise IllegalTransition(f"ticket {ticket_no} did not change")
        return lifecycle.view(stored, actor)

    def _apply(self, ticket_no: str,
               decide: Callable[[dict, dt.datetime], Change | None]) -> dict | None:
        """Decide a step on the ticket as read and write it if nobody moved the ticket
        meanwhile; otherwise decide again on what they left. Publishes its events."""
        for _ in range(STEP_ATTEMPTS):
            state = self._ticket(ticket_no)
            change = decide(state, clock.now())
            if change is None:
                return None
            stored = self.store.apply(state, change)
            if stored is not None:
                outbox.publish_now(self.store.tickets, self.dispatch, ticket_no)
                return stored
        raise IllegalTransition(f"ticket {ticket_no} keeps changing; read it again")

    def _route(self, address: dict, category: str) -> directory_rules.Route:
        return directory_rules.route(
            address, category, self.store.rules_at(directory_rules.address_paths(address)))

    def _unit_name(self, unit_id: str) -> str:
        unit = self.store.unit(unit_id)
        if unit is not None:
            return unit["name"]
        return CENTRE_NAME_UNSET if unit_id == CENTRE_ID else unit_id

    def _centre(self) -> dict:
        return {"id": CENTRE_ID, "name": self._unit_name(CENTRE_ID)}

    def _directory_editor(self, actor: Any) -> dict:
        actor = load_actor(actor)
        if actor["role"] not in DIRECTORY_EDITORS:
            raise NotPermitted(f"only {' or '.join(DIRECTORY_EDITORS)} edit the directory")
        return actor

