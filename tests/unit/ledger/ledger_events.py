"""What the other services say, as the ledger's tests tell it: envelopes built with the
contract's own new_event and event_data, at the times a test chooses."""
from services.shared import clock
from services.shared.events import EVENTS_BY_SOURCE, new_event
from services.shared.payloads import event_data
from services.shared.schemas import SYSTEM_ACTOR

SOURCE_OF = {event_type: source
             for source, event_types in EVENTS_BY_SOURCE.items() for event_type in event_types}

GRID = ("yinhang-grid-1", "殷行街道第一网格工作站")
PROPERTY = ("kaichen-property", "凯晨物业")
COMMITTEE = ("kailu-committee", "开鲁新村居委会")
CENTRE = ("centre", "12345派单中心")

DEADLINES = {"accept_by": "2026-11-23T04:00:00.000Z", "contact_by": "2026-11-24T02:00:00.000Z",
             "resolve_by": "2026-11-28T02:00:00.000Z"}
CALLER = {"name": "王阿姨", "phone": "+8613812345678", "anonymous": False}


def _created(ticket_no, at):
    return {
        "ticket_no": ticket_no, "channel": "hotline", "caller": CALLER, "kind": "help",
        "category": "street_light", "description": "路灯不亮",
        "address": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
                    "estate": "开鲁新村", "building": "12号", "room": None, "detail": None},
        "urgency": "normal", "priority": "normal", "priority_reasons": [], "answer": None,
        "external_id": None, "status": "received", "received_at": at, "calls": 1,
        "praise": None,
    }


def _dispatched(unit=GRID, **data):
    return {"unit_id": unit[0], "unit_name": unit[1], "routed": True, "route": "杨浦区/殷行街道",
            "reason": "routed", "previous_unit_id": None, "category": "street_light",
            "priority": "normal", "deadlines": DEADLINES, **data}


