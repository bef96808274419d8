"""The README's commands work as written: every ```sh block the README marks runnable
(an HTML comment starting ``<!-- runnable`` on the line before it) is run, command by
command, as a person would type it from the repository's folder, against a test system,
and each command must end with status 0.

A command signs in as the README's ``--user`` would: with the API token (HOTLINE_TOKEN,
which the command lines prefer) of the test system's user of the same role. The ticket
number a block shows (YP20261123-0001) stands for the ticket its first command made; the
register file it imports is the template, filled in with a resident."""
from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RUNNABLE = re.compile(r"^<!-- runnable[^\n]*-->\n```sh\n(.*?)^```", re.M | re.S)
TICKET_NO = re.compile(r"YP\d{8}-\d{4}")
ADMIN_ACTOR = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
# The README's demo logins, as the test system's users of the same role (conftest)
USERS = {"agent": "zhou", "yinhang-grid": "li", "supervisor": "wang"}


def runnable_blocks(text: str) -> list[list[str]]:
    """Each runnable block's commands, a line continued with ``\\`` joined to the next."""
    return [[line for line in block.replace("\\\n", " ").splitlines() if line.strip()]
            for block in RUNNABLE.findall(text)]


def test_the_readme_marks_its_command_lines_runnable():
    commands = [command for block in runnable_blocks(README.read_text(encoding="utf-8"))
                for command in block]
    assert any(command.startswith(".venv/bin/hotline ") for command in commands)
    assert any(command.startswith(".venv/bin/hotline-register ") for command in commands)


@pytest.fixture(scope="module")
def tokens(console_system) -> dict[str, str]:
    """An API token of each test user, by username."""
    with ClusterRpcProxy(console_system, timeout=10) as rpc:
        return {username: rpc.accounts.issue_token(username, "README", ADMIN_ACTOR)["token"]
                for username in ("admin", *USERS.values())}


def filled_register(config: dict, folder: Path, name: str) -> None:
    """The register's template with one resident of 殷行街道 on it, saved as ``name``."""
    with ClusterRpcProxy(config, timeout=30) as rpc:
        template = rpc.register.register_template()
    book = load_workbook(io.BytesIO(base64.b64decode(template["content_base64"])))
    sheet = book.worksheets[0]
    header = next(row for row in sheet.iter_rows(values_only=True) if "姓名" in row)
    values = {"姓名": "张桂英", "联系电话": "13800000101", "区": "杨浦区", "街道": "殷行街道",
              "社区": "开鲁新村", "网格": "yinhang-grid-1"}
    row = [next((value for heading, value in values.items()
                 if str(title or "").startswith(heading)), None) for title in header]
    sheet.append(row)
    book.save(folder / name)


@pytest.mark.parametrize("block", range(len(runnable_blocks(README.read_text("utf-8")))))
def test_each_runnable_block_of_the_readme_works_as_written(
        console_system, tokens, tmp_path, block):
    commands = runnable_blocks(README.read_text(encoding="utf-8"))[block]
    for command in commands:
        for name in re.findall(r"hotline-register import (\S+\.xlsx)", command):
            if not (tmp_path / name).exists():
                filled_register(console_system, tmp_path, name)
    made: str | None = None
    for command in commands:
        if made is not None:
            command = TICKET_NO.sub(made, command)
        user = re.search(r"--user (\S+)", command)
        env = {**os.environ, "AMQP_URI": console_system["AMQP_URI"],
               "HOTLINE_TOKEN": tokens[USERS[user.group(1)] if user else "admin"]}
        done = subprocess.run(
            ["bash", "-c", command.replace(".venv/bin/", f"{Path(sys.executable).parent}/")],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
        if made is None:
            made = next(iter(TICKET_NO.findall(done.stdout)), None)
