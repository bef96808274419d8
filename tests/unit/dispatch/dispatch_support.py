"""What dispatch's unit tests share: a small directory, a deadline policy, actors,
intake's and callback's events, and a clock the tests move."""
from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable

import pytest

from services.shared import clock
from services.shared.events import new_event

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=clock.UTC)  # 09:00 in Shanghai

POLICY = {"rules": [
    {"deadlines": {"accept": {"hours": 2}, "contact": {"hours": 24}, "resolve": {"hours": 120}}},
    {"urgency": "urgent",
     "deadlines": {"accept": {"hours": 0.5}, "contact": {"hours": 2}, "resolve": {"hours": 24}}},
    {"category": "elevator", "urgency": "normal", "deadlines": {"resolve": {"hours": 360}}},
]}

KAILU = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
         "estate": "开鲁新村", "building": "12号", "room": "301", "detail": None}

DIRECTORY = {
    "units": [
        {"id": "centre", "name": "12345派单中心", "kind": "centre"},
        {"id": "grid-1", "name": "殷行街道第一网格工作站", "kind": "grid_workstation",
         "place": "杨浦区/殷行街道"},
        {"id": "kaichen", "name": "凯晨物业", "kind": "property_company",
         "place": "杨浦区/殷行街道/开鲁新村/开鲁新村"},
        {"id": "kailu-committee", "name": "开鲁新村居委会", "kind": "neighbourhood_committee",
         "place": "杨浦区/殷行街道/开鲁新村"},
        {"id": "veterans", "name": "太华路社区退役军人服务站", "kind": "department",
         "place": "未央区"},
    ],
    "places": [
        {"name": "杨浦区", "children": [{"name": "殷行街道", "children": [
            {"name": "开鲁新村",
             "children": [{"name": "开鲁新村", "children": [{"name": "12号"}]}]},
            {"name": "国和居民区", "children": [{"name": "国和小区"}]},
        ]}]},
        {"name": "未央区"},
    ],
    "rules": [
        {"category": "street_light", "place": "杨浦区/殷行街道", "unit_id": "grid-1"},
        {"category": "home_repair", "place": "杨浦区/殷行街道", "unit_id": "grid-1"},
        {"category": "elevator", "place": "杨浦区/殷行街道", "unit_id": "grid-1"},
        {"category": "home_repair", "place": "杨浦区/殷行街道/开鲁新村/开鲁新村",
         "unit_id": "kaichen"},
        {"category": "*", "place": "杨浦区/殷行街道/开鲁新村", "unit_id": "kailu-committee"},
        {"category": "veteran_services", "place": "未央区", "unit_id": "veterans"},
    ],
}


def actor(role: str, unit_id: str | None = None, name: str = "李琳",
          district: str | None = None) -> dict:
    """An actor as accounts vouches for it (``district``: none, the whole city)."""
    named = {"id": f"{role}-{unit_id or 'x'}", "name": name, "role": role, "unit_id": unit_id}
    return {**named, "district": district} if district else named


def staff(unit_id: str) -> dict:
    return actor("unit_staff", unit_id)


def colleagues(unit_id: str, statement: object = None) -> list[dict]:
    """accounts.colleagues as the tests' accounts would answer: each unit's staff actor
    (``staff(unit_id)``) and a second person, 张伟."""
    if unit_id == "centre":
        return []
    return [{"username": f"unit_staff-{unit_id}", "name": "李琳"},
            {"username": f"second-{unit_id}", "name": "张伟"}]


DISPATCHER = actor("dispatcher", "centre", "派单员")
SUPERVISOR = actor("supervisor", None, "督办员")
ADMIN = actor("admin")
KAICHEN = staff("kaichen")
GRID = staff("grid-1")
COMMITTEE = staff("kailu-committee")
NO = "YP20261123-0001"
HOUR = dt.timedelta(hours=1)


def iso(moment: dt.datetime) -> str:
    return clock.iso(moment)


def deadlines_from(moment: dt.datetime, accept=2, contact=24, resolve=120) -> dict:
    return {"accept_by": iso(moment + accept * HOUR), "contact_by": iso(moment + contact * HOUR),
            "resolve_by": iso(moment + resolve * HOUR)}


def create(service, ticket_no=NO, **changes) -> dict:
    """A ticket intake created, as dispatch holds it now (the admin's view)."""
    service.on_ticket_created(created_event(ticket_no, **changes))
    return service.get_status(ticket_no, ADMIN)


def ticket_data(ticket_no: str = "YP20261123-0001", **changes) -> dict:
    """``ticket_created`` data as intake sends it."""
    data = {
        "ticket_no": ticket_no, "channel": "hotline",
        "caller": {"name": "王阿姨", "phone": "+8613812345678", "anonymous": False},
        "kind": "help", "category": "home_repair", "description": "浴缸扶手需要打孔安装",
        "address": dict(KAILU), "urgency": "normal", "priority": "normal",
        "priority_reasons": [], "answer": None, "external_id": None, "status": "received",
        "received_at": clock.iso(START),
    }
    data.update(changes)
    return data


def created_event(ticket_no: str = "YP20261123-0001", **changes) -> dict:
    return new_event("intake", "ticket_created", ticket_data(ticket_no, **changes),
                     ticket_no=ticket_no)


def callback_event(ticket_no: str, outcome: str, *, final: bool = True, note: str | None = None,
                   attempt: int = 1) -> dict:
    data = {"task_id": f"cb-{ticket_no}-{attempt}", "outcome": outcome, "note": note,
            "attempt": attempt, "final": final, "worker_id": "dialer-1"}
    return new_event("callback", "callback_completed", data, ticket_no=ticket_no)


class Clock:
    """The time the service sees; tests move it on."""

    def __init__(self, moment: dt.datetime):
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta) -> dt.datetime:
        self.moment += dt.timedelta(**delta)
        return self.moment


def published(service) -> list[tuple[str, dict]]:
    return [call.args for call in service.publisher.call_args_list]


def published_types(service) -> list[str]:
    return [event_type for event_type, _ in published(service)]


def assert_refused(service, store, step: Callable, error: type, ticket_no: str = NO) -> None:
    """``step(service)`` raises ``error``, and the ticket is as it was and nothing was said."""
    state = store.get(ticket_no)
    service.publisher.reset_mock()
    with pytest.raises(error):
        step(service)
    assert store.get(ticket_no) == state
    assert published(service) == []


def jpeg(width: int = 64, height: int = 48, colour: str = "red") -> bytes:
    """A small photo, made with Pillow."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


def upload(name: str, data: bytes) -> dict:
    """A file as attach and resolve take it over RPC: its name and bytes in base64."""
    return {"name": name, "content": base64.b64encode(data).decode("ascii")}
