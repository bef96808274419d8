"""The dispatch service: routes each new ticket to the unit that answers for it, lets units
sign for, contact, resolve or return tickets and the centre reassign them, watches
deadlines (warnings, overdue reports, urges, extensions, pauses), lets several units handle
one ticket together, and closes or reopens tickets on the callback's result. It keeps the
directory of places, units and routing rules (accounts asks it about units: ``get_unit``).

Contract version 1. Every RPC takes ``actor`` = {id, name, role, unit_id} and returns
JSON-ready dicts, each dumped with its schema in services/shared/answers/dispatch.py (the
directory's: services/shared/directory.py). Every step on a ticket answers as get_status
does, as the ticket stands after it. Errors a caller may see (``services.shared.errors``):
InvalidRequest (``errors`` lists every field), NotFound, IllegalTransition (the step is
not legal from the ticket's state, or another step won the race), NotPermitted (the actor
may not take it). A refused call changes nothing and says nothing. A step request that
comes again (redelivered after its worker wrote the step and stopped before answering) is
not taken twice: it is answered as get_status does, the ticket as it stands
(services/shared/redelivery.py).
"""
from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import datetime as dt
import logging
import weakref
from collections.abc import Callable
from typing import Any, cast

from nameko.events import EventDispatcher
from nameko.extensions import DependencyProvider

from services.dispatch import assists, evidence, lifecycle, steps, supervision
from services.dispatch import directory as directory_rules
from services.dispatch.policy import DEFAULT_WARN_SHARE, Policy, parse_time_of_day
from services.dispatch.policy import read_file as read_policy
from services.dispatch.schemas import (
    AssignArgs,
    AssistArgs,
    AttachArgs,
    AttachmentArgs,
    ContactArgs,
    DecisionArgs,
    ExtensionArgs,
    NoteArgs,
    PauseArgs,
    QueueArgs,
    ReassignArgs,
    ReportArgs,
    ResolveArgs,
    ReturnArgs,
    RouteArgs,
    TicketArgs,
    UnitArgs,
    UrgeArgs,
)
from services.dispatch.steps import ATTACH, RESOLVE, Change
from services.dispatch.store import TicketStateStore
from services.dispatch.ticket_state import Attachment, TicketState
from services.shared import (
    access,
    clock,
    leases,
    outbox,
    parking_depth,
    redelivery,
    revocation,
    rpc_guard,
    statements,
    ticket_counts,
)
from services.shared.answers.dispatch import (
    AttachmentFileSchema,
    RouteSchema,
    SupervisionSchema,
)
from services.shared.deadlines import rpc
from services.shared.directory import (
    CENTRE_ID,
    CENTRE_KIND,
    DirectorySchema,
    RuleFieldsSchema,
    RuleKeySchema,
    RuleSchema,
    UnitSchema,
    district_of,
)
from services.shared.errors import (
    EXPECTED,
    IllegalTransition,
    InvalidRequest,
    NotFound,
    NotPermitted,
)
from services.shared.events import on_event
from services.shared.evidence import MAX_UPLOAD_BYTES, TOO_MUCH, Prepared
from services.shared.evidence import prepared as prepared_file
from services.shared.files import Files, FileStorage
from services.shared.health import HealthProbes
from services.shared.schemas import CENTRE_ROLES, load, load_actor
from services.shared.service_rpc import ServiceRpc
from services.shared.states import OPEN_STATES
from services.shared.storage import LOST, Lost, Storage, until_written

log = logging.getLogger(__name__)

DEFAULT_DIRECTORY_FILE = "deploy/directory.yml"
DEFAULT_POLICY_FILE = "deploy/policy.yml"
DEFAULT_OVERDUE_CHECK_SECONDS = 10
DEFAULT_WORKDAY_START = "09:00"
DIRECTORY_EDITORS = ("dispatcher", "admin")
# A step that loses a race is decided again on the new state, a few times at most.
STEP_ATTEMPTS = 3
CENTRE_NAME_UNSET = "派单中心"


# A unit's queue shows each ticket as get_status does: building (and dumping) a few
# hundred of those views was most of what the queue cost once its tickets come from memory
# (the store's handled_by), and then the access facts and the order, worked out again for
# each ticket at every read. All of it depends on the ticket's state, which every change
# moves to a new version; a row depends too on whether the reader may see the caller and
# the card, and on the unit's role. It is kept by those, per store.
QUEUE_VIEWS_KEPT = 20_000
_queue_views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclasses.dataclass
class QueueReading:
    """What a unit's queue needs of one version of a ticket: its access facts, its place
    in a queue, and its rows as each kind of reader sees it (by queue_row's key), each
    with its JSON (rpc_guard.encoded: the answer joins them)."""
    facts: access.Facts
    order: tuple
    rows: dict[tuple, tuple[dict[str, Any], str]] = dataclasses.field(default_factory=dict)


def queue_reading(store: TicketStateStore, state: TicketState) -> QueueReading:
    """The ticket's QueueReading, kept by ticket and version (QUEUE_VIEWS_KEPT at most)."""
    kept = _queue_views.setdefault(store, collections.OrderedDict())
    key = (state["ticket_no"], state["version"])
    reading = kept.get(key)
    if reading is None:
        reading = kept[key] = QueueReading(lifecycle.facts(state), lifecycle.queue_order(state))
        while len(kept) > QUEUE_VIEWS_KEPT:
            kept.popitem(last=False)
    else:
        kept.move_to_end(key)
    return reading


