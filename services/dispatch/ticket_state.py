"""A ticket's state at dispatch, as the store keeps it: one document per ticket in its
``tickets`` collection. Every field is described here once (TicketState and the TypedDicts
it nests), with what it is and which step or function sets it; TicketChanges repeats the
names a step may set. Dispatch's functions take and return these types, so that a type
checker (mypy) reports a misspelt field. Types only: the stored documents are as they were.

A field marked ``NotRequired`` may be missing from a stored document: most are missing from
documents stored before the feature that added them (code reads them with a default); the
comment says when the others are.
"""
# Not ``from __future__ import annotations``: Python 3.11 tells NotRequired fields apart
# (``__required_keys__``) only in annotations evaluated when the class is made.
import datetime as dt
from typing import Any, Literal, NotRequired, TypedDict

# accept, contact, resolve: the deadlines a unit meets, in that order
# (services.shared.payloads.DEADLINE_NAMES; a unit test holds the two together)
DeadlineName = Literal["accept", "contact", "resolve"]
DueKey = Literal["accept_by", "contact_by", "resolve_by"]
# Where each deadline's due time is kept in Deadlines: a key read from a variable must be
# one of these literals for the type checker to know it.
DUE_KEYS: dict[DeadlineName, DueKey] = {
    "accept": "accept_by", "contact": "contact_by", "resolve": "resolve_by"}

# What dispatch keeps as the shared contract shapes it: typed there, by its marshmallow
# schemas (services/shared/schemas.py, payloads.py), not here.
Caller = dict[str, Any]        # CallerSchema: name, phone, anonymous
Address = dict[str, Any]       # AddressSchema: district … building, room, detail
ResidentCard = dict[str, Any]  # ResidentCardSchema: the register's card of a resident
Actor = dict[str, Any]         # ActorSchema: id, name, role, unit_id
Event = dict[str, Any]         # an event's envelope (services.shared.events.new_event)


class Deadlines(TypedDict):
    """The deadlines in force: set by each dispatch (Policy.deadlines_for), moved later by
    an approved extension (supervision.decide_extension) or by a pause ending
    (supervision._end_pause, resolve_by only)."""

    accept_by: dt.datetime   # sign for it (签收)
    contact_by: dt.datetime  # reach the caller (联系)
    resolve_by: dt.datetime  # resolve it (办结)


class DeadlineDue(TypedDict):
    """A deadline the timer said near (``warned``) or missed (``overdue``), as it stood
    then (supervision.check_deadlines)."""

    deadline: DeadlineName
    due_at: dt.datetime


class Request(TypedDict):
    """What a unit's request to a supervisor holds, an extension or a pause: asked by the
    holding unit, then decided by a supervisor or withdrawn by dispatch when the ticket
    leaves the unit's hands (supervision._decided)."""

    reason: str                     # the unit's
    status: str                     # REQUEST_* or PAUSE_* of services/shared/states.py
    unit_id: str | None             # the unit that asked
    requested_at: dt.datetime
    requested_by: Actor
    decided_at: dt.datetime | None  # None while it waits
    decided_by: Actor | None        # a supervisor, or dispatch itself (withdrawn)
    note: str | None                # the decision's


class ExtensionRequest(Request):
    """A request for more time (延期): supervision.request_extension, decide_extension."""

    deadline: DeadlineName  # the deadline to move
    due_at: dt.datetime     # that deadline when asked
    until: dt.datetime      # the deadline asked for


class PauseRequest(Request):
    """A request to stop the resolve clock (挂起), and the pause it became once approved:
    supervision.request_pause, decide_pause, resume (and _end_pause)."""

    resume_on: dt.datetime | None  # when the timer ends it; None: until resumed
    since: dt.datetime | None      # when the clock stopped: the approval
    ended_at: dt.datetime | None   # when the pause ended
    hours: float | None            # how long it held
    ended_by: str | None           # "date" (the timer) or "request" (a person, a step)


class Urge(TypedDict):
    """A supervisor chasing the holding unit (督办): supervision.urge."""

    at: dt.datetime
    by: Actor
    unit_id: str | None             # the unit chased: the lead then
    note: str
    deadline: DeadlineName | None  # the one it owed next; None when it owed none


class Assist(TypedDict):
    """A unit assisting the lead (联勤联动): added by assists.add_assist, moved on by
    accept_assist, report_assist, release_assist and handed_to."""

    unit_id: str
    unit_name: str
    status: str                      # ASSIST_* of services/shared/states.py
    note: str | None                 # the lead's or the centre's, when adding it
    added_at: dt.datetime
    added_by: Actor
    accepted_at: dt.datetime | None
    report: str | None               # what the assisting unit did
    reported_at: dt.datetime | None
    released_at: dt.datetime | None


class Assignee(TypedDict):
    """The person of the holding unit who answers for the ticket (承办人): lifecycle.assign
    sets it, reassign and return_ticket clear it (the unit changes); a reopening to the
    same unit keeps it."""

    username: str
    name: str
    at: dt.datetime
    by: Actor  # the assignee themself (接单), a colleague or the centre (指派)


class Note(TypedDict):
    """An internal note between staff (内部备注): evidence.add_note. Never in the public
    feed nor told to the caller."""

    note_id: str
    at: dt.datetime
    by: Actor
    text: str


