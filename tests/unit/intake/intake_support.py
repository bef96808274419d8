"""What intake's unit tests share: the config, a call to make into a ticket, and dispatch's
events that open and close tickets."""
from __future__ import annotations

from services.shared.events import new_event
from services.shared.payloads import event_data

CONFIG = {
    "TICKET_NUMBERS": {"default_prefix": "SH", "prefixes": {"杨浦区": "YP"}},
    "DUPLICATES": {"window_days": 7, "same_caller_threshold": 65, "same_place_threshold": 75},
}

KAILU_12 = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
            "estate": "开鲁新村", "building": "12号"}


def lamp_request(**changes) -> dict:
    request = {
        "channel": "hotline",
        "caller": {"name": "王阿姨", "phone": "13812345678"},
        "kind": "help",
        "category": "street_light",
        "description": "小区门口两盏路灯不亮",
        "address": dict(KAILU_12),
    }
    request.update(changes)
    return request


def published(service) -> list[tuple]:
    """(event_type, envelope) of every event the service published, in order."""
    return [call.args for call in service.publisher.call_args_list]


def closed(ticket_no: str, occurred_at: str | None = None) -> dict:
    event = new_event("dispatch", "ticket_closed",
                      event_data("ticket_closed", unit_id="grid-1", outcome="satisfied",
                                 note=None), ticket_no=ticket_no)
    return {**event, "occurred_at": occurred_at or event["occurred_at"]}


def reopened(ticket_no: str, occurred_at: str | None = None) -> dict:
    deadlines = {"accept_by": "2026-11-24T02:00:00.000Z", "contact_by": "2026-11-25T02:00:00.000Z",
                 "resolve_by": "2026-11-30T02:00:00.000Z"}
    event = new_event("dispatch", "ticket_reopened",
                      event_data("ticket_reopened", unit_id="grid-1", reopen_count=1, note="不满意",
                                 deadlines=deadlines), ticket_no=ticket_no)
    return {**event, "occurred_at": occurred_at or event["occurred_at"]}


# Who reads in these tests: an admin of the whole city; the service itself sees all.
ADMIN = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None, "district": None}
# Who takes the calls in these tests: the call centre's software, under its own account.
CALL_CENTRE = {"id": "call-centre", "name": "话务系统", "role": "call_centre", "unit_id": None}
