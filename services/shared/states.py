"""The states of a ticket and of what hangs on it, and the steps people take on it: each
name and each set of them defined once, for the services that move them (dispatch,
intake, callback), the ledger that records them and the console that shows them. Part of
the contract: a name here is a value in answers and events.
"""
from __future__ import annotations

# A ticket's states, all dispatch's (the README's state diagram)
PENDING = "pending"        # waits at the dispatch centre: no rule routed it, or a unit sent it back
DISPATCHED = "dispatched"  # sent to a unit, not yet signed for (签收)
ACCEPTED = "accepted"      # the unit signed for it
CONTACTED = "contacted"    # the unit reached the caller
RESOLVED = "resolved"      # the unit says it is done; waits for the callback (回访)
CLOSED = "closed"          # answered on the spot, or the callback settled it
STATES = (PENDING, DISPATCHED, ACCEPTED, CONTACTED, RESOLVED, CLOSED)
OPEN_STATES = (PENDING, DISPATCHED, ACCEPTED, CONTACTED)  # someone still owes the caller a step
HELD = (DISPATCHED, ACCEPTED, CONTACTED)  # a handling unit holds it
WORKING = (ACCEPTED, CONTACTED)           # the unit has signed for it and works on it

# A ticket as intake received it (its ``status``), and where the ledger has it before
# dispatch speaks of it
RECEIVED = "received"  # goes to dispatch
ANSWERED = "answered"  # a consultation answered on the spot
PRAISE = "praise"      # a praise call (表扬): credited, never handled
INTAKE_STATUSES = (RECEIVED, ANSWERED, PRAISE)
SEARCH_STATES = (*STATES, *INTAKE_STATUSES)  # where a search finds a ticket

# How a unit handles a ticket in its queue
LEAD = "lead"      # it holds the ticket
ASSIST = "assist"  # it assists the lead (联勤联动)
QUEUE_ROLES = (LEAD, ASSIST)

# An assisting unit's part: added by the centre or the lead, then accepted and reported by
# the assisting unit, or released before it reports
ASSIST_ADDED = "added"
ASSIST_ACCEPTED = "accepted"
ASSIST_REPORTED = "reported"
ASSIST_RELEASED = "released"
ASSIST_STATUSES = (ASSIST_ADDED, ASSIST_ACCEPTED, ASSIST_REPORTED, ASSIST_RELEASED)
ASSIST_OWING = (ASSIST_ADDED, ASSIST_ACCEPTED)  # the assisting unit still owes its part

# A unit's request for more time (延期) or for the resolve clock to stand still (挂起)
REQUEST_PENDING = "pending"      # waits for a supervisor
REQUEST_APPROVED = "approved"    # an extension granted
REQUEST_REFUSED = "refused"
REQUEST_WITHDRAWN = "withdrawn"  # the ticket left the unit's hands before a decision
PAUSE_IN_FORCE = "in_force"      # a pause approved: it holds the resolve clock
PAUSE_ENDED = "ended"            # a pause that was in force and is over
REQUEST_STATUSES = (REQUEST_PENDING, REQUEST_APPROVED, REQUEST_REFUSED, REQUEST_WITHDRAWN,
                    PAUSE_IN_FORCE, PAUSE_ENDED)

# A task of the callback service: a callback after resolution or a check-in call
CALLBACK_TASK = "callback"
CHECKIN_TASK = "checkin"
TASK_KINDS = (CALLBACK_TASK, CHECKIN_TASK)
TASK_DUE = "due"
TASK_CLAIMED = "claimed"
TASK_DONE = "done"
TASK_CANCELLED = "cancelled"  # a check-in its resident's plan no longer wants (never a callback)
TASK_STATUSES = (TASK_DUE, TASK_CLAIMED, TASK_DONE, TASK_CANCELLED)
# How a check-in ended, for the resident's card (null while it is still to be called)
CHECKIN_ANSWERED = "answered"
CHECKIN_MISSED = "missed"  # nobody answered the last try
CHECKIN_RESULTS = (CHECKIN_ANSWERED, CHECKIN_MISSED, TASK_CANCELLED)

# The steps a person takes on a ticket (dispatch's RPCs of those names), in the order
# get_status offers them (``actions``): the unit's own work first, then an assisting
# unit's, supervision and the centre's, and last the steps taken less often.
# Steps that add to a ticket's record without moving it (internal notes, attachments):
# get_status's ``evidence_actions``, the ones the asker may take now.
EVIDENCE_ACTIONS = ("add_note", "attach")
# The attachments that count as photos of the site (现场照片)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
ACTIONS = ("accept", "record_contact", "resolve", "accept_assist", "report_assist",
           "decide_extension", "decide_pause", "resume", "urge", "reassign", "add_assist",
           "release_assist", "request_extension", "request_pause", "return_ticket", "assign")
