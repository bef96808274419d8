"""The intake service: the RPCs call-centre software calls to create and read tickets.

Contract version 1. Errors a caller may see: ``InvalidRequest`` (``errors`` lists every
field), ``NotFound``. Both come from ``services.shared.errors``.

Listens to dispatch's ``ticket_closed`` and ``ticket_reopened`` to keep its duplicate
index: only a ticket still open can take in a repeat call (重复件). Listens to the
the register's ``register_changed`` to keep the register's residents by phone (a caller among
them is answered first, 一号专线), and to callback's ``checkin_missed`` to open an urgent
welfare check for the resident nobody reached (residents.py).
"""
from __future__ import annotations

import datetime as dt
import logging

from nameko.dependency_providers import Config
from nameko.events import EventDispatcher
from nameko.extensions import DependencyProvider

from services.intake import duplicates, numbering, reception, residents
from services.intake.store import TicketStore
from services.shared import (
    access,
    clock,
    outbox,
    parking_depth,
    redelivery,
    revocation,
    statements,
)
from services.shared.answers.intake import CreatedTicketSchema
from services.shared.deadlines import rpc
from services.shared.errors import EXPECTED, InvalidRequest
from services.shared.events import on_event
from services.shared.health import HealthProbes
from services.shared.payloads import TicketSchema
from services.shared.requests import TicketRequestSchema
from services.shared.schemas import SYSTEM_ACTOR, load, load_actor
from services.shared.states import PRAISE
from services.shared.storage import LOST, Contention, Lost, Storage, until_written

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "SH"
# A merge that loses a race (another repeat merged first) is decided again on the fresh
# ticket; past this many rounds the call gets a ticket of its own rather than waiting.
MERGE_ATTEMPTS = 3


# Built once: building a schema copies its fields, which cost more than the load itself
# (marshmallow keeps no state in a schema between loads or dumps).
TICKET_REQUEST = TicketRequestSchema()
TICKET, CREATED_TICKET = TicketSchema(), CreatedTicketSchema()


class ChineseWords(DependencyProvider):
    """Loads jieba's dictionary while the service starts, so that the first caller of
    the day does not wait for it (about half a second)."""

    def setup(self) -> None:
        duplicates.warm_up()

    def get_dependency(self, worker_ctx) -> None:
        return None


def answer(ticket: dict, *, merged: bool) -> dict:
    """create_ticket's answer (CreatedTicketSchema): the ticket, and whether this call was
    merged into it."""
    return CREATED_TICKET.dump({**reception.as_payload(ticket), "merged": merged})


