"""Check the ledger's hash chains on the running system (``make verify``): over RPC, as the
console does, so it reads the record the services are writing.

    python -m services.ledger.verify_cli                     # every chain
    python -m services.ledger.verify_cli --ticket YP20261123-0001

Prints what was walked and each entry edited, removed or reordered, and, for the whole
record, the tickets it recorded against those dispatch holds, by day where they differ.
Exit status: 0 all whole, 1 anything broken or counted differently, 2 a refused argument
or unknown ticket, 3 the ledger does not answer.
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from services.agent_cli import DEFAULT_AMQP_URI, over_rpc
from services.shared.errors import NotFound
from services.shared.signed_in import sign_in

RPC_TIMEOUT = 600  # the whole record is walked in one call
PROBE_TIMEOUT = 10
PROBLEM_WORDS = {"edited": "被修改", "removed": "被删除", "reordered": "顺序被调换"}


def check(rpc, ticket_no: str | None, out: TextIO | None = None,
          me: str | None = None) -> int:
    """Ask the ledger to verify as ``me`` (a supervisor's or admin's statement; default:
    signed in as services/shared/signed_in.py says), print its report; 1 when anything is broken,
    else 0."""
    out = out or sys.stdout
    report = rpc.ledger.verify(me or sign_in(rpc)(), ticket_no)
    print(f"checked {report['checked']} entries in {report['chains']} chains", file=out)
    if report["unchained"]:
        print(f"{report['unchained']} entries recorded before the chain (unchained, not "
              f"checked): {', '.join(report['unchained_chains'])}", file=out)
    for item in report["broken"]:
        where = item["chain"] if item["seq"] is None else f"{item['chain']} seq {item['seq']}"
        print(f"BROKEN {where}: {item['problem']} ({PROBLEM_WORDS[item['problem']]}) — "
              f"{item['detail']}" + (f" [event {item['event_id']}]" if item["event_id"] else ""),
              file=out)
    differ = print_counts(report.get("tickets"), out)
    print(f"{len(report['broken'])} broken" if report["broken"] else "the ledger is whole",
          file=out)
    return 1 if report["broken"] or differ else 0


def print_counts(tickets: dict | None, out: TextIO) -> bool:
    """The record's tickets against dispatch's; True where they differ."""
    if tickets is None:
        return False
    if tickets["dispatch"] is None:
        print(f"{tickets['ledger']} tickets recorded; dispatch did not answer: not compared",
              file=out)
        return False
    print(f"{tickets['ledger']} tickets recorded, dispatch holds {tickets['dispatch']}",
          file=out)
    for day in tickets["differ"]:
        print(f"DIFFER {day['day']}: the ledger recorded {day['ledger']}, dispatch holds "
              f"{day['dispatch']} (today's may still be on their way)", file=out)
    return bool(tickets["differ"])


def answering(rpc) -> int:
    """0 once the ledger answers at all (a refusal is an answer)."""
    try:
        rpc.ledger.public_request("YP00000000-0000")
    except NotFound:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="verify", description="check the ledger's hash chains")
    top.add_argument("--amqp-uri", default=DEFAULT_AMQP_URI)
    top.add_argument("--ticket", default=None, help="only this ticket's chain")
    top.add_argument("--user", default=None, help="sign in as this supervisor or admin")
    args = top.parse_args(argv)
    # A ledger that is not running is told in seconds, not after the long walk's timeout.
    present = over_rpc("verify", args.amqp_uri, PROBE_TIMEOUT, answering,
                       silent="the ledger does not answer")
    if present:
        return present
    return over_rpc("verify", args.amqp_uri, RPC_TIMEOUT,
                    lambda rpc: check(rpc, args.ticket, me=sign_in(rpc, args.user)()),
                    silent="the ledger does not answer")

if __name__ == "__main__":
    sys.exit(main())
