"""The administrator's command line: the way in on a fresh system, the first admin, and
the operator's look into the parking queues.

    hotline-admin create-admin --username admin --name 系统管理员
    printf '%s\n' "$PASSWORD" | hotline-admin create-admin --username admin --name 系统管理员 \
        --password-stdin
    hotline-admin parked list                      # each parking queue and its count
    hotline-admin parked show [SERVICE] [--limit N]  # reason, origin, when, event type and id
    hotline-admin parked replay SERVICE --id EVENT_ID | --all
    hotline-admin parked drop SERVICE --id EVENT_ID | --all
    hotline-admin migrate-store --from litemongo:var/data --to litemongo:var/data-new

``create-admin`` asks the accounts service over RPC (``create_first_admin``), which refuses
once any admin exists; that admin then makes everyone else's account in the console. The
password is asked for twice without echo, or read from the first line of standard input
for scripts. It connects as ``--amqp-uri`` (AMQP_URI: the console's broker user).

``parked`` reads the services' parking queues (services/shared/parking.py, parked.py) as
the operator's broker user: ``--amqp-uri`` after ``parked``, else OPERATOR_AMQP_URI
(``make run`` writes it in var/broker/operator.env). ``show`` leaves the queue as it was;
``replay`` puts a message back on the exchange it came through (an event's; an RPC request
is not replayed) and removes it from the queue once the broker confirmed it; ``drop``
removes. Exit status 1 when nothing matched ``--id`` or a replay stopped, 3 when the
broker does not answer.

``migrate-store`` copies every service's database from one store to another
(services/shared/store_copy.py), with every service stopped: a data directory the embedded
store wrote before it kept its indexes on disk into a new one, or the embedded store into
a MongoDB. It checks the copy (counts, each document's digest, the ledger's hash chains)
and exits 1 when the copy differs, 2 when it refused to begin (nothing written). Point
``MONGO_URI`` at the target afterwards.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from amqp.exceptions import AMQPError

from services.agent_cli import DEFAULT_AMQP_URI, SILENT, answer_of
from services.shared import parked as lots
from services.shared.parking import SERVICES, parking_name

PROG = "hotline-admin"
SHOWN_BY_DEFAULT = 20


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=PROG, description="12345 工单 administration")
    top.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    commands = top.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin",
                                 help="make the first admin (only while there is none)")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="the admin's name as people see it")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")

    parked = commands.add_parser("parked", help="the messages the services parked")
    parked.add_argument("--amqp-uri", dest="operator_uri",
                        default=os.environ.get("OPERATOR_AMQP_URI"),
                        help="the operator's broker user (default OPERATOR_AMQP_URI)")
    actions = parked.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="each parking queue and how many messages it holds")
    show = actions.add_parser("show", help="each parked message's reason, origin and event "
                                           "(the queue is left as it was)")
    show.add_argument("service", nargs="?", choices=SERVICES)
    show.add_argument("--limit", type=int, default=SHOWN_BY_DEFAULT,
                      help=f"at most this many per queue (default {SHOWN_BY_DEFAULT})")
    for name, words in (("replay", "put back on the exchange it came through"),
                        ("drop", "remove for good")):
        action = actions.add_parser(name, help=f"{words}: one event's or every message")
        action.add_argument("service", choices=SERVICES)
        which = action.add_mutually_exclusive_group(required=True)
        which.add_argument("--id", dest="event_id", help="the event id of the message")
        which.add_argument("--all", action="store_true", help="every message of the queue")
    migrate = commands.add_parser("migrate-store", help="copy every service's database to "
                                                         "another store, and check the copy")
    migrate.add_argument("--from", dest="source", required=True,
                         help="the store now: a MONGO_URI (litemongo:var/data)")
    migrate.add_argument("--to", dest="target", required=True,
                         help="the store to fill: a MONGO_URI naming an empty store")
    migrate.add_argument("--prefix", default=os.environ.get("DATABASE_PREFIX", ""),
                         help="the services' DATABASE_PREFIX (default: the environment's)")
    return top


def migrate_store(source: str, target: str, prefix: str) -> int:
    from services.shared import storage, store_copy

    databases = {service: storage.database_name({"DATABASE_PREFIX": prefix}, service)
                 for service in store_copy.SERVICES}
    print(f"copying {', '.join(databases.values())} from {source} to {target}")
    try:
        copied = store_copy.copy_store(source, target, databases)
    except (store_copy.CopyRefused, ValueError) as refused:
        print(f"{PROG}: migrate-store: {refused}; nothing was written", file=sys.stderr)
        return 2
    documents = sum(sum(counts.values()) for counts in copied.documents.values())
    print(f"copied {documents} documents and {sum(copied.files.values())} files in "
          f"{copied.seconds} s; the ledger's chains on the copy: {copied.chains} walked, "
          f"{copied.entries} entries, {len(copied.broken)} broken")
    for why in copied.differ:
        print(f"  differs: {why}")
    for broken in copied.broken[:20]:
        print(f"  broken: {broken.get('chain')} #{broken.get('seq')}: {broken.get('problem')}")
    if not copied.good:
        print(f"{PROG}: migrate-store: the copy is not the store; keep using {source}",
              file=sys.stderr)
        return 1
    print(f"the copy is whole: set MONGO_URI={target} and start the services")
    return 0


def read_password(from_stdin: bool) -> str:
    """The new password, from standard input or typed twice at the terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise SystemExit("hotline-admin: the two passwords differ; nothing was changed")
    return password


