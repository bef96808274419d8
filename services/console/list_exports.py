"""A unit's queue and the centre's waiting tickets as CSV and Excel: the list the page shows,
with the page's filters (state, category, "mine"), every row as words
(downloads.table_download: formula-safe). 工单查询 exports any list of open and closed
tickets (search_pages.py); these export the queues as their readers work them."""
from __future__ import annotations

import datetime as dt

from services.console import display
from services.console.auth import require
from services.console.downloads import table_download
from services.console.pages import blueprint, centre_tickets, queue_tickets
from services.shared import clock
from services.shared.schemas import CENTRE_ROLES

QUEUE_COLUMNS = (("ticket_no", "工单号"), ("state", "状态"), ("role", "承办方式"),
                 ("category", "类别"), ("kind", "诉求类型"), ("priority", "优先级"),
                 ("urgency", "紧急程度"), ("place", "地址"), ("description", "诉求内容"),
                 ("calls", "来电次数"), ("next", "下一时限"), ("assignee", "承办人"),
                 ("urges", "督办次数"))


def queue_row(ticket: dict, now: dt.datetime) -> dict:
    """A queue's ticket as a row of its export, in words."""
    next_deadline = display.next_deadline(ticket, now)
    return {"ticket_no": ticket["ticket_no"],
            "state": display.word(display.STATE_WORDS, ticket["state"]),
            "role": "主办" if ticket.get("role") == "lead" else "协办",
            "category": display.word(display.CATEGORY_WORDS, ticket["category"]),
            "kind": display.word(display.KIND_WORDS, ticket["kind"]),
            "priority": "优先" if ticket.get("priority") == "high" else "普通",
            "urgency": display.word(display.URGENCY_WORDS, ticket.get("urgency")),
            "place": display.place(ticket.get("address")),
            "description": ticket.get("description") or "", "calls": ticket.get("calls"),
            "next": "" if next_deadline is None else
            f"{next_deadline['word']} {display.local_time(next_deadline['due_at'])}",
            "assignee": (ticket.get("assignee") or {}).get("name") or "",
            "urges": len(ticket.get("urges") or [])}


@blueprint.route("/units/<unit_id>/queue/export.<any(csv, xlsx):kind>")
@require()
def queue_export(unit_id: str, kind: str):
    """A unit's queue as the page filters it (state, category, mine), as CSV or Excel."""
    now = clock.now()
    rows = [queue_row(ticket, now) for ticket in queue_tickets(unit_id)]
    return table_download(QUEUE_COLUMNS, rows, kind, f"在办工单-{unit_id}")


@blueprint.route("/centre/export.<any(csv, xlsx):kind>")
@require(*CENTRE_ROLES)
def centre_export(kind: str):
    """The tickets waiting at the dispatch centre, as CSV or Excel."""
    now = clock.now()
    rows = [queue_row(ticket, now) for ticket in centre_tickets()]
    return table_download(QUEUE_COLUMNS, rows, kind, "派单中心待派工单")
