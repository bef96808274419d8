"""Years of history: a store of HISTORY_TICKETS tickets (300,000 unless told, about four
years of a subdistrict's calls) made through the bulk path the bench seeds its stores with
(deploy/history.py) in a temporary data directory, then every service started on it, each
answering its first request with the stored tickets in it.

    .venv/bin/pytest -q -s -m history tests/integration
    HISTORY_TICKETS=20000 .venv/bin/pytest -q -s tests/integration/test_history_start.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from integration_support import SERVICES
from nameko.standalone.rpc import ClusterRpcProxy

from services.shared.errors import HotlineError
from services.shared.schemas import SYSTEM_ACTOR
from services.shared.statements import vouch

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
sys.path.insert(0, str(DEPLOY))

import history  # noqa: E402  deploy/history.py

TICKETS = int(os.environ.get("HISTORY_TICKETS") or history.TICKETS)
READER = {"id": "history-grid", "name": "网格员", "role": "unit_staff",
          "unit_id": history.READ_UNIT}

pytestmark = pytest.mark.history


@pytest.fixture
def stored(tmp_path, capsys):
    """The history in ``tmp_path``/data (made by deploy/history.py in a process of its
    own, as from the command line): what was stored, and where."""
    data_dir, out = tmp_path / "data", tmp_path / "stored.json"
    data_dir.mkdir()
    started = time.monotonic()
    subprocess.run([sys.executable, str(DEPLOY / "history.py"), str(data_dir),
                    "--tickets", str(TICKETS), "--out", str(out)], check=True)
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nhistory: {TICKETS} tickets generated in {seconds:.1f} s")
    return {**json.loads(out.read_text(encoding="utf-8")), "data_dir": data_dir}


def test_every_service_starts_on_years_of_history_and_answers(stored, rabbit_config,
                                                              settings, runner_factory,
                                                              capsys):
    config = {**settings, **rabbit_config, "STORE_INIT": True,
              "MONGO_URI": history.store_uri(stored["data_dir"])}
    [closed] = stored["sample_closed"]
    started = time.monotonic()
    runner_factory(config, *SERVICES).start()
    answered = {}

    with ClusterRpcProxy(config, timeout=60) as rpc:
        ticket = rpc.intake.get_ticket(closed, vouch(SYSTEM_ACTOR))
        answered["intake"] = time.monotonic() - started
        queue = rpc.dispatch.queue(history.READ_UNIT, vouch(READER))
        answered["dispatch"] = time.monotonic() - started
        tasks = rpc.callback.tasks_for_ticket(closed, vouch(SYSTEM_ACTOR))
        answered["callback"] = time.monotonic() - started
        timeline = rpc.ledger.timeline(closed, vouch(SYSTEM_ACTOR))
        answered["ledger"] = time.monotonic() - started
        assert rpc.register.register_template()  # keeps no ticket: it answers
        answered["register"] = time.monotonic() - started
        with pytest.raises(HotlineError):  # no such token among the stored accounts
            rpc.accounts.authenticate_token("hlt_history_probe")
        answered["accounts"] = time.monotonic() - started

    assert ticket["ticket_no"] == closed
    assert len(queue) == stored["open_at_read_unit"]
    assert [task["status"] for task in tasks] == ["done"]
    steps = [entry["event_type"] for entry in timeline]
    assert steps[0] == "ticket_created" and "ticket_closed" in steps
    with capsys.disabled():
        print("history: first answers after the services' start, s: " + ", ".join(
            f"{name} {seconds:.1f}" for name, seconds in answered.items()))