def create_admin(amqp_uri: str, username: str, name: str, password: str) -> dict:
    from services.shared.rpc_client import ExpiringRpcProxy

    with ExpiringRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as rpc:
        return rpc.accounts.create_first_admin(
            {"username": username, "name": name, "password": password})


def describe(message: lots.Parked) -> list[str]:
    """A parked message in two or three lines: when, what, where from, why."""
    event = message.event_type or "(no event type)"
    lines = [f"  {message.parked('at') or '(when unknown)'}  {event}  "
             f"{message.event_id or '(no event id)'}",
             f"    from {message.parked('exchange') or '(default exchange)'} "
             f"{message.parked('routing-key')!s} (queue {message.parked('queue')})",
             f"    reason: {message.parked('reason')}"]
    return lines


def list_lots(uri: str) -> int:
    for service, count in lots.counts(uri).items():
        print(f"{parking_name(service):<18} {'never parked' if count is None else count}")
    return 0


def show(uri: str, service: str | None, limit: int) -> int:
    for each in [service] if service else SERVICES:
        count, messages = lots.browse(uri, each, max(0, limit))
        print(f"{parking_name(each)}: {count} message(s)"
              + (f", the first {len(messages)} shown" if len(messages) < count else ""))
        for message in messages:
            print("\n".join(describe(message)))
    return 0


def act(uri: str, action: str, service: str, event_id: str | None) -> int:
    outcome = (lots.replay if action == "replay" else lots.drop)(uri, service, event_id)
    done = "replayed" if action == "replay" else "dropped"
    print(f"{done} {len(outcome.done)} message(s) of {parking_name(service)}")
    for message, why in outcome.left:
        print(f"left {message.event_id or '(no event id)'}: {why}")
    if outcome.error:
        print(f"{PROG}: {action} stopped: {outcome.error}", file=sys.stderr)
        return 1
    if event_id is not None and outcome.matched == 0:
        print(f"{PROG}: no message of event {event_id} in {parking_name(service)}",
              file=sys.stderr)
        return 1
    return 0


def parked(args: argparse.Namespace) -> int:
    uri = args.operator_uri or args.amqp_uri
    try:
        if args.action == "list":
            return list_lots(uri)
        if args.action == "show":
            return show(uri, args.service, args.limit)
        return act(uri, args.action, args.service, args.event_id)
    except (OSError, AMQPError) as error:  # AMQPError: a refused login, a missing vhost
        print(f"{PROG}: the broker does not answer ({type(error).__name__}: {error}); is "
              f"OPERATOR_AMQP_URI the operator's (. var/broker/operator.env)?",
              file=sys.stderr)
        return SILENT


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "parked":
        return parked(args)
    if args.command == "migrate-store":
        return migrate_store(args.source, args.target, args.prefix)
    password = read_password(args.password_stdin)
    status, admin = answer_of(PROG, args.amqp_uri, lambda: create_admin(
        args.amqp_uri, args.username, args.name, password))
    if status == 0:
        print(f"admin {admin['username']} ({admin['name']}) created; sign in to the console "
              f"to add everyone else")
    return status


if __name__ == "__main__":
    sys.exit(main())