def queue_row(reading: QueueReading, state: TicketState, actor: dict,
              unit_id: str) -> tuple[dict[str, Any], str]:
    """lifecycle.queue_row for ``unit_id``'s queue and its JSON, kept in the ticket's
    reading by what the reader may see and the unit's role (shared by later readers:
    callers copy before changing it)."""
    role = assists.role_of(state, unit_id)
    key = (lifecycle.may_see_caller(state, actor, reading.facts),
           lifecycle.card_level(state, actor, reading.facts), role)
    kept = reading.rows.get(key)
    if kept is None:
        row = lifecycle.queue_row(state, actor, role)
        kept = reading.rows[key] = (row, rpc_guard.encoded(row))
    return kept


# Built once: building a schema copies its fields, which costs more than a dump with it.
ROUTE, SUPERVISION, DIRECTORY = RouteSchema(), SupervisionSchema(), DirectorySchema()
UNIT, RULE, RULE_FIELDS = UnitSchema(), RuleSchema(), RuleFieldsSchema()
ATTACHMENT_FILE = AttachmentFileSchema()


class DirectoryStorage(Storage):
    """The ticket state store; at start-up it loads ``DIRECTORY_FILE`` into an empty
    directory (a directory edited over RPC is kept across restarts; copies starting
    together each fill it the same)."""

    def setup(self) -> None:
        super().setup()
        # made by Storage.setup, which types it as None until then
        store = cast(TicketStateStore, self.store)
        path = self.container.config.get("DIRECTORY_FILE", DEFAULT_DIRECTORY_FILE)
        if path and store.directory_is_empty():
            store.fill_directory(directory_rules.read_file(path))
            log.info("directory loaded from %s", path)


class DeadlinePolicy(DependencyProvider):
    """The deadline policy from ``POLICY_FILE``, read once at start-up, with the working-day
    start (``WORKDAY_START``, "09:00") and the share of a deadline's window after which it
    is near (``WARN_SHARE``, 0.8)."""

    def setup(self) -> None:
        config = self.container.config
        self.policy = read_policy(
            config.get("POLICY_FILE", DEFAULT_POLICY_FILE),
            workday_start=parse_time_of_day(config.get("WORKDAY_START") or DEFAULT_WORKDAY_START),
            warn_share=float(config.get("WARN_SHARE") or DEFAULT_WARN_SHARE))

    def get_dependency(self, worker_ctx) -> Policy:
        return self.policy


class GridRouting(DependencyProvider):
    """The categories a resident's ticket goes to the resident's grid for
    (``ROUTING.grid_categories``), read once at start-up; a bad one stops the start."""

    def setup(self) -> None:
        self.categories = directory_rules.grid_categories_from(
            self.container.config.get("ROUTING"))

    def get_dependency(self, worker_ctx) -> frozenset[str]:
        return self.categories


def _prepared(file: dict, index: int) -> Prepared:
    """A file sent over RPC, decoded, checked and prepared; InvalidRequest naming it."""
    try:
        data = base64.b64decode(file["content"], validate=True)
    except (ValueError, binascii.Error):
        raise InvalidRequest({"files": {str(index): {"content": ["Not base64."]}}}) from None
    return prepared_file(data, file.get("name"))


