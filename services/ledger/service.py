"""The ledger service: records every event the other services say, in order and for good,
and answers consoles and reports from that record.

Contract version 1. Errors a caller may see: ``InvalidRequest`` (``errors`` lists every
field), ``NotFound``, ``NotPermitted`` (the access rule, services/shared/access.py). All
come from ``services.shared.errors``. Every answer is a read:
no RPC changes the record, and the ledger says nothing. The answers are dumped with their
schemas in services/shared/answers/ledger.py.
"""
from __future__ import annotations

import base64
import logging
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from services.ledger import chain, indicators, live, publication, record, search, workbook
from services.ledger.schemas import (
    RECENT_DEFAULT,
    TICKETS_DEFAULT,
    TICKETS_MAX,
    ChangesSchema,
    IndicatorsSchema,
    RecentSchema,
    ResidentIdSchema,
    SearchSchema,
    TicketNoSchema,
    TicketsSchema,
    VerifySchema,
)
from services.ledger.store import LedgerStore
from services.shared import access, clock, parking_depth, revocation, ticket_counts
from services.shared.answers import ledger as answers
from services.shared.answers.ledger import PERSONAL_GROUPS
from services.shared.deadlines import rpc
from services.shared.errors import EXPECTED, NotFound, NotPermitted, ServicesUnavailable
from services.shared.events import EVENTS_BY_SOURCE, on_event
from services.shared.health import HealthProbes
from services.shared.schemas import SUPERVISOR_ROLES, load, load_actor
from services.shared.service_rpc import ServiceRpc
from services.shared.storage import Storage

log = logging.getLogger(__name__)
UNCHAINED_LISTED = 100  # chains named in verify's answer; the count covers them all
# Built once: building a schema copies its fields, which costs more than a dump with it.
ENTRY, TICKET = answers.TimelineEntrySchema(), answers.LedgerTicketSchema()
LISTED, INDICATORS = answers.ListedTicketSchema(), answers.IndicatorsSchema()
WORKBOOK, CHAIN_REPORT = answers.WorkbookSchema(), answers.ChainReportSchema()
PUBLIC, SEARCHED = answers.PublicRequestSchema(), answers.SearchAnswerSchema()
CHANGES = answers.ChangesSchema()


class PublicationPolicy(DependencyProvider):
    """The publication policy (``PUBLICATION``: the kinds and channels whose descriptions
    the public may read), read once at start-up; a bad one stops the start."""

    def setup(self) -> None:
        self.policy = publication.publication_from(self.container.config.get("PUBLICATION"))

    def get_dependency(self, worker_ctx) -> publication.Publication:
        return self.policy


def _recorder(source: str, event_type: str):
    """A nameko handler of ``source``'s ``event_type`` that records the event."""

    def handle(self, event: dict) -> None:
        self.record(event)

    handle.__name__ = handle.__qualname__ = f"on_{event_type}"
    handle.__doc__ = f"Record {source}'s {event_type}."
    return on_event(source, event_type, as_said=True)(handle)


def records_every_event(cls):
    """Give the service one handler, ``on_<event_type>``, per event type in
    EVENTS_BY_SOURCE, so an event type added to the contract is recorded without more code."""
    for source, event_types in EVENTS_BY_SOURCE.items():
        for event_type in event_types:
            name = f"on_{event_type}"
            if hasattr(cls, name):
                raise TypeError(f"{cls.__name__}.{name} is defined twice")
            setattr(cls, name, _recorder(source, event_type))
    return cls


