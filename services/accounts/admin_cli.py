"""The administrator's command line: the way in on a fresh system, the first admin.

    hotline-admin create-admin --username admin --name 系统管理员
    printf '%s\n' "$PASSWORD" | hotline-admin create-admin --username admin --name 系统管理员 \
        --password-stdin

It asks the accounts service over RPC (``create_first_admin``), which refuses once any
admin exists; that admin then makes everyone else's account in the console. The password is
asked for twice without echo, or read from the first line of standard input for scripts.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from services.agent_cli import DEFAULT_AMQP_URI, answer_of


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="hotline-admin", description="12345 工单 administration")
    top.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    commands = top.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-admin",
                                 help="make the first admin (only while there is none)")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="the admin's name as people see it")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    return top


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


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    password = read_password(args.password_stdin)
    status, admin = answer_of("hotline-admin", args.amqp_uri, lambda: create_admin(
        args.amqp_uri, args.username, args.name, password))
    if status == 0:
        print(f"admin {admin['username']} ({admin['name']}) created; sign in to the console "
              f"to add everyone else")
    return status


if __name__ == "__main__":
    sys.exit(main())
