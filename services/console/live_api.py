"""The API's part of pages that keep themselves up to date and of steps on many tickets
(live_pages.py for the pages): GET /api/changes, what changed on a page since a cursor;
POST /api/tickets/bulk, one step on up to 100 tickets with each ticket's result."""
from __future__ import annotations

from marshmallow import RAISE

from services.console import api_schemas as schemas
from services.console import bulk
from services.console.api import blueprint, call, refuse_unless, refuses
from services.console.auth import actor
from services.shared.answers.ledger import ChangesSchema
from services.shared.errors import InvalidRequest

changes = blueprint("changes", "What changed on a page since a cursor (a page polls it)")
steps = blueprint("bulk", "One step on many tickets at once (the centre, supervisors)")
LIVE_BLUEPRINTS = (changes, steps)


@changes.route("/changes")
@refuses(403, 422)
@changes.arguments(schemas.ChangesQuerySchema, location="query", unknown=RAISE)
@changes.response(200, ChangesSchema)
def what_changed(query: dict):
    """What changed on a page since ``since`` (the last answer's ``cursor``; none at
    first): ``scope`` ``queue:<unit_id>`` (a unit's queue: its staff, the centre),
    ``centre`` (the dispatch centre's: dispatchers, supervisors, admins) or
    ``supervision`` (the same). The tickets the reader may see whose recorded steps since
    concern the page, each once with its newest ``seq`` (the same seq is the same change:
    an answer may tell one again), urgent and welfare ones flagged; ``gone``, tickets that
    left the reader's own unit. ``complete`` false when the cursor was missing or too old
    to look through: read the whole list again. Cheap enough to ask every two seconds."""
    return call("ledger", "changes", actor(), query["scope"], query.get("since"))


@steps.route("/tickets/bulk", methods=["POST"])
@refuses(403, 422)
@steps.arguments(schemas.BulkBody)
@steps.response(200, schemas.BulkAnswerSchema)
def bulk_steps(body: dict):
    """Reassign (改派) or urge (督办) up to 100 tickets at once (dispatchers, supervisors,
    admins): each ticket's step is dispatch's, checked as if taken alone; a refusal of one
    does not stop the others. Each ticket's result: ``ok``, or the ``code`` the step alone
    would have answered and a ``message`` in Chinese (503: dispatch did not answer, the
    ticket was not tried).

    Rules across fields, refused with 422: a reassign names ``unit_id``; an urge has a
    ``note``."""
    refuse_unless(bulk.BULK_TAKERS, "take steps on many tickets")
    action = body["action"]
    if action == "reassign" and not body.get("unit_id"):
        raise InvalidRequest({"unit_id": ["Name the unit the tickets go to."]})
    if action == "urge" and not body.get("note"):
        raise InvalidRequest({"note": ["Say what is urged."]})
    results = bulk.take_each(action, body["ticket_nos"], body, actor(), call)
    done = sum(1 for result in results if result["ok"])
    return {"action": action, "done": done, "failed": len(results) - done, "results": results}