@records_every_event
class LedgerService:
    name = "ledger"

    store: LedgerStore = Storage(LedgerStore)
    health = HealthProbes()  # /live and /ready on HEALTH_ADDRESS, for a scheduler
    # statements accounts withdrew: refused from the moment it says so (every copy)
    hear_ended_sessions, hear_account_changes = revocation.handlers()
    parking_depth, parked_count = parking_depth.counting()
    publication: publication.Publication = PublicationPolicy()
    dispatch = ServiceRpc("dispatch")  # verify: the tickets dispatch holds

    def record(self, event: dict) -> None:
        """Append the event to the ledger, then bring its ticket's read model and the
        indicators' buckets up to date. A redelivered event is not recorded again; the read
        model and the buckets still get it, once, if a crash came between the writes."""
        entry, new = self.store.append(record.entry_of(event, clock.now()))
        if not new:
            log.debug("%s %s already recorded", event["event_type"], event["event_id"])
        if entry["event_type"] == "ticket_dispatched":
            self.store.name_unit(entry["data"].get("unit_id"), entry["data"].get("unit_name"))
        if entry["ticket_no"] is not None:
            self.store.apply_to_ticket(entry)

    @rpc(expected_exceptions=EXPECTED)
    def timeline(self, ticket_no: str, actor: dict) -> list[dict]:
        """Everything recorded about one ticket, in the order it happened (occurred_at,
        then seq). Each item: seq, event_id, ticket_no, event_type, source, occurred_at,
        recorded_at (ISO), actor, data, and summary, a short Chinese sentence for a console
        ("派单至 殷行街道第一网格工作站", "退单: …", "回访: 满意") (TimelineEntrySchema).
        Read by the access rule (services/shared/access.py) as the record says the ticket
        stands: the caller's phones and rooms masked for those who may not see the caller,
        resident cards cut to what the reader may see (never health notes).
        Raises InvalidRequest for a missing or malformed ticket_no or actor, NotPermitted
        (a ticket the actor may not see, and one nothing is recorded for, alike), NotFound
        when nothing is recorded for it (to readers of every ticket only)."""
        actor = load_actor(actor)
        ticket_no = load(TicketNoSchema(), {"ticket_no": ticket_no})["ticket_no"]
        known = self._facts(ticket_no)
        entries = access.seen(actor, "ticket", ticket_no, self.store.timeline(ticket_no) or None,
                              lambda _: known)
        return ENTRY.dump([access.as_seen(actor, record.as_item(entry), known)
                           for entry in entries], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def ticket_view(self, ticket_no: str, actor: dict) -> dict:
        """The ticket as the ledger's events say it stands: ticket_no, state (dispatch's
        states; received, answered or praise before dispatch speaks), state_at, unit_id,
        unit_name, category, kind, channel, urgency, priority, place (district, subdistrict,
        community), received_at, outcome, closed_at, reopen_count, overdue and warnings
        ([{deadline, due_at}]), last_event_at; calls (repeat calls merged in included),
        praise ({ticket_no, unit_id} for a praise call), praise_count (praise calls naming
        this ticket), deadlines ({accept_by, contact_by, resolve_by}, as extensions and
        pauses moved them), urge_count, extension ({deadline, status requested / approved /
        refused, until, due_at}: the latest), pause (requested, paused, refused, resumed:
        the latest), resume_on, paused_hours (all pauses ended so far), assists ([{unit_id,
        status added / accepted / reported / released}]) (LedgerTicketSchema). The live
        state is dispatch.get_status; this one may lag it by the events in flight.
        Raises InvalidRequest, NotPermitted and NotFound as ``timeline``."""
        actor = load_actor(actor)
        ticket_no = load(TicketNoSchema(), {"ticket_no": ticket_no})["ticket_no"]
        row = access.seen(actor, "ticket", ticket_no, self.store.ticket(ticket_no),
                          lambda _: self._facts(ticket_no))
        return TICKET.dump(record.as_view(row))

    @rpc(expected_exceptions=EXPECTED)
    def tickets(self, actor: dict, start: str | None = None, end: str | None = None,
                status: str | None = None, limit: int = TICKETS_DEFAULT,
                ticket_nos: list[str] | None = None,
                categories: list[str] | None = None) -> list[dict]:
        """Tickets as ticket_view shows them, plus ``description`` (as received) and
        ``summary`` (the latest timeline entry's sentence; ListedTicketSchema), newest
        received first: those
        received in [``start``, ``end``) (ISO 8601 times, either left out for no bound),
        ``status`` "closed" (state closed) or "open" (any other state), among
        ``ticket_nos`` when given (unknown numbers left out), of ``categories`` when given
        (category names as in create_ticket). At most ``limit`` (1–500,
        default 100). A ticket whose ticket_created the ledger has not recorded yet has no
        received_at, and so is listed only by number. Only the tickets the actor may see
        are listed (services/shared/access.py).
        Raises InvalidRequest (a malformed time or status, a period that does not end after
        it starts, a limit out of range, an unknown category), NotPermitted (a role that
        reads no tickets)."""
        scope = record.scope_query(load_actor(actor))
        listed = self._chosen({"start": start, "end": end, "status": status, "limit": limit,
                               "ticket_nos": ticket_nos, "categories": categories}, scope)
        return LISTED.dump([record.as_listed(row, created, latest)
                            for row, created, latest in listed], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def search(self, actor: dict, query: dict | None = None) -> dict:
        """Tickets open and closed found by ``query`` (SearchSchema; every condition given
        must hold): ``ticket_no``; ``phone``, any caller's of the ticket (repeat calls
        merged in included) in any format (029-8888-1234, +86 29 8888 1234, 02988881234);
        ``name``, a caller's; ``words``, all of them words of the description (Chinese cut
        by jieba: 扶手 finds 浴缸扶手); ``place``, a district, subdistrict or community by
        name; ``categories``, ``unit_ids`` (the unit leading it), ``states`` (any of);
        ``start`` and ``end``, received in [start, end) (ISO 8601 times); ``sort`` newest
        (received, the default), oldest, updated (latest event first) or number;
        ``offset`` and ``limit`` (0–200, default 20; 0 for the count alone).
        Read from the search index kept in each ticket's read-model row (search.py), only
        among the tickets the actor may see (access.py).

        Returns ``{"total" (counted up to 500), "total_exact" (false: more than that),
        "offset", "limit", "tickets": [as ``tickets`` lists them, with
        ``caller`` {name, phone, anonymous}, the phone masked for those who may not see
        the caller]}`` (SearchAnswerSchema).
        Raises InvalidRequest (an unknown field, category, state or sort, a phone without
        digits, a period that does not end after it starts, an offset or limit out of
        range), NotPermitted (a role that reads no tickets)."""
        actor = load_actor(actor)
        scope = record.scope_query(actor)
        asked = load(SearchSchema(), query or {})
        total, exact, listed = self.store.search(search.search_query(asked, scope),
                                          search.sort_of(asked["sort"]), asked["offset"],
                                          asked["limit"], search.narrow(asked),
                                          (asked["start"], asked["end"]))
        found = []
        for row, created, latest in listed:
            caller = ((created or {}).get("data") or {}).get("caller")
            seen = access.as_seen(actor, {"caller": caller}, record.facts(row, created))
            found.append({**record.as_listed(row, created, latest), "caller": seen["caller"]})
        return SEARCHED.dump({"total": total, "total_exact": exact, "offset": asked["offset"],
                              "limit": asked["limit"], "tickets": found})

    @rpc(expected_exceptions=EXPECTED)
    def public_requests(self, start: str | None = None, end: str | None = None,
                        status: str | None = None, limit: int = TICKETS_DEFAULT,
                        ticket_nos: list[str] | None = None,
                        categories: list[str] | None = None,
                        offset: int = 0) -> list[dict]:
        """Tickets as the public reads them (the Open311 feed; no actor: anyone may ask),
        chosen as ``tickets`` chooses them, newest received first, the first ``offset``
        of them passed over (a page further on): ticket_no, category,
        state, unit_name, place (district, subdistrict, community), received_at,
        updated_at, resolve_by, and description and media_url, null unless the
        publication policy allows the ticket's kind and channel, and never for a welfare
        check, a ticket the system wrote from the register or its check-ins, a resident
        of the register's or an anonymous caller's; where given, the description's
        phones, ID and card numbers and names are redacted (PublicRequestSchema; rules in
        services/ledger/publication.py). Nothing of the caller, the address below the
        community or any other free text.
        Raises InvalidRequest as ``tickets``, and for an offset below 0."""
        listed = self._chosen({"start": start, "end": end, "status": status, "limit": limit,
                               "ticket_nos": ticket_nos, "categories": categories,
                               "offset": offset},
                              None, with_latest=False)
        return PUBLIC.dump([publication.public_request(self.publication, row, created)
                            for row, created, _ in listed], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def public_request(self, ticket_no: str) -> dict:
        """One ticket as the public reads it (as ``public_requests`` lists it; no actor).
        Raises InvalidRequest for a missing or malformed ticket_no, NotFound when the
        ledger has not recorded it (a ticket just received is found a moment later)."""
        ticket_no = load(TicketNoSchema(), {"ticket_no": ticket_no})["ticket_no"]
        listed = self.store.listed_tickets(None, None, None, [ticket_no], None, 1,
                                           with_latest=False)
        if not listed:
            raise NotFound(f"ticket {ticket_no}")
        row, created, _ = listed[0]
        return PUBLIC.dump(publication.public_request(self.publication, row, created))

    @rpc(expected_exceptions=EXPECTED)
    def tickets_of_resident(self, resident_id: str, actor: dict) -> list[dict]:
        """The tickets intake received with this resident's card on them (their calls, the
        welfare checks of their missed check-ins), as ``tickets`` lists them, newest
        received first, at most 500: those the actor may see as tickets, and all of them
        for those who may see the resident's card (the centre, the resident's grid unit).
        The register asks, for those who may read the card.
        Raises InvalidRequest (a missing or malformed resident_id or actor)."""
        actor = load_actor(actor)
        resident_id = load(ResidentIdSchema(), {"resident_id": resident_id})["resident_id"]
        numbers = self.store.resident_ticket_nos(resident_id)
        listed = self.store.listed_tickets(None, None, None, numbers, None, TICKETS_MAX)
        return [record.as_listed(row, created, latest) for row, created, latest in listed
                if access.may(actor, "ticket", record.facts(row, created))
                or access.may(actor, "card", record.facts(row, created))]

    @rpc(expected_exceptions=EXPECTED)
    def indicators(self, actor: dict, start: str, end: str, group_by: list[str] | None = None,
                   interval: str | None = None) -> dict:
        """The figures of the Shanghai days [start, end): ``start`` and ``end`` are dates
        (``2026-11-23``) or times at 00:00 Shanghai, ``end`` excluded. ``group_by``: a list
        drawn from "unit", "subdistrict", "category", "assignee"; ``interval``: None, "day"
        or "week" (weeks from Monday).

        Returns ``{"period": {start, end (UTC ISO), first_day, last_day}, "group_by",
        "interval", "rows": [{day | week, unit_id, unit_name, subdistrict, category (as
        grouped), <figures>}], "totals": {<figures>}, "units": {unit_id: {<figures>}},
        "by_state": {state: count}}``. The figures: received, accepted(_on_time, _late,
        _on_time_rate), the same for contacted and resolved, callbacks_reached, satisfied,
        basically_satisfied, unsatisfied, unreachable, satisfaction_rate, reopened,
        reopen_rate, resolve_hours_median, resolve_hours_p90, merged, praise,
        closed_satisfied; a rate or hours figure is null with nothing to measure
        (IndicatorsSchema).
        Definitions: services/ledger/indicators.py. Read from day buckets kept as events
        arrive, so a year costs little more than a day.
        The centre and supervisors read them (access.py); they name units, and a person
        (``group_by`` "assignee": the username and name of the person answering for the
        ticket, 承办人) only to supervisors and admins.
        Raises InvalidRequest for a malformed day, a time not at 00:00 Shanghai, a period
        that does not end after it starts, or an unknown grouping or interval;
        NotPermitted (also a grouping by person asked by a dispatcher)."""
        actor = load_actor(actor)
        access.require(actor, "indicators")
        self._check_grouping(actor, group_by)
        return INDICATORS.dump(self._indicators(start, end, group_by, interval))

    @rpc(expected_exceptions=EXPECTED)
    def indicators_xlsx(self, actor: dict, start: str, end: str,
                        group_by: list[str] | None = None,
                        interval: str | None = None) -> dict:
        """The same indicators as an Excel workbook (WorkbookSchema): ``{"filename",
        "content_base64"}``, an
        .xlsx with sheet 指标 (a row per group, 合计 last when grouped, Chinese headers,
        rates as percentages) and sheet 指标说明 (period, grouping, each figure defined).
        Arguments and errors as ``indicators``."""
        actor = load_actor(actor)
        access.require(actor, "indicators")
        self._check_grouping(actor, group_by)
        answer = self._indicators(start, end, group_by, interval)
        return WORKBOOK.dump({"filename": workbook.filename(answer),
                              "content_base64": base64.b64encode(
                                  workbook.indicators_workbook(answer)).decode("ascii")})

    def _chosen(self, asked: dict, scope: dict | None, *,
                with_latest: bool = True) -> list[tuple]:
        """The rows ``tickets`` (and ``public_requests``) choose for these arguments, within
        a reader's ``scope``; InvalidRequest for malformed ones."""
        args = load(TicketsSchema(), asked)
        closed = None if args["status"] is None else args["status"] == "closed"
        return self.store.listed_tickets(args["start"], args["end"], closed,
                                         args["ticket_nos"], args["categories"],
                                         args["limit"], scope, with_latest=with_latest,
                                         offset=args["offset"])

    def _facts(self, ticket_no: str) -> access.Facts:
        return record.facts(self.store.ticket(ticket_no), self.store.created_entry(ticket_no))

    @staticmethod
    def _check_grouping(actor: dict, group_by: Any) -> None:
        """NotPermitted for a grouping by person (承办人) asked by anyone but supervisors
        and admins; a malformed grouping is left to IndicatorsSchema."""
        asked = group_by if isinstance(group_by, list) else []
        if any(group in PERSONAL_GROUPS for group in asked if isinstance(group, str)) \
                and actor["role"] not in SUPERVISOR_ROLES:
            raise NotPermitted("only supervisors and admins group the indicators by person")

    def _indicators(self, start: str, end: str, group_by: list[str] | None,
                    interval: str | None) -> dict:
        asked = load(IndicatorsSchema(), {"start": start, "end": end, "group_by": group_by,
                                          "interval": interval})
        first_day, end_day = asked["start"].isoformat(), asked["end"].isoformat()
        buckets = self.store.buckets_between(first_day, end_day)
        unit_names = self.store.unit_names(sorted({bucket["unit_id"] for bucket in buckets
                                                   if bucket["unit_id"]}))
        answer = indicators.answer(buckets, asked["group_by"] or [], asked["interval"],
                                   unit_names)
        return {"period": indicators.period(asked["start"], asked["end"]), **answer}

    @rpc(expected_exceptions=EXPECTED)
    def recent(self, actor: dict, limit: int = RECENT_DEFAULT) -> list[dict]:
        """The newest recorded entries across tickets, newest first (items as in
        timeline, TimelineEntrySchema), for supervisors and admins (access.py: history),
        callers' phones and rooms masked and resident cards cut as for a reader of no
        ticket in particular. ``limit`` 1–500, default 50.
        Raises InvalidRequest, NotPermitted."""
        actor = load_actor(actor)
        access.require(actor, "history")
        limit = load(RecentSchema(), {"limit": limit})["limit"]
        return ENTRY.dump([access.as_seen(actor, record.as_item(entry), {})
                           for entry in self.store.recent(limit)], many=True)

    @rpc(expected_exceptions=EXPECTED)
    def changes(self, actor: dict, scope: str, since: str | None = None) -> dict:
        """What changed on a page since the cursor ``since`` (the last answer's ``cursor``;
        none at first), for pages that keep themselves up to date (services/ledger/live.py):
        ``scope`` "queue:<unit_id>" (a unit's queue: access.py queue), "centre" (the dispatch
        centre's) or "supervision" (access.py supervision). Answers {cursor, complete,
        changed, tickets: [{ticket_no, seq, event_type, state, unit_id, category, kind,
        urgency, priority, urgent, welfare}], gone: [ticket_no]} (ChangesSchema): the
        tickets the actor may see (record.scope_query) whose recorded steps since concern
        the page, each once with its newest; ``gone``, tickets that left the reader's own
        unit. Read from the entries of the minutes since (an index), never every ticket.
        Raises InvalidRequest (a scope naming no page, a malformed time), NotPermitted (a
        page the actor may not read)."""
        actor = load_actor(actor)
        asked = load(ChangesSchema(), {"scope": scope, "since": since})
        page, unit_id = live.scope_of(actor, asked["scope"])
        now = clock.now()
        start, complete = live.window(asked["since"], now)
        entries = self.store.recorded_since(live.minutes_between(start, now))
        entries = [entry for entry in entries if entry.get("ticket_no") is not None
                   and clock.as_utc(entry["recorded_at"]) > start]
        rows = self.store.rows_within(sorted({entry["ticket_no"] for entry in entries}),
                                      record.scope_query(actor))
        return CHANGES.dump(live.answer(actor, page, unit_id, entries, rows, start, complete,
                                        now))

    @rpc(expected_exceptions=EXPECTED)
    def verify(self, actor: dict, ticket_no: str | None = None) -> dict:
        """Walk the hash chains of the record (every chain, or only ``ticket_no``'s) and
        report what was changed directly in the store (rules: chain.py), for supervisors
        and admins (access.py: history; NotPermitted for others). It changes nothing, and
        its answer names no person.

        Returns ``{"checked": entries walked, "chains": chains walked, "broken": [{ticket_no
        (null outside a ticket), chain (the ticket number, resident:<id> or global), seq
        (the place in the chain; null for an event the read model applied that the record
        no longer has), event_id, problem (edited, removed, reordered), detail}],
        "unchained": entries recorded before the ledger chained its entries (not broken),
        "unchained_chains": the first UNCHAINED_LISTED chains holding them, "tickets": for
        the whole record, {ledger: tickets recorded created, dispatch: tickets dispatch
        holds (null when it does not answer), differ: [{day, ledger, dispatch}] for each
        day's numbers the two count differently} (a store that lost its tickets shows
        here, chains whole or not)}`` (ChainReportSchema).
        Raises InvalidRequest for a malformed ticket_no, NotFound when nothing is recorded
        for it."""
        statement = actor  # passed on to dispatch as it came
        access.require(load_actor(actor), "history")
        ticket_no = load(VerifySchema(), {"ticket_no": ticket_no})["ticket_no"]
        answer: dict = {"checked": 0, "chains": 0, "broken": [], "unchained": 0,
                        "unchained_chains": [], "tickets": None}
        recorded: set[str] = set()
        ends: dict[str, tuple[int, int]] = {}  # ticket_no: (places removed, last seq)
        for entries in self.store.chains(ticket_no):
            broken, unchained = chain.problems(entries)
            if entries[0].get("ticket_no") is not None:
                ends[entries[0]["ticket_no"]] = (
                    sum(item["problem"] == chain.REMOVED for item in broken),
                    max(chain.place(entry) or 0 for entry in entries))
            answer["checked"] += len(entries)
            answer["chains"] += 1
            answer["broken"] += broken
            answer["unchained"] += unchained
            if unchained and len(answer["unchained_chains"]) < UNCHAINED_LISTED:
                answer["unchained_chains"].append(chain.chain_of(entries[0]))
            recorded.update(entry["_id"] for entry in entries if entry.get("ticket_no"))
            eventlet.sleep(0)  # a long walk must not keep the ledger from recording
        if ticket_no is not None and not answer["checked"]:
            raise NotFound(f"ticket {ticket_no}")
        for row_ticket_no, applied in self.store.applied_events(ticket_no):
            # A praise names another ticket's row: look its event up in the record.
            elsewhere = [event_id for event_id in applied if event_id not in recorded]
            lost = set(elsewhere) - self.store.recorded(elsewhere) if elsewhere else set()
            if lost:
                answer["broken"] += chain.missing(row_ticket_no, lost,
                                                  *ends.get(row_ticket_no, (0, 0)))
        if ticket_no is None:
            answer["tickets"] = self._against_dispatch(statement)
        return CHAIN_REPORT.dump(answer)

    def _against_dispatch(self, statement: Any) -> dict:
        """The tickets the ledger recorded created, against those dispatch holds."""
        recorded = ticket_counts.by_day(self.store.created_numbers())
        try:
            held: dict[str, int] | None = self.dispatch.ticket_counts(statement)
        except ServicesUnavailable as away:
            log.warning("verify: dispatch's counts unknown: %s", away)
            held = None
        return {"ledger": sum(recorded.values()),
                "dispatch": None if held is None else sum(held.values()),
                "differ": [] if held is None else ticket_counts.differences(recorded, held)}
