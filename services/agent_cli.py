"""A small command-line client for hotline agents: create a ticket, show it, read its
timeline, look at a unit's queue. It talks to the services over nameko RPC only.

    hotline create --district 杨浦区 --subdistrict 殷行街道 --estate 开鲁新村 \
        --category street_light --kind help --phone 13812345678 --description "路灯不亮"
    hotline show YP20261123-0001
    hotline timeline YP20261123-0001
    hotline queue yinhang-grid-1
    hotline indicators --start 2026-11-01 --end 2026-12-01 --by unit --xlsx 11月.xlsx

Every command line signs in through accounts, as the person or program it acts for: with
an API token in HOTLINE_TOKEN, or as HOTLINE_USER (or --user) with the password asked for.
accounts answers with its signed statement of who acts, which every call then carries.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from amqp.exceptions import AMQPError
from nameko.exceptions import RpcTimeout, UnknownService

from services.shared import clock
from services.shared.broker_address import without_passwords
from services.shared.errors import (
    HotlineError,
    InvalidRequest,
    NotFound,
    NotPermitted,
    ServicesUnavailable,
)
from services.shared.schemas import CATEGORIES, CHANNELS, KINDS
from services.shared.signed_in import TOKEN_VARIABLE, USER_VARIABLE, NotSignedIn, sign_in
from services.shared.words import (
    FIGURE_WORDS,
    GROUP_WORDS,
    INTERVAL_WORDS,
    STATE_WORDS,
)

DEFAULT_AMQP_URI = os.environ.get("AMQP_URI", "pyamqp://guest:guest@localhost:5672/")
REFUSED, SILENT = 2, 3  # exit statuses: a refused call; the services do not answer


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hotline", description="12345 工单 command line")
    top.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    top.add_argument("--json", action="store_true", help="print the raw answer as JSON")
    top.add_argument("--user", help=f"sign in as this user (or {USER_VARIABLE}; the password "
                                    f"is asked for), unless {TOKEN_VARIABLE} holds a token")
    commands = top.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create", help="create a ticket (受理)")
    create.add_argument("--request", help="a JSON file with the whole request instead of flags")
    create.add_argument("--channel", default="hotline", choices=CHANNELS)
    create.add_argument("--name", help="caller's name")
    create.add_argument("--phone", help="caller's phone")
    create.add_argument("--anonymous", action="store_true")
    create.add_argument("--kind", default="help", choices=KINDS)
    create.add_argument("--category", default="other", choices=CATEGORIES)
    create.add_argument("--description")
    for level in ("district", "subdistrict", "community", "estate", "building", "room", "detail"):
        create.add_argument(f"--{level}")
    create.add_argument("--urgent", action="store_true")
    create.add_argument("--answer", help="answer a consultation on the spot")
    create.add_argument("--external-id")

    for name, text in (("show", "a ticket and where it stands"), ("timeline", "its history")):
        command = commands.add_parser(name, help=text)
        command.add_argument("ticket_no")
    queue = commands.add_parser("queue", help="a unit's open tickets")
    queue.add_argument("unit_id")
    figures = commands.add_parser("indicators", help="the district's figures for a period")
    figures.add_argument("--start", required=True, help="first day, e.g. 2026-11-01")
    figures.add_argument("--end", required=True, help="the day after the last, e.g. 2026-12-01")
    figures.add_argument("--by", action="append", choices=("unit", "subdistrict", "category"),
                         help="group by (repeatable)")
    figures.add_argument("--interval", choices=("day", "week"))
    figures.add_argument("--xlsx", help="write an Excel workbook to this file")
    return top


def request_from(args: argparse.Namespace) -> dict:
    if args.request:
        with open(args.request, encoding="utf-8") as handle:
            return json.load(handle)
    address = {level: getattr(args, level) for level in
               ("district", "subdistrict", "community", "estate", "building", "room", "detail")
               if getattr(args, level)}
    request: dict[str, Any] = {
        "channel": args.channel,
        "caller": {"name": args.name, "phone": args.phone, "anonymous": args.anonymous},
        "kind": args.kind, "category": args.category, "description": args.description,
        "address": address, "urgency": "urgent" if args.urgent else "normal",
    }
    request["caller"] = {k: v for k, v in request["caller"].items() if v not in (None, False)}
    for optional in ("answer", "external_id"):
        if getattr(args, optional):
            request[optional] = getattr(args, optional)
    return request


def when(text: str | None) -> str:
    return f"{clock.local(clock.parse_iso(text)):%Y-%m-%d %H:%M}" if text else "—"


def ticket_file(rpc: Any, ticket_no: str, me: str) -> dict:
    """The ticket as received and its state now, as the console's ticket page reads them:
    {ticket, status}. ``ticket`` is None for the units handling it, who read it from
    dispatch only; ``status`` None while dispatch has not got it (or for a praise call).
    NotPermitted (or NotFound) when the reader may read neither."""
    try:
        status = rpc.dispatch.get_status(ticket_no, me)
    except NotFound:
        status = None
    try:
        ticket = rpc.intake.get_ticket(ticket_no, me)
    except NotPermitted:
        if status is None:
            raise
        ticket = None
    return {"ticket": ticket, "status": status}


def one_line(text: str) -> str:
    """Text typed on several lines, on one (a queue prints a line a ticket)."""
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def indented(text: str) -> str:
    """Text typed on several lines, its later lines under the first (after a label)."""
    return "\n        ".join(text.splitlines())


def print_ticket(ticket: dict, status: dict | None) -> None:
    """The ticket as received (or as dispatch shows it, to a unit) and its state now."""
    address = "".join(v for k, v in ticket["address"].items() if v and k != "detail")
    print(f"工单 {ticket['ticket_no']}  {ticket['kind']}/{ticket['category']}  "
          f"优先级 {ticket['priority']}  受理 {when(ticket.get('received_at'))}")
    print(f"  地址: {address}")
    print(f"  诉求: {indented(ticket['description'])}")
    if ticket.get("answer"):
        print(f"  直接答复: {indented(ticket['answer'])}")
    if status:
        print(f"  状态: {STATE_WORDS.get(status['state'], status['state'])}  "
              f"承办单位: {status.get('unit_name') or status.get('unit_id')}")
        deadlines = status.get("deadlines") or {}
        if deadlines:
            print("  时限: 签收 {} / 联系 {} / 办结 {}".format(
                when(deadlines.get("accept_by")), when(deadlines.get("contact_by")),
                when(deadlines.get("resolve_by"))))


# the columns of the table, in the words of services/shared/words.py
GROUP_NAMES = {**INTERVAL_WORDS, "unit_name": GROUP_WORDS["unit"],
               "subdistrict": GROUP_WORDS["subdistrict"], "category": GROUP_WORDS["category"]}
FIGURES = [(name, FIGURE_WORDS[name]) for name in (
    "received", "accepted_on_time_rate", "contacted_on_time_rate", "resolved_on_time_rate",
    "satisfaction_rate", "reopen_rate", "resolve_hours_median", "merged", "praise")]


def print_figures(answer: dict) -> None:
    """A table people can read: one line a group (and period), then the totals."""
    def shown(name: str, value: Any) -> str:
        if value is None:
            return "—"
        return f"{value:.1%}" if name.endswith("_rate") else f"{value:g}"

    keys = [key for key in ("day", "week", "unit_name", "subdistrict", "category")
            if any(key in row for row in answer["rows"])]
    print("\t".join([GROUP_NAMES[key] for key in keys] + [label for _, label in FIGURES]))
    grouped = answer["group_by"] or answer["interval"]
    for row in (answer["rows"] if grouped else []) + [{**answer["totals"], "_total": True}]:
        cells = ["合计" if row.get("_total") and i == 0 else str(row.get(key) or "")
                 for i, key in enumerate(keys)]
        print("\t".join(cells + [shown(name, row.get(name)) for name, _ in FIGURES]))


def answer_of(prog: str, amqp_uri: str, call: Callable[[], Any],
              silent: str = "the services do not answer") -> tuple[int, Any]:
    """``call()``'s answer and exit status 0; or, with a message on stderr, status 2 when
    the services refused (a documented error; bad input one line per field) or 3 when
    they do not answer (``silent`` says who). Every command line of the project uses it."""
    try:
        return 0, call()
    except InvalidRequest as error:
        for field, messages in error.errors.items():
            print(f"{prog}: {field}: {' '.join(map(str, messages))}", file=sys.stderr)
        return REFUSED, None
    except (HotlineError, NotSignedIn) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return REFUSED, None
    except ServicesUnavailable as error:  # up, but cannot serve now: it says why
        print(f"{prog}: the services cannot serve now: {error}; try again later",
              file=sys.stderr)
        return SILENT, None
    except (UnknownService, RpcTimeout, OSError, AMQPError) as error:  # AMQPError: vhost, login
        print(f"{prog}: {silent} ({type(error).__name__}: {error}); "
              f"is the system up (make run) at {without_passwords(amqp_uri)}?",
              file=sys.stderr)
        return SILENT, None


def over_rpc(prog: str, amqp_uri: str, timeout: int, work: Callable[[Any], int],
             silent: str = "the services do not answer") -> int:
    """``work(rpc)``'s exit status, or 2 (refused) / 3 (no answer) as answer_of says them:
    for a command line whose work is several calls on one connection."""
    from services.shared.rpc_client import ExpiringRpcProxy

    def call() -> int:
        with ExpiringRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as rpc:
            return work(rpc)

    status, answer = answer_of(prog, amqp_uri, call, silent=silent)
    return answer if status == 0 else status


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    status, answer = answer_of("hotline", args.amqp_uri, lambda: run(args))
    if status == 0 and args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    return status


def run(args: argparse.Namespace) -> Any:
    """Carry out the command; print it for people unless --json. Returns the raw answer."""
    from services.shared.rpc_client import ExpiringRpcProxy

    with ExpiringRpcProxy({"AMQP_URI": args.amqp_uri}, timeout=15) as rpc:
        signed = sign_in(rpc, args.user)
        me = signed()
        if args.command == "create":
            answer: Any = rpc.intake.create_ticket(request_from(args), me)
            if not args.json:
                print(f"已受理，工单号 {answer['ticket_no']}（{answer['status']}）")
        elif args.command == "show":
            answer = ticket_file(rpc, args.ticket_no, me)
            if not args.json:
                print_ticket(answer["ticket"] or answer["status"], answer["status"])
        elif args.command == "timeline":
            answer = rpc.ledger.timeline(args.ticket_no, me)
            if not args.json:
                for entry in answer:
                    actor = (entry.get("actor") or {}).get("name") or ""
                    print(f"{entry['seq']:>3}  {when(entry['occurred_at'])}  "
                          f"{entry['summary']}  {actor}")
        elif args.command == "indicators":
            answer = rpc.ledger.indicators(me, args.start, args.end, args.by, args.interval)
            if args.xlsx:
                workbook = rpc.ledger.indicators_xlsx(me, args.start, args.end, args.by,
                                                      args.interval)
                with open(args.xlsx, "wb") as handle:
                    handle.write(base64.b64decode(workbook["content_base64"]))
            if not args.json:
                print_figures(answer)
                if args.xlsx:
                    print(f"已导出 {args.xlsx}")
        else:
            answer = rpc.dispatch.queue(args.unit_id, me)
            if not args.json:
                for item in answer:
                    print(f"{item['ticket_no']}  {STATE_WORDS.get(item['state'], item['state'])}"
                          f"  {item['priority']}  {item['category']}  "
                          f"{one_line(item['description'])[:30]}")
        signed.end()
    return answer


if __name__ == "__main__":
    sys.exit(main())