class DispatchService:
    name = "dispatch"

    store: TicketStateStore = DirectoryStorage(TicketStateStore)
    health = HealthProbes()  # /live and /ready on HEALTH_ADDRESS, for a scheduler
    # statements accounts withdrew: refused from the moment it says so (every copy)
    hear_ended_sessions, hear_account_changes = revocation.handlers()
    parking_depth, parked_count = parking_depth.counting()
    policy: Policy = DeadlinePolicy()
    grid_categories: frozenset[str] = GridRouting()
    publisher = EventDispatcher()
    files: Files = FileStorage()  # the bytes of attachments (GridFS, or beside the store)
    request_id: str | None = redelivery.RequestId()
    accounts = ServiceRpc("accounts")  # a unit's active staff: colleagues (assign)

    # Reading tickets
    @rpc(expected_exceptions=EXPECTED)
    def get_status(self, ticket_no: str, actor: dict) -> dict:
        """The ticket's state now: ticket_no, state, unit_id, unit_name (the lead unit),
        routed, route, category, kind, priority, urgency, calls (how many people called
        about it), caller, address, description, deadlines in force (accept_by,
        contact_by, resolve_by), resident (the register's card of the resident the ticket
        is about, or null), met, warned and overdue [{deadline, due_at}], paused,
        paused_hours, extensions and pauses (requests with their status), urges
        [{at, by, unit_id, note, deadline}], assists [{unit_id, unit_name, status, ...}],
        reopen_count, outcome, resolution, last_note, times, version; and ``actions``, the
        steps ``actor`` may take on it now (names of the RPCs below, in the order a console
        offers them), judged by the rules each step is checked by when taken. The caller's
        phone and room, and the resident's and their contacts' phones and room, are masked
        for staff of units neither leading nor assisting. The shape:
        services/shared/answers/dispatch.py, TicketStatusSchema.
        Only those the access rule lets see the ticket read it (services/shared/access.py:
        the centre and agents of its district, the units that handle or handled it); the
        resident card is whole for the centre and the resident's grid unit, a summary for
        other readers allowed one, and never carries health notes.
        Raises InvalidRequest (a malformed actor or ticket_no), NotPermitted (for a ticket
        the actor may not see and for a number nobody used alike), NotFound (to readers
        of every ticket only)."""
        actor = load_actor(actor)
        args = load(TicketArgs(), {"ticket_no": ticket_no})
        state = self.store.get(args["ticket_no"])
        if state is None:
            raise access.unseen(actor, "ticket", args["ticket_no"])
        lifecycle.check_read(state, actor)
        return self._shown(state, actor)

    @rpc(expected_exceptions=EXPECTED)
    def queue(self, unit_id: str, actor: dict, states: list[str] | None = None) -> list[dict]:
        """The open tickets a unit holds (the centre's: those pending) or assists and still
        owes its part on, each as a list shows it (QueueRowSchema: no caller; get_status
        has the whole ticket) with ``role`` ("lead" or "assist"), high priority first, then
        by nearest unmet deadline. ``states`` narrows it. Unit staff read their own unit's
        queue only, the centre the queues of its district's units and the tickets of its
        district waiting at the centre (services/shared/access.py). Raises
        InvalidRequest, NotPermitted (another's queue, and an unknown unit alike),
        NotFound for an unknown unit (to readers of every queue only)."""
        actor = load_actor(actor)
        args = load(QueueArgs(), {"unit_id": unit_id, "states": states})
        access.require(actor, "queue")
        # the centre serves every district: a district's centre reads its own part of it
        access.seen(actor, "queue", args["unit_id"], self.store.unit(args["unit_id"]),
                    lambda unit: {"unit_id": unit["id"],
                                  "district": district_of(unit) or actor.get("district")})
        handled = [(queue_reading(self.store, state), state) for state in
                   self.store.handled_by(args["unit_id"], args["states"] or OPEN_STATES)]
        handled.sort(key=lambda pair: pair[0].order)
        rows = [queue_row(reading, state, actor, args["unit_id"]) for reading, state in handled
                if access.may(actor, "ticket", reading.facts)]
        return rpc_guard.EncodedList([row for row, _ in rows], [text for _, text in rows])

    # Steps a unit takes (staff of the unit holding the ticket, or an admin)
    @rpc(expected_exceptions=EXPECTED)
    def accept(self, ticket_no: str, actor: dict) -> dict:
        """Sign for a dispatched ticket (签收): state accepted. Returns get_status's answer.
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
    def resolve(self, ticket_no: str, actor: dict, resolution: str,
                attachments: list[dict] | None = None) -> dict:
        """Record what was done (办结): state resolved; the callback phones the caller next.
        ``attachments``, photos of the site or documents ([{name, content (base64)}], as
        ``attach`` takes them), are attached with it. A ticket whose category the policy
        names in ``photos_at_resolve`` needs that many photos attached since it was last
        dispatched, these included. A paused ticket may be resolved: the pause ends then,
        its time counted. Raises InvalidRequest (no resolution; a file refused: ``files``;
        photos missing: ``photos`` names the rule), NotFound, NotPermitted,
        IllegalTransition (not signed for, or an assisting unit has not reported: the
        message names it). Nothing is kept of a refused resolve."""
        actor = load_actor(actor)
        args = load(ResolveArgs(), {"ticket_no": ticket_no, "resolution": resolution,
                                    "attachments": attachments or []})
        return self._with_files(args["ticket_no"], actor, args["attachments"], "resolve",
                                lambda state, now, kept: lifecycle.resolve(
                                    state, actor, args["resolution"], now, attachments=kept,
                                    photos_required=self.policy.photos_required(
                                        state["category"])))

    # The ticket's record: internal notes and attachments (evidence.py)
    @rpc(expected_exceptions=EXPECTED)
    def add_note(self, ticket_no: str, actor: dict, note: str) -> dict:
        """Add an internal note between staff (内部备注): by the unit holding the ticket,
        an assisting unit, the centre, supervisors or admins, on any ticket not closed.
        Shown to those who may read the ticket (get_status's ``notes``, the ledger's
        timeline), never in the public feed nor to the caller. Returns get_status's
        answer. Raises InvalidRequest, NotFound, NotPermitted, IllegalTransition (closed)."""
        actor = load_actor(actor)
        args = load(NoteArgs(), {"ticket_no": ticket_no, "note": note})
        return self._step(args["ticket_no"], actor, lambda state, now: evidence.add_note(
            state, actor, args["note"], now))

    @rpc(expected_exceptions=EXPECTED)
    def attach(self, ticket_no: str, actor: dict, files: list[dict]) -> dict:
        """Attach photos or documents on their own (not with a step): ``files`` =
        [{name, content}], content the file's bytes in base64, at most 10 (MAX_FILES) of
        at most 10 MiB each; JPEG, PNG or WebP images (kept at most 1600 px on their longer
        side, with a thumbnail) or PDF, Word (.docx) or Excel (.xlsx) documents, the type
        read from the bytes. Who may: as add_note. Returns get_status's answer (its
        ``attachments``). Raises InvalidRequest (``files``: a file refused, saying which
        and why; nothing of the call is kept), NotFound, NotPermitted, IllegalTransition."""
        actor = load_actor(actor)
        args = load(AttachArgs(), {"ticket_no": ticket_no, "files": files})
        return self._with_files(args["ticket_no"], actor, args["files"], None,
                                lambda state, now, kept: evidence.attach(state, actor, kept,
                                                                         now))

    @rpc(expected_exceptions=EXPECTED)
    def get_attachment(self, ticket_no: str, attachment_id: str, actor: dict,
                       thumbnail: bool = False) -> dict:
        """A file attached to the ticket, for those who may read its record (access.py:
        evidence: the staff of the unit handling it, the centre, supervisors): {name,
        content_type, size, content (base64)} (AttachmentFileSchema); with ``thumbnail``,
        an image's thumbnail (JPEG). Raises InvalidRequest, NotFound (no such attachment,
        no thumbnail), NotPermitted (a reader who may not read the ticket's record)."""
        actor = load_actor(actor)
        args = load(AttachmentArgs(), {"ticket_no": ticket_no, "attachment_id": attachment_id,
                                       "thumbnail": thumbnail})
        state = self.store.get(args["ticket_no"])
        if state is None:
            raise access.unseen(actor, "ticket", args["ticket_no"])
        lifecycle.check_read(state, actor, "evidence")
        item = evidence.find(state, args["attachment_id"])
        file_id = item and (item["thumb_id"] if args["thumbnail"] else item["file_id"])
        if item is None or not file_id:
            raise NotFound(f"attachment {args['attachment_id']} of {args['ticket_no']}")
        try:
            stored = self.files.get(file_id)
        except KeyError:
            log.error("%s: the bytes of attachment %s are missing", args["ticket_no"],
                      args["attachment_id"])
            raise NotFound(f"attachment {args['attachment_id']} of {args['ticket_no']}") \
                from None
        name = stored.name if not args["thumbnail"] else \
            f"缩略图-{item['name'].rsplit('.', 1)[0]}.jpg"  # a thumbnail is a JPEG
        return ATTACHMENT_FILE.dump({"name": name, "content_type": stored.content_type,
                                     "size": len(stored.data),
                                     "content": base64.b64encode(stored.data).decode("ascii")})

    # Steps the centre takes (dispatcher, supervisor, admin)
    @rpc(expected_exceptions=EXPECTED)
    def reassign(self, ticket_no: str, actor: dict, unit_id: str, note: str | None = None) -> dict:
        """Send an open ticket to ``unit_id`` with fresh deadlines: state dispatched. A pause
        ends and waiting requests are withdrawn; assisting units stay. Raises
        InvalidRequest (the centre itself), NotFound (ticket or unit), NotPermitted (not
        the centre), IllegalTransition (resolved or closed)."""
        actor = load_actor(actor)
        args = load(ReassignArgs(), {"ticket_no": ticket_no, "unit_id": unit_id, "note": note})
        # only the centre learns whether a unit exists; anyone else is refused by the step's
        # own check, as every step is (IllegalTransition on a closed ticket they may read)
        centre = actor["role"] in CENTRE_ROLES
        unit = self.store.unit(args["unit_id"]) if centre else {}
        if unit is None:
            raise NotFound(f"unit {args['unit_id']}")
        return self._step(args["ticket_no"], actor, lambda state, now: lifecycle.reassign(
            state, actor, unit, self.policy.deadlines_for(state, now), args["note"], now,
            warn_share=self.policy.warn_share))

    # Supervision (督办)
    @rpc(expected_exceptions=EXPECTED)
    def supervision(self, actor: dict) -> dict:
        """Who owes what now (supervisor, dispatcher, admin): {overdue, warning, extensions,
        pauses}. Each item names ticket_no, unit_id, unit_name, deadline, due_at, priority
        and category; overdue items add hours_late (latest first), warning items hours_left
        (least first), requests reason, requested_at, requested_by and until (extensions)
        or resume_on (pauses). High priority first in each (SupervisionSchema); a reader
        bound to a district sees its district's tickets. Raises NotPermitted."""
        actor = load_actor(actor)
        access.require(actor, "supervision")
        seen = [state for state in self.store.open_tickets()
                if access.may(actor, "ticket", lifecycle.facts(state))]
        return SUPERVISION.dump(supervision.supervision(seen, clock.now()))

    @rpc(expected_exceptions=EXPECTED)
    def urge(self, ticket_no: str, actor: dict, note: str) -> dict:
        """A supervisor chases the unit holding an open ticket (督办) about the next deadline
        it owes (``ticket_urged``); the unit sees it in ``urges``. Returns get_status's
        answer. Raises InvalidRequest (no note), NotFound, NotPermitted, IllegalTransition."""
        actor = load_actor(actor)
        args = load(UrgeArgs(), {"ticket_no": ticket_no, "note": note})
        return self._step(args["ticket_no"], actor, lambda state, now: supervision.urge(
            state, actor, args["note"], now))

    @rpc(expected_exceptions=EXPECTED)
    def request_extension(self, ticket_no: str, actor: dict, until: str, reason: str,
                          deadline: str = "resolve") -> dict:
        """The holding unit asks for more time (延期申请): ``deadline`` (accept, contact,
        resolve) to move to ``until`` (ISO 8601). Returns get_status's answer. Raises
        InvalidRequest (``until`` not later than the deadline in force, or past), NotFound,
        NotPermitted, IllegalTransition (a request already waits, the deadline is met)."""
        actor = load_actor(actor)
        args = load(ExtensionArgs(), {"ticket_no": ticket_no, "until": until, "reason": reason,
                                      "deadline": deadline})
        return self._step(args["ticket_no"], actor,
                          lambda state, now: supervision.request_extension(
                              state, actor, args["deadline"], args["until"], args["reason"],
                              now))

    @rpc(expected_exceptions=EXPECTED)
    def decide_extension(self, ticket_no: str, actor: dict, approve: bool,
                         note: str | None = None) -> dict:
        """A supervisor grants (the deadline moves to what was asked, and is watched afresh)
        or refuses the waiting extension request. Returns get_status's answer. Raises NotFound,
        NotPermitted (not a supervisor), IllegalTransition (none waits)."""
        actor = load_actor(actor)
        args = load(DecisionArgs(), {"ticket_no": ticket_no, "approve": approve, "note": note})
        return self._step(args["ticket_no"], actor, lambda state, now: supervision.decide_extension(
            state, actor, args["approve"], args["note"], now))

    @rpc(expected_exceptions=EXPECTED)
    def request_pause(self, ticket_no: str, actor: dict, reason: str,
                      resume_on: str | None = None) -> dict:
        """The holding unit, having signed for the ticket, asks for the resolve clock to
        stand still (挂起) until ``resume_on`` (ISO 8601) or until it is resumed. Returns
        the view. Raises InvalidRequest (``resume_on`` past), NotFound, NotPermitted,
        IllegalTransition (paused already, or a request waits)."""
        actor = load_actor(actor)
        args = load(PauseArgs(), {"ticket_no": ticket_no, "reason": reason,
                                  "resume_on": resume_on})
        return self._step(args["ticket_no"], actor, lambda state, now: supervision.request_pause(
            state, actor, args["reason"], args["resume_on"], now))

    @rpc(expected_exceptions=EXPECTED)
    def decide_pause(self, ticket_no: str, actor: dict, approve: bool,
                     note: str | None = None) -> dict:
        """A supervisor approves the waiting pause (the resolve clock stops now) or refuses
        it. Returns get_status's answer. Raises NotFound, NotPermitted (not a supervisor),
        IllegalTransition (none waits, or its resume_on has passed)."""
        actor = load_actor(actor)
        args = load(DecisionArgs(), {"ticket_no": ticket_no, "approve": approve, "note": note})
        return self._step(args["ticket_no"], actor, lambda state, now: supervision.decide_pause(
            state, actor, args["approve"], args["note"], now))

    @rpc(expected_exceptions=EXPECTED)
    def resume(self, ticket_no: str, actor: dict) -> dict:
        """The holding unit or a supervisor ends the pause: the resolve deadline moves later
        by the time paused (``ticket_resumed``, by request). Returns get_status's answer. Raises
        NotFound, NotPermitted, IllegalTransition (not paused)."""
        actor = load_actor(actor)
        args = load(TicketArgs(), {"ticket_no": ticket_no})
        return self._step(args["ticket_no"], actor, lambda state, now: supervision.resume(
            state, actor, now))

    # Joint handling (联勤联动)
    @rpc(expected_exceptions=EXPECTED)
    def add_assist(self, ticket_no: str, actor: dict, unit_id: str,
                   note: str | None = None) -> dict:
        """The centre or the lead unit asks ``unit_id`` to assist on an open ticket; it sees
        the ticket in its queue (role "assist"). Returns get_status's answer. Raises
        InvalidRequest (the centre or the lead itself), NotFound (ticket or unit),
        NotPermitted, IllegalTransition (it assists already, or the ticket is not open)."""
        actor = load_actor(actor)
        args = load(AssistArgs(), {"ticket_no": ticket_no, "unit_id": unit_id, "note": note})
        unit = self.store.unit(args["unit_id"])
        if unit is None:
            raise NotFound(f"unit {args['unit_id']}")
        return self._step(args["ticket_no"], actor, lambda state, now: assists.add_assist(
            state, actor, unit, args["note"], now))

    @rpc(expected_exceptions=EXPECTED)
    def accept_assist(self, ticket_no: str, actor: dict) -> dict:
        """The assisting unit (the actor's) takes on its part. Returns get_status's answer.
        Raises NotFound, NotPermitted (not an assisting unit's staff), IllegalTransition
        (its part is not waiting to be taken on)."""
        actor = load_actor(actor)
        args = load(TicketArgs(), {"ticket_no": ticket_no})
        return self._step(args["ticket_no"], actor, lambda state, now: assists.accept_assist(
            state, actor, now))

    @rpc(expected_exceptions=EXPECTED)
    def report_assist(self, ticket_no: str, actor: dict, report: str) -> dict:
        """The assisting unit (the actor's) reports its accepted part done. Returns
        get_status's answer. Raises InvalidRequest (no report), NotFound, NotPermitted,
        IllegalTransition (its part is not accepted)."""
        actor = load_actor(actor)
        args = load(ReportArgs(), {"ticket_no": ticket_no, "report": report})
        return self._step(args["ticket_no"], actor, lambda state, now: assists.report_assist(
            state, actor, args["report"], now))

    @rpc(expected_exceptions=EXPECTED)
    def release_assist(self, ticket_no: str, actor: dict, unit_id: str,
                       note: str | None = None) -> dict:
        """The centre or the lead unit releases an assisting unit that has not reported.
        Returns get_status's answer. Raises NotFound (ticket, or no assist of that unit),
        NotPermitted, IllegalTransition (no assisting unit owes its part, or that one has
        reported or was released already)."""
        actor = load_actor(actor)
        args = load(AssistArgs(), {"ticket_no": ticket_no, "unit_id": unit_id, "note": note})
        return self._step(args["ticket_no"], actor, lambda state, now: assists.release_assist(
            state, actor, args["unit_id"], args["note"], now))

    # A person within the unit (承办人)
    @rpc(expected_exceptions=EXPECTED)
    def assign(self, ticket_no: str, actor: dict, username: str) -> dict:
        """Give a held ticket (dispatched, accepted, contacted) to ``username``, one of the
        holding unit's active staff: staff of that unit take it themselves (接单) or give
        it to a colleague (指派); the centre (dispatcher, supervisor, admin) gives it to
        one of the unit's staff. Says ``ticket_assigned``; a reassignment to another unit
        or a return to the centre leaves it with nobody. Returns get_status's answer
        (``assignee``). Raises InvalidRequest (``username`` is not an active staff member
        of the holding unit: accounts says who is), NotFound, NotPermitted (not the
        holding unit's staff nor the centre), IllegalTransition (not held by a unit, or
        that person's already)."""
        statement, actor = actor, load_actor(actor)
        args = load(AssignArgs(), {"ticket_no": ticket_no, "username": username})
        asked: dict[str, list[dict]] = {}

        def colleagues_of(unit_id: str) -> list[dict]:
            # accounts' word, asked as the same person on the statement they brought, once
            # per unit (a lost race decides again)
            if unit_id not in asked:
                asked[unit_id] = self.accounts.colleagues(unit_id, statement)
            return asked[unit_id]

        return self._step(args["ticket_no"], actor, lambda state, now: lifecycle.assign(
            state, actor, args["username"], colleagues_of, now))

    # Routing and the directory
    @rpc(expected_exceptions=EXPECTED)
    def route(self, address: dict, category: str, actor: dict) -> dict:
        """Where a ticket of ``category`` at ``address`` would go, without making one:
        {unit_id, unit_name, routed, route} (RouteSchema). Raises InvalidRequest."""
        load_actor(actor)
        args = load(RouteArgs(), {"address": address, "category": category})
        destination = self._route(args["address"], args["category"])
        return ROUTE.dump({"unit_id": destination.unit_id,
                           "unit_name": self._unit_name(destination.unit_id),
                           "routed": destination.routed, "route": destination.route})

    @rpc(expected_exceptions=EXPECTED)
    def ticket_counts(self, actor: dict) -> dict[str, int]:
        """How many tickets dispatch holds for each day's numbers ({"YP20261123": 40}), for
        the ledger's ``verify`` to hold the record against (supervisors and admins;
        access.py: history). Raises NotPermitted."""
        access.require(load_actor(actor), "history")
        return ticket_counts.by_day(self.store.numbers())

    @rpc(expected_exceptions=EXPECTED)
    def get_directory(self, actor: dict) -> dict:
        """{units: [{id, name, kind, place}], places: [{name, children}], rules:
        [{category, place, unit_id}]}: the shape load_directory takes (DirectorySchema,
        services/shared/directory.py). Raises InvalidRequest (a malformed actor)."""
        load_actor(actor)
        return DIRECTORY.dump(self.store.directory())

    @rpc(expected_exceptions=EXPECTED)
    def get_unit(self, unit_id: str, actor: dict) -> dict:
        """One unit of the directory: {id, name, kind, place} (the centre's kind is
        "centre"). How accounts learns the name and kind of the unit an account names.
        Raises InvalidRequest, NotFound."""
        load_actor(actor)
        args = load(UnitArgs(), {"unit_id": unit_id})
        unit = self.store.unit(args["unit_id"])
        if unit is None:
            raise NotFound(f"unit {args['unit_id']}")
        return unit

    @rpc(expected_exceptions=EXPECTED)
    def load_directory(self, directory: dict, actor: dict) -> dict:
        """Replace the whole directory (dispatcher, admin). It must name the centre (id
        'centre', kind centre) and every place and unit its units and rules refer to.
        Tickets already dispatched keep their unit. Returns get_directory's answer.
        Raises InvalidRequest (nothing changed), NotPermitted."""
        self._directory_editor(actor)
        self.store.replace_directory(directory_rules.checked(directory))
        return DIRECTORY.dump(self.store.directory())

    @rpc(expected_exceptions=EXPECTED)
    def put_unit(self, unit: dict, actor: dict) -> dict:
        """Add a unit or change one ({id, name, kind, place}); returns it. Raises
        InvalidRequest (a second centre, a centre made a handling unit, a handling unit
        without a place), NotFound (place), NotPermitted."""
        self._directory_editor(actor)
        unit = load(UNIT, unit)
        is_centre = unit["id"] == CENTRE_ID
        if is_centre != (unit["kind"] == CENTRE_KIND):
            raise InvalidRequest(
                {"kind": [f"Only unit '{CENTRE_ID}' is the centre, and it stays one."]})
        if not is_centre and not unit["place"]:
            raise InvalidRequest({"place": ["A handling unit needs the place it answers for."]})
        if unit["place"] and not self.store.place_exists(unit["place"]):
            raise NotFound(f"place {unit['place']}")
        return UNIT.dump(self.store.put_unit(unit))

    @rpc(expected_exceptions=EXPECTED)
    def put_rule(self, rule: dict, actor: dict) -> dict:
        """Route ``category`` (or "*") at ``place`` to ``unit_id``, replacing the rule for
        that category and place; returns it. Raises InvalidRequest (a rule to the
        centre), NotFound (place, unit), NotPermitted."""
        self._directory_editor(actor)
        rule = load(RULE, rule)
        if not self.store.place_exists(rule["place"]):
            raise NotFound(f"place {rule['place']}")
        unit = self.store.unit(rule["unit_id"])
        if unit is None:
            raise NotFound(f"unit {rule['unit_id']}")
        if unit["kind"] == CENTRE_KIND:
            raise InvalidRequest({"unit_id": ["What no rule routes waits at the centre already."]})
        return RULE.dump(self.store.put_rule(rule))

    @rpc(expected_exceptions=EXPECTED)
    def remove_rule(self, rule: dict, actor: dict) -> dict:
        """Remove the rule for ``category`` at ``place``; returns {category, place}.
        Raises NotFound (no such rule), NotPermitted."""
        self._directory_editor(actor)
        key = load(RuleKeySchema(), rule)
        if not self.store.remove_rule(key["category"], key["place"]):
            raise NotFound(f"rule {key['category']} @ {key['place']}")
        return RULE_FIELDS.dump(key)

    # Events
    @on_event("intake", "ticket_created")
    def on_ticket_created(self, event: dict) -> None:
        """Route a new ticket: dispatched to a unit (a resident's ticket of a
        ROUTING.grid_categories category to the resident's grid), or pending at the centre,
        with deadlines; an answered consultation is closed at once. A redelivery changes
        nothing."""
        ticket = event["data"]
        if self.store.get(ticket["ticket_no"]) is not None:
            return
        now = clock.now()
        destination = directory_rules.resident_grid(
            ticket.get("resident"), ticket["category"], self.grid_categories, self.store.unit
        ) or self._route(ticket["address"], ticket["category"])
        deadlines = self.policy.deadlines_for(ticket, now)
        state = lifecycle.created(ticket, destination, self._unit_name(destination.unit_id),
                                  deadlines, now, warn_share=self.policy.warn_share,
                                  received_by=(event["actor"] or {}).get("id"))
        if self.store.add_if_new(state):
            outbox.publish_now(self.store.tickets, self.publisher, state["_id"])

    @on_event("callback", "callback_completed")
    def on_callback_completed(self, event: dict) -> None:
        """Close a resolved ticket on a satisfied, basically satisfied or finally
        unreachable callback; reopen it to the same unit on an unsatisfied one."""
        if not event["ticket_no"] or self.store.get(event["ticket_no"]) is None:
            log.warning("callback_completed %s names no ticket of ours (%s)",
                        event["event_id"], event["ticket_no"])
            return
        self._apply(event["ticket_no"], lambda state, now: lifecycle.callback_completed(
            state, event, self.policy.deadlines_for(state, now), now,
            warn_share=self.policy.warn_share))

    @on_event("intake", "ticket_merged")
    def on_ticket_merged(self, event: dict) -> None:
        """A repeat call was merged into an open ticket (重复件): its ``calls`` becomes the
        count intake gives. A redelivery, or an older count, changes nothing."""
        if not event["ticket_no"] or self.store.get(event["ticket_no"]) is None:
            log.warning("ticket_merged %s names no ticket of ours (%s)",
                        event["event_id"], event["ticket_no"])
            return
        self._apply(event["ticket_no"], lambda state, now: lifecycle.merged(state, event, now))

    # Timers
    @leases.timer(interval=DEFAULT_OVERDUE_CHECK_SECONDS, setting="OVERDUE_CHECK_SECONDS")
    def check_deadlines(self) -> None:
        """Say ``ticket_warning`` once for every deadline near (WARN_SHARE of its window
        gone) and ``ticket_overdue`` once for every one passed unmet; end pauses whose
        ``resume_on`` has come (``ticket_resumed``, by date). Card views the outbox sweep
        published late are cleared away too."""
        now = clock.now()
        self.store.forget_shown()
        for state in self.store.due_for_check(now):
            change = supervision.check_deadlines(state, now)
            # one that moved meanwhile is looked at again on the next pass
            if change is not None and self.store.apply(state, change) is not None:
                outbox.publish_now(self.store.tickets, self.publisher, state["_id"])

    publish_outbox = outbox.sweep(lambda service: service.store.tickets)
    publish_card_views = outbox.sweep(lambda service: service.store.shown)

    # Shared by the entrypoints
    def _with_files(self, ticket_no: str, actor: dict, files: list[dict], step: str | None,
                    decide: Callable[[TicketState, dt.datetime, list[Attachment]], Change]
                    ) -> dict[str, Any]:
        """Take a step that brings ``files``: each checked and prepared (evidence.prepared)
        and the step's right judged first, then the bytes kept, then the step applied; of
        a refused step nothing is kept (the bytes kept are forgotten again)."""
        statements.refuse_read_only(actor)
        if sum(len(file["content"]) * 3 // 4 for file in files) > MAX_UPLOAD_BYTES:
            raise InvalidRequest({"files": [TOO_MUCH]})
        state = self.store.get(ticket_no)
        if state is None:
            raise access.unseen(actor, "ticket", ticket_no)
        # the right first: no image is decoded for someone who may not take the step
        lifecycle.check_read(state, actor)
        steps.check(ATTACH if step is None else RESOLVE, state, actor)
        prepared = [_prepared(file, index) for index, file in enumerate(files)]
        now = clock.now()
        kept = [self._keep(item, actor, now, step, state["state"]) for item in prepared]
        try:
            shown = self._step(ticket_no, actor, lambda state, now: decide(state, now, kept))
        finally:
            self._forget_unrecorded(ticket_no, kept)
        return shown

    def _keep(self, item: Prepared, actor: dict, now: dt.datetime, step: str | None,
              ticket_state: str) -> Attachment:
        file_id = self.files.put(item.data, item.name, item.content_type)
        thumb_id = None
        if item.thumbnail is not None:
            thumb_id = self.files.put(item.thumbnail, item.name, "image/jpeg")
        return evidence.attachment(item, file_id, thumb_id, actor, now, step, ticket_state)

    def _forget_unrecorded(self, ticket_no: str, kept: list[Attachment]) -> None:
        """Forget the bytes of those of ``kept`` the ticket does not record: a refused step,
        a redelivered request's second copy. The ticket is read again, whatever the step
        answered (a reader's answer may leave its attachments out, and a failure may come
        after the write); when it cannot be read, nothing is forgotten: bytes left over
        are better than a recorded attachment without them."""
        try:
            state = self.store.get(ticket_no)
        except Exception:  # the store is away: keep the bytes rather than guess
            log.warning("%s: could not tell which of %d files were recorded; kept them all",
                        ticket_no, len(kept))
            return
        attached = state.get("attachments") if state is not None else None
        recorded = {item["attachment_id"] for item in attached or []}
        self._forget([item for item in kept if item["attachment_id"] not in recorded])

    def _forget(self, kept: list[Attachment]) -> None:
        for item in kept:
            self.files.delete(item["file_id"])
            if item["thumb_id"]:
                self.files.delete(item["thumb_id"])

    def _step(self, ticket_no: str, actor: dict,
              decide: Callable[[TicketState, dt.datetime], Change]) -> dict[str, Any]:
        """Take an RPC step and return the ticket's new status (get_status's answer, as the
        actor now sees it); refusals propagate. Someone who may not read the ticket is
        refused as for a number nobody used (access.py), whatever the step. A request
        carried out already (redelivered after its answer was lost) is not taken again:
        it is answered with the ticket as it stands, as the first run's answer was."""
        statements.refuse_read_only(actor)

        def seen_then_decided(state: TicketState, now: dt.datetime) -> Change:
            lifecycle.check_read(state, actor)
            return decide(state, now)

        stored = self._apply(ticket_no, seen_then_decided, actor, self.request_id)
        if stored is None:  # cannot happen for RPC steps: they raise instead of declining
            raise IllegalTransition(f"ticket {ticket_no} did not change")
        return self._shown(stored, actor)

    def _shown(self, state: TicketState, actor: dict) -> dict[str, Any]:
        """get_status's answer for ``actor``; a resident card on it is a view of the card,
        said (card_shown) for the register to record, through an outbox of its own."""
        event = lifecycle.card_shown(state, actor)
        if event is not None:
            self.store.card_shown(event)
            outbox.publish_now(self.store.shown, self.publisher, event["event_id"])
            self.store.forget_shown(event["event_id"])
        return lifecycle.status(state, actor, self.policy.photos_required(state["category"]))

    def _apply(self, ticket_no: str,
               decide: Callable[[TicketState, dt.datetime], Change | None],
               actor: dict | None = None, request_id: str | None = None
               ) -> TicketState | None:
        """Decide a step on the ticket as read and write it if nobody moved the ticket
        meanwhile; otherwise decide again on what they left. Publishes its events. A
        ticket that does not exist is access.unseen to ``actor`` (NotFound for events).
        With ``request_id`` (an RPC step), the change records it, and a ticket that
        recorded it already is returned as it stands, nothing decided (redelivery.py)."""
        def attempt() -> TicketState | None | Lost:
            state = self.store.get(ticket_no)
            if state is None:
                raise (access.unseen(actor, "ticket", ticket_no) if actor is not None
                       else NotFound(f"ticket {ticket_no}"))
            # also where a write lost to the first run of the same request ends up. Not
            # judged again: the step may have taken the ticket out of the actor's sight
            # (a return), and only the caller knows its request's id (never shown)
            if redelivery.already_applied(state, request_id):
                log.info("%s: request %s was carried out already; answered as it stands",
                         ticket_no, request_id)
                return state
            change = decide(state, clock.now())
            if change is None:
                return None
            if request_id is not None:  # RPC steps apply no consumed event of their own
                change = dataclasses.replace(
                    change, applied_event=redelivery.applied_key(request_id))
            stored = self.store.apply(state, change)
            if stored is None:
                return LOST
            outbox.publish_now(self.store.tickets, self.publisher, ticket_no)
            return stored

        return until_written(attempt, STEP_ATTEMPTS, IllegalTransition(
            f"ticket {ticket_no} keeps changing; read it again"))

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
        statements.refuse_read_only(actor)
        if actor["role"] not in DIRECTORY_EDITORS:
            raise NotPermitted(f"only {' or '.join(DIRECTORY_EDITORS)} edit the directory")
        return actor