class Attachment(TypedDict):
    """A photo or document attached to the ticket: evidence.attach. The bytes are in the
    service's files (services/shared/files.py), under ``file_id`` (and an image's
    thumbnail under ``thumb_id``)."""

    attachment_id: str
    file_id: str
    thumb_id: str | None
    name: str
    content_type: str
    size: int                       # bytes, as kept (an image resized)
    width: int | None               # pixels, for an image
    height: int | None
    at: dt.datetime
    by: Actor
    step: str | None                # the step it came with (resolve), or None: on its own
    state: str                      # the ticket's state when it was attached


class DispatchFields(TypedDict):
    """What each dispatch sets afresh (lifecycle._dispatch_fields): when intake's ticket
    arrives, when the centre reassigns it and when a callback reopens it."""

    unit_id: str | None            # the lead unit; the centre's id while pending (also set
                                   # by return_ticket); None: answered at intake
    unit_name: str | None
    deadlines: Deadlines | None    # None: answered at intake, never dispatched
    dispatched_at: dt.datetime | None  # the start of each deadline's window
    warn_share: NotRequired[float]     # the share of a window after which it is near
    met: list[DeadlineName]            # deadlines met: accept, record_contact, resolve
    warned: NotRequired[list[DeadlineDue]]  # by the timer; an approved extension clears
                                            # the deadline it moves
    overdue: list[DeadlineDue]              # likewise
    extensions: NotRequired[list[ExtensionRequest]]
    pauses: NotRequired[list[PauseRequest]]
    paused_hours: NotRequired[float]  # this dispatch's pauses, as ended (_end_pause)


class TicketState(DispatchFields):
    """A ticket's state document, with the fields of its dispatch (DispatchFields) and the
    store's bookkeeping. Missing from documents older than the feature: warn_share,
    warned, extensions, pauses, paused_hours, urges, assists and calls (supervision),
    received_by (accounts), resident (the register) and owing_units (assisting units'
    queues)."""

    # intake's ticket, as lifecycle.created took it from ticket_created
    _id: str                  # the ticket's number: the store's key
    ticket_no: str
    received_by: NotRequired[str | None]  # the agent who took the call: sees the caller
    channel: str
    caller: Caller
    kind: str
    category: str
    urgency: str
    priority: str
    description: str
    address: Address
    received_at: dt.datetime
    calls: NotRequired[int]   # how many people called about it: raised by merged (重复件)
    resident: NotRequired[ResidentCard | None]  # the card of the resident it is about
    created_at: dt.datetime

    # where it is, set by the steps
    state: str                # one of STATES: created, then each step's Step.to
    routed: bool              # a rule or the resident's grid chose the unit: created;
                              # reassign sets it, return_ticket clears it
    route: str | None         # the place whose rule matched (or RESIDENT_GRID), likewise
    reopen_count: int         # callback_completed, on an unsatisfied callback (重办)
    outcome: str | None       # why it closed: "answered" at intake, or the callback's
    resolution: str | None    # what the unit did: resolve; a reopening clears it
    last_note: str | None     # the latest word of people on it: return_ticket's reason,
                              # the note of record_contact or reassign
    callback_note: NotRequired[str | None]  # the last callback's note (its dialer's),
                                            # kept apart from the people's last_note
    urges: NotRequired[list[Urge]]
    assists: NotRequired[list[Assist]]
    assignee: NotRequired[Assignee | None]  # missing before anyone was assigned
    notes: NotRequired[list[Note]]              # internal notes (evidence.add_note)
    attachments: NotRequired[list[Attachment]]  # photos and documents (evidence.attach)
    # the whole ticket's paused hours, never reset by a dispatch (indicators leave them
    # out): set when its first pause ends (_end_pause), missing until then
    paused_hours_total: NotRequired[float]
    updated_at: dt.datetime   # created, then every change (steps.change)
    next_check: dt.datetime | None  # when the timer must look at it next (timing.next_check)

    # the store's bookkeeping
    version: int              # 1 when created; store.apply adds one per change
    # event_ids of the consumed events it applied (services.shared.events.APPLIED) and the
    # events it said, not yet confirmed by the broker (services.shared.outbox.OUTBOX):
    # in every stored document, missing from readings (store.READING)
    applied_events: NotRequired[list[str]]
    outbox: NotRequired[list[Event]]
    outbox_pending: NotRequired[bool]  # outbox.SWEEP_FLAG: only while events wait in it
    owing_units: NotRequired[list[str]]  # the assists' units that owe their part, kept by
                                         # the store beside assists (store.OWING_UNITS)


class TicketChanges(TypedDict, total=False):
    """The fields a step sets (``Change.fields``): some of TicketState's, never intake's
    ticket nor the store's bookkeeping. The same names and types as TicketState's, listed
    again because a type checker knows no "some of TicketState" (a unit test holds the two
    together)."""

    unit_id: str | None
    unit_name: str | None
    deadlines: Deadlines | None
    dispatched_at: dt.datetime | None
    warn_share: float
    met: list[DeadlineName]
    warned: list[DeadlineDue]
    overdue: list[DeadlineDue]
    extensions: list[ExtensionRequest]
    pauses: list[PauseRequest]
    paused_hours: float
    calls: int
    state: str
    routed: bool
    route: str | None
    reopen_count: int
    outcome: str | None
    resolution: str | None
    last_note: str | None
    callback_note: str | None
    urges: list[Urge]
    assists: list[Assist]
    assignee: Assignee | None
    notes: list[Note]
    attachments: list[Attachment]
    paused_hours_total: float
    updated_at: dt.datetime
    next_check: dt.datetime | None