DEFAULT_DATA = {
    "ticket_answered": lambda: {"answer": "优待证请到街道退役军人服务站办理"},
    "ticket_dispatched": _dispatched,
    "ticket_accepted": lambda unit=GRID: {"unit_id": unit[0]},
    "ticket_returned": lambda unit=GRID: {"unit_id": unit[0], "reason": "不属于本单位职责"},
    "ticket_contacted": lambda unit=GRID: {"unit_id": unit[0], "note": None},
    "ticket_resolved": lambda unit=GRID: {"unit_id": unit[0], "resolution": "已更换灯泡",
                                          "caller": CALLER},
    "ticket_overdue": lambda unit=GRID: {"unit_id": unit[0], "deadline": "accept",
                                         "due_at": DEADLINES["accept_by"]},
    "ticket_closed": lambda unit=GRID: {"unit_id": unit[0], "outcome": "satisfied", "note": None},
    "ticket_reopened": lambda unit=GRID: {"unit_id": unit[0], "reopen_count": 1, "note": None,
                                          "deadlines": DEADLINES},
    "ticket_warning": lambda unit=GRID: {"unit_id": unit[0], "deadline": "resolve",
                                         "due_at": DEADLINES["resolve_by"], "share": 0.8},
    "ticket_urged": lambda unit=GRID: {"unit_id": unit[0], "note": "请尽快处理", "deadline": None},
    "extension_requested": lambda unit=GRID: {
        "unit_id": unit[0], "deadline": "resolve", "due_at": DEADLINES["resolve_by"],
        "until": "2026-12-01T02:00:00.000Z", "reason": "需等待配件"},
    "extension_decided": lambda unit=GRID: {
        "unit_id": unit[0], "deadline": "resolve", "approved": True,
        "due_at": "2026-12-01T02:00:00.000Z", "until": "2026-12-01T02:00:00.000Z", "note": None},
    "pause_requested": lambda unit=GRID: {"unit_id": unit[0], "reason": "市民外出, 约定下周上门",
                                          "resume_on": None},
    "pause_decided": lambda unit=GRID: {"unit_id": unit[0], "approved": True, "note": None,
                                        "resume_on": None},
    "ticket_resumed": lambda unit=GRID: {"unit_id": unit[0], "paused_hours": 24.0,
                                         "due_at": "2026-12-02T02:00:00.000Z", "by": "request"},
    "assist_added": lambda unit=PROPERTY: {"unit_id": unit[0], "lead_unit_id": GRID[0],
                                           "note": "安装扶手需物业配合"},
    "assist_accepted": lambda unit=PROPERTY: {"unit_id": unit[0], "lead_unit_id": GRID[0],
                                              "note": None},
    "assist_reported": lambda unit=PROPERTY: {"unit_id": unit[0], "lead_unit_id": GRID[0],
                                              "note": "扶手已安装"},
    "assist_released": lambda unit=PROPERTY: {"unit_id": unit[0], "lead_unit_id": GRID[0],
                                              "note": None},
    "ticket_assigned": lambda unit=GRID, assignee=("zhou", "周伟"), by=("zhou", "周伟"): {
        "unit_id": unit[0], "assignee": assignee[0], "assignee_name": assignee[1],
        "previous_assignee": None, "by": by[0], "by_name": by[1],
        "taken": assignee[0] == by[0]},
    "note_added": lambda unit=GRID: {"unit_id": unit[0], "note_id": "note-1",
                                     "note": "王阿姨下午三点后在家"},
    "attachment_added": lambda unit=GRID: {"unit_id": unit[0], "attachment_id": "att-1",
                                           "name": "现场.jpg", "content_type": "image/jpeg",
                                           "size": 20480, "step": "resolve"},
    "ticket_merged": lambda: {"caller": CALLER, "channel": "hotline", "description": "路灯还是不亮",
                              "match": "same_caller", "similarity": 92.0, "calls": 2,
                              "external_id": None},
    "praise_received": lambda unit=GRID: {"praised_ticket_no": None, "praised_unit_id": unit[0],
                                          "caller": CALLER, "description": "网格员上门很及时"},
    "callback_scheduled": lambda: {"task_id": "task-1", "kind": "callback", "attempt": 1,
                                   "due_at": "2026-11-23T08:00:00.000Z"},
    "callback_completed": lambda: {"task_id": "task-1", "outcome": "satisfied", "note": None,
                                   "attempt": 1, "final": True, "worker_id": "worker-1"},
    "checkin_scheduled": lambda: {"task_id": "checkin-1", "resident_id": "r-1", "attempt": 1,
                                  "due_at": "2026-11-23T02:00:00.000Z"},
    "checkin_answered": lambda: {"task_id": "checkin-1", "resident_id": "r-1", "attempt": 1,
                                 "note": None, "worker_id": "worker-1"},
    "checkin_missed": lambda: {"task_id": "checkin-2", "resident_id": "r-1", "attempts": 3,
                               "planned_for": "2026-11-23T07:00:00.000Z",
                               "resident": {"resident_id": "r-1", "name": "孙奶奶",
                                            "phones": ["+8613800000009"],
                                            "address": {"district": "普陀区"}}},
    "register_changed": lambda: {
        "change": "changed", "version": 2,
        "resident": {"resident_id": "r-1", "name": "孙奶奶", "phones": ["+8613800000009"],
                     "address": {"district": "普陀区"},
                     "emergency_contacts": [{"name": "孙明", "relation": "儿子",
                                             "phone": "+8613900000009"}],
                     "grid_unit_id": GRID[0]}},
    "card_shown": lambda: {"resident_id": "r-1", "ticket_no": "YP20261123-0001",
                           "level": "card"},
    "account_changed": lambda: {"username": "wang.li", "change": "changed", "role": "unit_staff",
                                "unit_id": GRID[0], "fields": ["role", "unit_id"],
                                "token_id": None},
    "session_ended": lambda: {"username": "wang.li", "session_ids": ["0123456789abcdef"],
                              "reason": "role_changed"},
}


def said(event_type, ticket_no, at, *, unit=None, actor=SYSTEM_ACTOR, **data):
    """The envelope of ``event_type`` about ``ticket_no``, said at ``at`` (ISO text, UTC),
    its data the defaults above with ``data`` over them, checked against the contract."""
    at = clock.iso(clock.parse_iso(at))
    if event_type == "ticket_created":
        base = _created(ticket_no, at)
    else:
        make = DEFAULT_DATA[event_type]
        base = make(unit) if unit else make()
    event = new_event(SOURCE_OF[event_type], event_type, event_data(event_type, **{**base, **data}),
                      ticket_no=ticket_no, actor=actor)
    event["occurred_at"] = at
    return event


# Who reads the record in these tests: an admin of the whole city (services/shared/access.py)
READER = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None, "district": None}