class IntakeService:
    name = "intake"

    store: TicketStore = Storage(TicketStore)
    health = HealthProbes()  # /live and /ready on HEALTH_ADDRESS, for a scheduler
    # statements accounts withdrew: refused from the moment it says so (every copy)
    hear_ended_sessions, hear_account_changes = revocation.handlers()
    parking_depth, parked_count = parking_depth.counting()
    words = ChineseWords()
    config = Config()
    publisher = EventDispatcher()
    request_id: str | None = redelivery.RequestId()

    @rpc(expected_exceptions=EXPECTED)
    def create_ticket(self, request: dict, actor: dict) -> dict:
        """Receive a call and return its ticket: ``ticket_no``, ``status`` (received;
        answered when ``answer`` was given; praise for a praise call), ``priority``,
        ``calls``, ``merged`` and every field as stored (CreatedTicketSchema in
        services/shared/answers/intake.py). ``actor`` is accounts' statement of who took
        the call: an agent, the call centre's software under its own account
        (call_centre), or the centre typing it into the console (access.STEPS take_call);
        the ledger records them as the receiver.

        A repeat of an open ticket (same category within ``DUPLICATES.window_days``, the
        same phone or the same estate and building, a description alike) makes no new
        ticket: the call is recorded in the first ticket, which says ``ticket_merged``,
        and the answer is that first ticket, its own number, with ``calls`` counting this
        call (a new ticket always has ``calls`` 1, so ``calls`` > 1 tells the agent the
        call was merged). ``"merge": false`` in the request makes a new ticket regardless.

        A praise call (kind praise) must name ``praise`` {``ticket_no``, ``unit_id``}, at
        least one; it is numbered, says only ``praise_received`` and is never dispatched
        nor merged.

        A caller whose phone is a resident's in the register (台账) is answered first:
        ``priority`` high with the reason ``registered_resident`` (一号专线), and the
        ticket carries the resident's card as ``resident`` (null otherwise).

        The same ``external_id`` always returns the ticket first created for it, or the
        one it was merged into, counted once. A request that comes again (redelivered
        after its worker stored the call and stopped before answering), with or without
        an ``external_id``, is answered as its first run was: the ticket it made or was
        merged into as it stands, ``merged`` as then, nothing stored or said again
        (services/shared/redelivery.py). Raises InvalidRequest, listing every field
        error (a praised ticket_no intake never received among them), with nothing stored
        and no event sent; NotPermitted (no statement, or one of a role that takes no
        calls), with nothing stored.
        """
        actor = load_actor(actor)
        access.check_step(actor, "take_call")
        statements.refuse_read_only(actor)
        data = load(TICKET_REQUEST, request)
        done = self._received_already(data)
        if done is not None:
            ticket, merged = done
            return answer(ticket, merged=merged)
        if data["praise"] is not None:
            self._check_praised(data["praise"])
        received_at = clock.now()
        if reception.mergeable(data):
            first = self._merge_repeat(data, received_at, actor)
            if first is not None:
                return answer(first, merged=True)
        resident = residents.card_for(data["caller"],
                                      self.store.residents_by_phone(data["caller"]["phone"]))
        stored = self._receive(data, received_at, actor, resident, self.request_id)
        return answer(stored, merged=False)

    @rpc(expected_exceptions=EXPECTED)
    def get_ticket(self, ticket_no: str, actor: dict) -> dict:
        """The ticket as received (see create_ticket; payloads.TicketSchema), ``calls``
        counting repeats merged into it, for the agents and the centre of its district
        (services/shared/access.py; units read their tickets from dispatch): the caller's
        phone and room in full only for the agent who took the call, the resident card
        cut to what the reader may see. Its progress since is ``dispatch.get_status``;
        its history ``ledger.timeline``. Raises InvalidRequest (not a ticket number, a
        malformed actor), NotPermitted (a ticket the actor may not see and a number nobody
        used alike), NotFound (to readers of every ticket only)."""
        actor = load_actor(actor)
        if not isinstance(ticket_no, str):
            raise InvalidRequest({"ticket_no": ["Not a valid string."]})
        ticket = access.seen(actor, "ticket", ticket_no, self.store.get(ticket_no),
                             reception.facts)
        return access.as_seen(actor, TICKET.dump(reception.as_payload(ticket)),
                              reception.facts(ticket))

    # Events
    @on_event("dispatch", "ticket_closed")
    def on_ticket_closed(self, event: dict) -> None:
        """A closed ticket takes no more repeats: a later call about it is a new ticket."""
        self._index(event, candidate=False)

    @on_event("dispatch", "ticket_reopened")
    def on_ticket_reopened(self, event: dict) -> None:
        """A reopened ticket takes repeats again."""
        self._index(event, candidate=True)

    @on_event("register", "register_changed")
    def keep_resident(self, event: dict) -> None:
        """Keep the resident's card, looked up by phone when someone calls, if this version
        is newer than the one kept; a retired resident is no longer found. An older
        version or a redelivery changes nothing."""
        changed = event["data"]
        if not self.store.keep_resident(changed["resident"], changed["version"]):
            log.info("register_changed %s: resident %s version %s is not newer than ours",
                     event["event_id"], changed["resident"]["resident_id"], changed["version"])

    @on_event("callback", "checkin_missed")
    def open_welfare_check(self, event: dict) -> None:
        """Nobody answered a resident's check-in: open one urgent welfare check
        (welfare_check, channel checkin) with the resident as caller at their address and
        their card on it, for dispatch to send to their grid. Never merged; a redelivered
        event finds the ticket it opened (external_id ``checkin-missed:<event_id>``)."""
        missed = event["data"]
        request = residents.welfare_check(missed, f"checkin-missed:{event['event_id']}")
        if self.store.by_external_id(request["external_id"]) is not None:
            return
        stored = self._receive(request, clock.now(), SYSTEM_ACTOR, missed["resident"])
        log.info("check-in %s of resident %s missed: welfare check %s", missed["task_id"],
                 missed["resident_id"], stored["ticket_no"])

    publish_outbox = outbox.sweep(lambda service: service.store.tickets)

    # Helpers
    def _received_already(self, data: dict) -> tuple[dict, bool] | None:
        """The ticket this call was received into already, and whether it was merged
        there: by this very request (a redelivery), or by its ``external_id`` (a retry);
        None for a call not received yet."""
        request_id = self.request_id
        if request_id is not None:
            first_run = self.store.by_request(request_id)
            if first_run is not None:
                log.info("request %s was received already, into %s; answered as it stands",
                         request_id, first_run["ticket_no"])
                return first_run, reception.merged_by(first_run, request_id)
        by_call = self.store.by_external_id(data["external_id"])
        if by_call is not None:
            return by_call, by_call.get("external_id") != data["external_id"]
        return None

    def _receive(self, request: dict, received_at: dt.datetime, actor: dict,
                 resident: dict | None, request_id: str | None = None) -> dict:
        """Number a new ticket in its district, store it with its events, recording the RPC
        request ``request_id`` that made it, and publish them; the ticket stored (the one
        already made for the same external_id, if any)."""
        settings = self.config.get("TICKET_NUMBERS") or {}
        key = numbering.counter_key(
            numbering.prefix_for(request["address"]["district"], settings.get("prefixes") or {},
                                 settings.get("default_prefix") or DEFAULT_PREFIX),
            received_at,
        )
        number = numbering.ticket_no(key, self.store.next_sequence(key))
        ticket, events = reception.receive(request, number, received_at, actor, resident)
        stored = self.store.add(ticket, events, request_id)
        outbox.publish_now(self.store.tickets, self.publisher, stored["_id"])
        return stored
    def _check_praised(self, praised: dict) -> None:
        """A praised ticket must be one intake received, and not itself a praise call."""
        if praised["ticket_no"] is None:
            return
        ticket = self.store.get(praised["ticket_no"])
        if ticket is None or ticket["status"] == PRAISE:
            raise InvalidRequest({"praise": {"ticket_no": ["No such ticket to praise."]}})

    def _merge_repeat(self, data: dict, received_at: dt.datetime, actor: dict) -> dict | None:
        """The open ticket this call was merged into, or None when it repeats none."""
        settings = duplicates.settings_from(self.config.get("DUPLICATES"))

        def attempt() -> dict | None | Lost:
            candidates = self.store.candidates(
                data["category"], duplicates.window_start(received_at, settings),
                data["caller"]["phone"], data["address"]["estate"])
            match = duplicates.find_repeat(data, candidates, settings, received_at)
            if match is None:
                return None
            first = next(t for t in candidates if t["ticket_no"] == match.ticket_no)
            call, event = reception.repeat_call(first, data, match, received_at, actor,
                                                self.request_id)
            merged = self.store.merge(first, call, event)
            if merged is not None:
                outbox.publish_now(self.store.tickets, self.publisher, merged["_id"])
                return merged
            # a retry of this very call, or another delivery of this request, may have
            # merged it meanwhile
            return (self.store.by_request(self.request_id)
                    or self.store.by_external_id(data["external_id"]) or LOST)

        try:
            return until_written(attempt, MERGE_ATTEMPTS, Contention(data["external_id"]))
        except Contention:
            log.warning("call %s not merged after %d tries: a ticket of its own",
                        data["external_id"], MERGE_ATTEMPTS)
            return None

    def _index(self, event: dict, candidate: bool) -> None:
        if not event["ticket_no"]:
            log.warning("%s %s names no ticket", event["event_type"], event["event_id"])
            return
        self.store.set_candidate(event["ticket_no"], candidate, event)
