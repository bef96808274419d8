"""Load the demo through the public RPCs: first the console's demo logins
(deploy/demo/users.yml: the first admin, then everyone else, made by that admin), then the
register of residents (deploy/demo/register.yml), then the stories (deploy/demo/stories.yml),
as the call-centre software and the handling units would take them. Safe to run twice: what
exists already is left alone. It signs its actors with accounts' key (HOTLINE_SIGNING_KEY,
services/shared/statements.py), as the operator's own tool that starts the system.

    python deploy/demo/load.py [--amqp-uri URI]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.shared import clock  # noqa: E402
from services.shared.errors import HotlineError, IllegalTransition, NotFound  # noqa: E402
from services.shared.statements import vouch  # noqa: E402

STORIES = Path(__file__).with_name("stories.yml")
USERS = Path(__file__).with_name("users.yml")
REGISTER = Path(__file__).with_name("register.yml")
DEMO_AGENT = {"id": "demo", "name": "演示", "role": "agent", "unit_id": None}


def unit_staff(unit_id: str) -> str:
    return vouch({"id": f"demo-{unit_id}", "name": "演示承办人", "role": "unit_staff",
                  "unit_id": unit_id})


def wait_for_status(rpc, ticket_no: str, seconds: float = 10) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return rpc.dispatch.get_status(ticket_no, vouch(DEMO_AGENT))
        except NotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def work(rpc, ticket_no: str, steps: list) -> None:
    """Take the story's steps as the holding unit; steps already taken are skipped."""
    status = wait_for_status(rpc, ticket_no)
    actor = unit_staff(status["unit_id"])
    for step in steps:
        name, *text = [step] if isinstance(step, str) else step
        try:
            if name == "accept":
                rpc.dispatch.accept(ticket_no, actor)
            elif name == "contact":
                rpc.dispatch.record_contact(ticket_no, actor, text[0])
            elif name == "resolve":
                rpc.dispatch.resolve(ticket_no, actor, text[0])
        except HotlineError:
            continue  # loaded before: this step was taken already


def load_users(rpc) -> list[dict]:
    """Make the demo logins: the first admin, then the others as that admin. An account
    that exists already (an earlier load, or made by hand) is left as it is."""
    demo = yaml.safe_load(USERS.read_text(encoding="utf-8"))
    admin = demo["admin"]
    try:
        rpc.accounts.create_first_admin(admin)
    except IllegalTransition:
        pass  # there is an admin already
    as_admin = vouch({"id": admin["username"], "name": admin["name"], "role": "admin",
                      "unit_id": None})
    for user in demo["users"]:
        try:
            rpc.accounts.create_user(user, as_admin)
        except IllegalTransition:
            continue  # exists already
    made = {user["username"] for user in rpc.accounts.list_users(as_admin)}
    logins = [login for login in [{**admin, "role": "admin", "unit_id": None}] + demo["users"]
              if login["username"] in made]  # not the demo admin if another admin came first
    return logins


def load_register(rpc) -> None:
    """Put the seed residents (deploy/demo/register.yml) in the register, as the demo admin,
    before the stories, so that their calls find them there. A resident already in it (the
    same name, found by their first phone) is left as they are."""
    admin = yaml.safe_load(USERS.read_text(encoding="utf-8"))["admin"]
    as_admin = vouch({"id": admin["username"], "name": admin["name"], "role": "admin",
                      "unit_id": None})
    for resident in yaml.safe_load(REGISTER.read_text(encoding="utf-8")):
        soon = resident.pop("demo_first_checkin_in_minutes", None)
        if soon is not None:  # a check-in a few minutes from now, for the demo to show
            at = clock.local(clock.now() + dt.timedelta(minutes=soon))
            plan = resident["checkin_plan"]
            plan["times"] = sorted(set(plan["times"]) | {f"{at:%H:%M}"})
            plan["days"] = sorted(set(plan["days"]) | {at.isoweekday()})
        found = rpc.register.find_residents(as_admin, phone=resident["phones"][0],
                                          include_retired=True)
        row = next((row for row in found if row["name"] == resident["name"]), None)
        if row is None:
            row = rpc.register.add_resident(resident, as_admin)
        print(f"register: {row['resident_id']}  {row['name']:<6} {row['age']}岁 "
              f"{row['grid_unit_id'] or '-'}")


def load(amqp_uri: str) -> list[str]:
    from nameko.standalone.rpc import ClusterRpcProxy

    stories = yaml.safe_load(STORIES.read_text(encoding="utf-8"))
    numbers = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as rpc:
        load_users(rpc)
        load_register(rpc)
        for story in stories:
            ticket = rpc.intake.create_ticket({**story["request"],
                                               "external_id": story["external_id"]},
                                              vouch(DEMO_AGENT))
            if ticket["status"] != "answered":
                work(rpc, ticket["ticket_no"], story.get("steps") or [])
            status = wait_for_status(rpc, ticket["ticket_no"])
            numbers.append(ticket["ticket_no"])
            print(f"demo: {ticket['ticket_no']}  {status['state']:<10} "
                  f"{status.get('unit_name') or '-':<16} {story['request']['description'][:24]}")
    return numbers


if __name__ == "__main__":
    options = argparse.ArgumentParser(description="Load the demo stories.")
    options.add_argument("--amqp-uri", default=os.environ.get(
        "AMQP_URI", "pyamqp://guest:guest@localhost:5672/"))
    load(options.parse_args().amqp_uri)
