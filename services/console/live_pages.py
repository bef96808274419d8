"""Pages that keep themselves up to date, and one step on many tickets (routes of the pages
blueprint).

A unit's queue, the centre and supervision carry static/live.js: every LIVE_POLL_MS it asks
``/live/changes`` what changed on the page since its cursor (the ledger answers from the
minutes recorded since, within what the reader may see: ledger.changes), and when
something did, reads the page again and puts its lists in place, keeping the reader's
scroll, ticks and what they are typing. A new urgent or welfare ticket is highlighted,
announced in a banner, with a beep, and by the browser's notification where the reader
allowed it (开启提醒). Each poll is two quick RPCs (the session, the ledger), so that
gunicorn's sync workers stay free (deploy/bench.py: live).

The centre and supervisors tick tickets and reassign or urge them all at once
(``/tickets/bulk``, bulk.py): each ticket's result is shown.
"""
from __future__ import annotations

import datetime as dt

from flask import jsonify, render_template, request, url_for

from services.console import bulk
from services.console.auth import actor, require
from services.console.pages import blueprint, call, handling_units, local_path
from services.shared import clock

LIVE_POLL_MS = 1500
# A page's first cursor: a little before it was made, so a change recorded while it was
# read is told (live.js tells repeats apart by each ticket's seq).
FIRST_CURSOR_BEFORE = dt.timedelta(seconds=5)
LIVE_HEADER = "X-Live"  # live.js reading the page again: its lists only


@blueprint.route("/live/changes")
@require()
def live_changes():
    """What changed on a page since ``since`` (ledger.changes: ``scope`` queue:<unit_id>,
    centre or supervision), as JSON for live.js."""
    scope = request.args.get("scope", "")
    since = request.args.get("since") or None
    return jsonify(call("ledger", "changes", actor(), scope, since))


def live_cursor() -> str:
    """The cursor a page starts polling from."""
    return clock.iso(clock.now() - FIRST_CURSOR_BEFORE)


def live_refresh() -> bool:
    """Whether live.js is reading the page again for its lists (what else the page shows,
    such as supervision's indicators, need not be worked out again)."""
    return request.headers.get(LIVE_HEADER) == "1"


@blueprint.route("/tickets/bulk", methods=["POST"])
@require(*bulk.BULK_TAKERS)
def bulk_step():
    """Reassign or urge the ticked tickets; a page of each ticket's result."""
    form = request.form
    action = form.get("action", "")
    numbers = bulk.distinct(form.getlist("ticket_no"))
    back = local_path(form.get("next")) or url_for(".centre")
    fields = {"unit_id": (form.get("unit_id") or "").strip() or None,
              "note": (form.get("note") or "").strip() or None}
    problem = None
    if action not in bulk.ACTIONS:
        problem = "请选择批量操作：改派或督办"
    elif not numbers:
        problem = "请先勾选要处理的工单"
    elif len(numbers) > bulk.BULK_MAX:
        problem = f"一次最多处理 {bulk.BULK_MAX} 件工单"
    elif action == "reassign" and not fields["unit_id"]:
        problem = "请选择改派的承办单位"
    elif action == "urge" and not fields["note"]:
        problem = "请填写督办意见"
    if problem:
        return render_template("bulk_results.html", results=[], problem=problem, back=back,
                               action=action, unit_name=None), 422
    results = bulk.take_each(action, numbers, fields, actor(), call)
    return render_template("bulk_results.html", results=results, problem=None, back=back,
                           action=action, unit_name=_unit_name(fields["unit_id"]))


def _unit_name(unit_id: str | None) -> str | None:
    if not unit_id:
        return None
    return next((unit["name"] for unit in handling_units() if unit["id"] == unit_id), unit_id)


def register_globals(app) -> None:
    app.add_template_global(live_cursor)
    app.add_template_global(LIVE_POLL_MS, "LIVE_POLL_MS")
