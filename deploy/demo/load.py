"""Load the demo stories (deploy/demo/stories.yml) through the public RPCs, as the
call-centre software and the handling units would. Safe to run twice.

    python deploy/demo/load.py [--amqp-uri URI]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.shared.errors import HotlineError, NotFound  # noqa: E402

STORIES = Path(__file__).with_name("stories.yml")
DEMO_AGENT = {"id": "demo", "name": "演示", "role": "agent", "unit_id": None}


def unit_staff(unit_id: str) -> dict:
    return {"id": f"demo-{unit_id}", "name": "演示承办人", "role": "unit_staff", "unit_id": unit_id}


def wait_for_status(rpc, ticket_no: str, seconds: float = 10) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return rpc.dispatch.get_status(ticket_no, DEMO_AGENT)
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


def load(amqp_uri: str) -> list[str]:
    from nameko.standalone.rpc import ClusterRpcProxy

    stories = yaml.safe_load(STORIES.read_text(encoding="utf-8"))
    numbers = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as rpc:
        for story in stories:
            ticket = rpc.intake.create_ticket({**story["request"], "external_id": story["external_id"]},
                                              DEMO_AGENT)
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
