"""The register's command line: import a committee's spreadsheet, export a unit's register,
get the blank template. It talks to the register service over RPC, as the console does.

    python -m services.register.cli import 开鲁新村台账.xlsx           # dry run: the report
    python -m services.register.cli import 开鲁新村台账.xlsx --apply   # then apply it
    python -m services.register.cli export --grid yinhang-grid-1 台账.xlsx
    python -m services.register.cli template 台账模板.xlsx

The file to write is named after the command, or with ``--out`` (either; without one, the
name the register gives the workbook).

An import always shows the dry run's row-by-row report first. With ``--apply`` the rows
to add or change are then applied in chunks (``--chunk`` rows per call, all under one
import batch id), with a progress bar on standard error. It signs in through accounts as
``--user`` (the password is asked for) or with the API token in HOTLINE_TOKEN; the register's
history records them.
"""
from __future__ import annotations

import argparse
import base64
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from services.agent_cli import DEFAULT_AMQP_URI, over_rpc
from services.register.importing import ACTIONS, ADD, CHANGE, REFUSED, new_batch_id
from services.shared import clock
from services.shared.signed_in import sign_in
from services.shared.words import IMPORT_ACTION_WORDS

DEFAULT_CHUNK = 50
RPC_TIMEOUT = 120  # a chunk of rows, each written and its event published
BAR_WIDTH = 30


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="register", description="台账: import, export, template")
    top.add_argument("--amqp-uri", default=DEFAULT_AMQP_URI)
    top.add_argument("--user", default=None,
                     help="sign in as this user (the password is asked for), unless "
                          "HOTLINE_TOKEN holds an API token")
    commands = top.add_subparsers(dest="command", required=True)
    importing = commands.add_parser("import", help="import a register (.xlsx or .csv)")
    importing.add_argument("file", type=Path)
    importing.add_argument("--apply", action="store_true",
                           help="after the dry run, apply the rows to add and change")
    importing.add_argument("--chunk", type=int, default=DEFAULT_CHUNK,
                           help=f"rows per call when applying (default {DEFAULT_CHUNK})")
    exporting = commands.add_parser("export", help="export the register to .xlsx")
    exporting.add_argument("--grid", dest="grid_unit_id", default=None,
                           help="only this grid unit's residents")
    written_to(exporting)
    written_to(commands.add_parser("template", help="the blank register to fill in"))
    return top


def written_to(command: argparse.ArgumentParser) -> None:
    """The file a command writes: named after it, as the README shows, or with --out."""
    target = command.add_mutually_exclusive_group()
    target.add_argument("out_file", nargs="?", type=Path, default=None, metavar="FILE",
                        help="the .xlsx to write (default: the name the register gives it)")
    target.add_argument("--out", type=Path, default=None, help="the same, as an option")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def print_report(report: dict, out: TextIO = sys.stdout) -> None:
    """The import report as a table: row, name, what happens, why or what changes."""
    if report["ignored_columns"]:
        print(f"未识别的列 (不导入): {'、'.join(report['ignored_columns'])}", file=out)
    print(f"{_cell('行', 6)}{_cell('姓名', 14)}{_cell('结果', 8)}说明", file=out)
    for row in report["rows"]:
        detail = "；".join(row["reasons"]) if row["reasons"] else \
            "、".join(row["changed_columns"]) or (row["resident_id"] or "")
        print(f"{_cell(str(row['row']), 6)}{_cell(row['name'] or '-', 14)}"
              f"{_cell(IMPORT_ACTION_WORDS[row['action']], 8)}{detail}", file=out)
    print(summary(report["counts"]), file=out)


def summary(counts: dict) -> str:
    return "合计: " + "，".join(f"{IMPORT_ACTION_WORDS[action]} {counts.get(action, 0)}"
                              for action in ACTIONS)


def progress(done: int, total: int, out: TextIO = sys.stderr) -> None:
    """A text progress bar, redrawn in place: 导入 [########------] 120/435 行."""
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    out.write(f"\r导入 [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{total} 行")
    if done >= total:
        out.write("\n")
    out.flush()


def import_file(rpc, filename: str, content: bytes, actor: Callable[[], str], apply: bool,
                chunk: int,
                out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> dict:
    """Dry-run the file and print its report; with ``apply``, apply the rows to add or
    change in chunks of ``chunk`` rows, one batch, showing progress. Returns how many rows
    were added and changed, and refused when applied (or the dry run's counts)."""
    encoded = base64.b64encode(content).decode("ascii")
    report = rpc.register.import_register(encoded, filename, actor(), dry_run=True)
    print_report(report, out)
    numbers = [row["row"] for row in report["rows"] if row["action"] in (ADD, CHANGE)]
    if not apply:
        if numbers:
            print("这是预览，未写入台账；确认无误后加 --apply 导入。", file=out)
        return report["counts"]
    if not numbers:
        print("没有需要新增或修改的行。", file=out)
        return report["counts"]
    batch = new_batch_id(clock.now())
    done = {ADD: 0, CHANGE: 0, REFUSED: 0}
    progress(0, len(numbers), err)
    for start in range(0, len(numbers), chunk):
        part = set(numbers[start:start + chunk])
        applied = rpc.register.import_register(encoded, filename, actor(), dry_run=False,
                                             rows=[min(part), max(part)], batch_id=batch)
        for row in applied["rows"]:
            if row["row"] in part:
                done[row["action"] if row["action"] in done else REFUSED] += 1
                if row["action"] == REFUSED:
                    print(f"\n第{row['row']}行 {row['name']}: 未导入，"
                          f"{'；'.join(row['reasons'])}", file=err)
        progress(min(start + chunk, len(numbers)), len(numbers), err)
    print(f"已导入 (批次 {batch}): 新增 {done[ADD]}，修改 {done[CHANGE]}，"
          f"未能导入 {done[REFUSED]}", file=out)
    return done


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        content = args.file.read_bytes() if args.command == "import" else b""
    except OSError as error:
        print(f"register: {error}", file=sys.stderr)
        return 2

    out = getattr(args, "out", None) or getattr(args, "out_file", None)

    def work(rpc) -> int:
        if args.command == "template":
            return save(rpc.register.register_template(), out)
        signed = sign_in(rpc, args.user)
        try:
            if args.command == "import":
                import_file(rpc, args.file.name, content, signed, args.apply,
                            max(args.chunk, 1))
                return 0
            return save(rpc.register.export_register(signed(),
                                                     grid_unit_id=args.grid_unit_id), out)
        finally:
            signed.end()

    return over_rpc("register", args.amqp_uri, RPC_TIMEOUT, work,
                    silent="the register does not answer")


def save(answer: dict, out: Path | None) -> int:
    """Write an exported workbook to ``out`` (default: the name the register gave it)."""
    path = out or Path(answer["filename"])
    try:
        path.write_bytes(base64.b64decode(answer["content_base64"]))
    except OSError as error:
        print(f"register: {error}", file=sys.stderr)
        return 2
    print(f"saved {path}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
