"""What the accounts unit tests share: dispatch as accounts asks it about units, actors, the
people the stories are about, and a cheap password hasher."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher

from services.shared import clock
from services.shared.errors import NotFound

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=clock.UTC)  # 09:00 in Shanghai
DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
# Default argon2 takes ~0.1 s a hash; the tests that are not about it use a cheap one.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

UNITS = [
    {"id": "centre", "name": "12345派单中心", "kind": "centre", "place": None},
    {"id": "grid-1", "name": "殷行街道第一网格工作站", "kind": "grid_workstation",
     "place": "杨浦区/殷行街道"},
    {"id": "kaichen", "name": "凯晨物业", "kind": "property_company",
     "place": "杨浦区/殷行街道/开鲁新村/开鲁新村"},
]


class Dispatch:
    """dispatch as the accounts service reaches it (its RpcProxy): the units of a directory,
    by get_unit. ``asked`` counts the questions; a test may take a unit away."""

    def __init__(self, units: list[dict]):
        self.units = {unit["id"]: dict(unit) for unit in units}
        self.asked = 0

    def get_unit(self, unit_id: str, actor: dict) -> dict:
        self.asked += 1
        if unit_id not in self.units:
            raise NotFound(f"unit {unit_id}")
        return dict(self.units[unit_id])


def deployed_units() -> list[dict]:
    """The units of deploy/directory.yml, as dispatch starts with them."""
    directory = yaml.safe_load((DEPLOY / "directory.yml").read_text(encoding="utf-8"))
    return [{"place": None, **unit} for unit in directory["units"]]


def actor(role: str, unit_id: str | None = None, name: str = "李琳") -> dict:
    return {"id": f"{role}-{unit_id or 'x'}", "name": name, "role": role, "unit_id": unit_id}


ADMIN = actor("admin")
DISPATCHER = actor("dispatcher", "centre", "派单员")
SUPERVISOR = actor("supervisor", None, "督办员")
KAICHEN = actor("unit_staff", "kaichen")

FIRST = {"username": "admin", "name": "系统管理员", "password": "first-admin-pass"}
WANG = {"username": "wang.li", "name": "王丽", "role": "unit_staff", "unit_id": "kaichen",
        "password": "kaichen-wang-1"}
ZHANG = {"username": "zhang.min", "name": "张敏", "role": "dispatcher", "unit_id": "centre",
         "password": "centre-zhang-1"}


def published(service: Any) -> list[tuple[str, dict]]:
    """What the service said so far: (event_type, envelope) pairs."""
    return [call.args for call in service.publisher.call_args_list]
