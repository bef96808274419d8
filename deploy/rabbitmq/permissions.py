"""RabbitMQ users and permissions for the hotline: the call-centre integration may only
call intake's RPCs, each service reaches only its own queues and exchanges, the operator
only the parking queues (and the events exchanges, to replay what was parked).

    python deploy/rabbitmq/permissions.py --vhost / --api http://localhost:15672 \\
        --admin guest:guest            # passwords from HOTLINE_<USER>_PASSWORD

Applied through RabbitMQ's management API (users, vhost permissions, topic permissions),
so it can be run again after a change: every call is a PUT. See deploy/rabbitmq/README.md.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

RPC_EXCHANGE = "nameko-rpc"  # nameko's one topic exchange for every RPC and every reply
REPLY_KEY = "[0-9a-f-]{36}"  # a reply queue's binding key: a uuid
SERVICES = ("intake", "dispatch", "callback", "ledger", "register", "accounts")
# Whose events each service listens to (services/*/service.py, the on_event sources).
# Every service hears accounts: the statements it withdrew (services/shared/revocation.py).
LISTENS_TO = {
    "intake": ("dispatch", "callback", "register", "accounts"),
    "dispatch": ("intake", "callback", "accounts"),
    "callback": ("dispatch", "register", "accounts"),
    "ledger": ("intake", "dispatch", "callback", "register", "accounts"),
    "register": ("dispatch", "accounts"),  # card_shown: who saw a card on a ticket
    "accounts": ("accounts",),  # its own withdrawals, in every copy of it
}


@dataclass(frozen=True)
class Grant:
    """One user's rights in the vhost: RabbitMQ's configure / write / read regular
    expressions on resource names; the routing keys it may publish to nameko-rpc with and
    bind its queues to nameko-rpc with (topic permissions write and read)."""

    user: str
    configure: str
    write: str
    read: str
    rpc_keys: str
    bind_keys: str
    tags: str = ""


def _any_of(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def _reply_queue(client: str) -> str:
    # nameko's reply queue of a client: rpc.reply-<service>-<uuid>, where a standalone
    # proxy (call-centre software, a worker, the console) is "standalone_rpc_proxy".
    return re.escape(f"rpc.reply-{client}-") + "[0-9a-f-]+"


def event_queues(service: str) -> str:
    """The names of ``service``'s event queues, as a pattern (nameko's
    evt-<source>-<event>--<service>.<handler>; a broadcast handler's adds its copy's uuid)."""
    return r"evt-[a-z_]+-[a-z_]+--" + re.escape(service) + r"\.[a-z_]+"


def service_grant(service: str) -> Grant:
    """A service: its RPC queue, its event queues (evt-<source>-<type>--<service>.<method>),
    its own events exchange and its reply queue; it binds its event queues to the exchanges
    of the services it listens to (nameko declares those exchanges too, which needs
    configure on them: RabbitMQ has no declare-only right). A service that listens has
    its parking queue and the exchange of the same name (``parked-<service>``,
    services/shared/parking.py): it declares both, binds one to the other and publishes
    there the events it refuses. Every service has its dead-letter queue and exchange
    (``dead-<service>``), whose messages it parks."""
    own_queues = [re.escape(f"rpc-{service}"), _reply_queue(service),
                  # a broadcast handler's queue (one per running copy) ends in a uuid
                  event_queues(service) + r"(-[0-9a-f]{32})?"]
    if LISTENS_TO[service]:
        own_queues.append(re.escape(f"parked-{service}"))  # a queue and an exchange
    # where the broker dead-letters its messages (deploy/rabbitmq/queues.py), which it
    # declares, binds and takes from: a queue and an exchange
    own_queues.append(re.escape(f"dead-{service}"))
    exchanges = [re.escape(RPC_EXCHANGE), re.escape(f"{service}.events")]
    heard = [re.escape(f"{source}.events") for source in LISTENS_TO[service]]
    return Grant(
        user=service,
        configure=_any_of(*own_queues, *exchanges, *heard),
        write=_any_of(*own_queues, *exchanges),     # publish (exchanges), bind (queues)
        read=_any_of(*own_queues, re.escape(RPC_EXCHANGE), *heard),  # consume, bind
        # Replies go to the caller's reply key (a uuid); a service may call others (each
        # asks accounts.recent_withdrawals when it starts: services/shared/revocation.py).
        rpc_keys=".*",
        bind_keys=rf"^({re.escape(service)}\.\*|{REPLY_KEY})$",
    )


def client_grant(user: str, services: tuple[str, ...], methods: tuple[str, ...] = ()
                 ) -> Grant:
    """A standalone RPC client (nameko's ClusterRpcProxy) that may call only ``services``
    and the single ``methods`` (<service>.<method>): its own reply queues, publishing to
    nameko-rpc with those routing keys."""
    names = [re.escape(RPC_EXCHANGE), _reply_queue("standalone_rpc_proxy")]
    keys = [re.escape(service) + r"\.[a-z_]+" for service in services]
    keys += [re.escape(method) for method in methods]
    return Grant(user=user, configure=_any_of(*names), write=_any_of(*names),
                 read=_any_of(*names), rpc_keys=_any_of(*keys),
                 bind_keys=f"^{REPLY_KEY}$")


def operator_grant() -> Grant:
    """The operator's tool (``hotline-admin parked``): it counts, reads, takes and puts back
    the messages of every service's parking queue (``parked-<service>`` and the exchange of
    the same name, services/shared/parking.py) and replays one on the events exchange it
    came through (``<service>.events``). It declares nothing, binds nothing and calls no
    RPC."""
    lots = [re.escape(f"parked-{service}") for service in SERVICES]
    exchanges = [re.escape(f"{service}.events") for service in SERVICES]
    return Grant(user="operator", configure="^$", write=_any_of(*lots, *exchanges),
                 read=_any_of(*lots), rpc_keys="^$", bind_keys="^$")


# A program signs in with its API token (services/shared/signed_in.py): the one RPC of
# accounts it may call.
SIGN_IN_BY_TOKEN = ("accounts.authenticate_token",)


def grants() -> list[Grant]:
    """Every user of the hotline and what it may do."""
    return [
        *(service_grant(service) for service in SERVICES),
        client_grant("callcentre", ("intake",), SIGN_IN_BY_TOKEN),  # the call centre's software
        client_grant("callback-worker", ("callback",), SIGN_IN_BY_TOKEN),
        client_grant("console", SERVICES),           # the console and the command lines
        operator_grant(),                            # hotline-admin parked
    ]


class ManagementApi:
    """The few calls of RabbitMQ's HTTP management API used here."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url.rstrip("/")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> None:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=self.headers)
        with urllib.request.urlopen(request, timeout=10):
            pass

    def get(self, path: str) -> Any:
        """What GET ``path`` answers, read as JSON."""
        request = urllib.request.Request(self.url + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    @staticmethod
    def quote(name: str) -> str:
        return urllib.parse.quote(name, safe="")


def apply(api: ManagementApi, vhost: str, passwords: dict[str, str], *,
          prefix: str = "") -> list[str]:
    """Create (or update) every user of ``grants()`` as ``prefix + user`` with its
    password, and give it its rights in ``vhost``. Returns the user names."""
    names = put_users(api, passwords, prefix=prefix)
    grant(api, vhost, prefix=prefix)
    return names


def put_users(api: ManagementApi, passwords: dict[str, str], *, prefix: str = "") -> list[str]:
    """Create (or update) every user of ``grants()`` as ``prefix + user``; their names."""
    names = []
    for each in grants():
        name = prefix + each.user
        api.call("PUT", f"/api/users/{api.quote(name)}", {"password": passwords[each.user],
                                                          "tags": each.tags})
        names.append(name)
    return names


def grant(api: ManagementApi, vhost: str, *, prefix: str = "") -> None:
    """Give every user of ``grants()`` (named ``prefix + user``) its rights in ``vhost``."""
    v = api.quote(vhost)
    for each in grants():
        user = api.quote(prefix + each.user)
        api.call("PUT", f"/api/permissions/{v}/{user}", {
            "configure": each.configure, "write": each.write, "read": each.read})
        # Topic permissions are checked on publishing to a topic exchange (which RPCs a user
        # may call) and on binding a queue to one (read: a client binds its reply queue
        # under its own uuid only, so it cannot listen in on others' calls with "#").
        api.call("PUT", f"/api/topic-permissions/{v}/{user}", {
            "exchange": RPC_EXCHANGE, "write": each.rpc_keys, "read": each.bind_keys})


def remove(api: ManagementApi, names: list[str]) -> None:
    """Delete these users (their permissions go with them)."""
    for name in names:
        try:
            api.call("DELETE", f"/api/users/{api.quote(name)}")
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise


def user_uri(broker: str, user: str, password: str, vhost: str) -> str:
    """The AMQP URI of ``user`` in ``vhost`` on the broker of ``broker`` (an AMQP URI whose
    scheme, host and port are kept; its user and vhost are not). A cluster's URIs joined
    with ';' (kombu's failover list) give the user's URI on each node, joined likewise."""
    quote = ManagementApi.quote
    uris = []
    for node in broker.split(";"):
        parts = urllib.parse.urlparse(node.strip())
        uris.append(f"{parts.scheme or 'pyamqp'}://{quote(user)}:{quote(password)}@"
                    f"{parts.hostname or 'localhost'}:{parts.port or 5672}/{quote(vhost)}")
    return ";".join(uris)


def api_of(url: str) -> ManagementApi:
    """The management API of ``url``: http://admin:password@host:15672 (guest:guest when the
    URL names no user)."""
    parts = urllib.parse.urlparse(url)
    return ManagementApi(f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}",
                         urllib.parse.unquote(parts.username or "guest"),
                         urllib.parse.unquote(parts.password or "guest"))


class RunUsers:
    """The hotline's users for one run of a harness (the tests, a drill, the bench): named
    ``prefix + user`` (users are global in RabbitMQ, so each run has its own prefix) with
    made-up passwords, created on the first ``grant`` and given their rights in each vhost
    the run makes; ``remove`` deletes them. Only the harness uses the admin ``api``; the
    parts connect with ``uris``."""

    def __init__(self, api: ManagementApi, broker: str, prefix: str,
                 passwords: dict[str, str] | None = None) -> None:
        self.api = api
        self.broker = broker
        self.prefix = prefix
        self.passwords = passwords or {each.user: secrets.token_urlsafe(18)
                                       for each in grants()}
        self.names: list[str] = []

    def grant(self, vhost: str) -> dict[str, str]:
        """Each user's rights in ``vhost`` (creating the users the first time); returns
        each user's AMQP URI there, by its unprefixed name (``intake``, ``console``, …)."""
        if not self.names:
            self.names = put_users(self.api, self.passwords, prefix=self.prefix)
        grant(self.api, vhost, prefix=self.prefix)
        return self.uris(vhost)

    def uris(self, vhost: str) -> dict[str, str]:
        return {user: user_uri(self.broker, self.prefix + user, password, vhost)
                for user, password in self.passwords.items()}

    def remove(self) -> None:
        remove(self.api, self.names)
        self.names = []


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--vhost", default="/")
    options.add_argument("--api", default="http://localhost:15672")
    options.add_argument("--admin", default="guest:guest", help="user:password of an admin")
    options.add_argument("--print", action="store_true",
                         help="only print the permissions, change nothing")
    args = options.parse_args(argv)
    if args.print:
        for each in grants():
            print(f"{each.user}\n  configure {each.configure}\n  write     {each.write}\n"
                  f"  read      {each.read}\n  {RPC_EXCHANGE} publish {each.rpc_keys}"
                  f"  bind {each.bind_keys}")
        return 0
    passwords = {}
    for each in grants():
        variable = "HOTLINE_" + each.user.upper().replace("-", "_") + "_PASSWORD"
        passwords[each.user] = os.environ.get(variable) or secrets.token_urlsafe(18)
        if variable not in os.environ:
            print(f"{each.user}: {variable} not set; made up password {passwords[each.user]}")
    admin, _, password = args.admin.partition(":")
    names = apply(ManagementApi(args.api, admin, password), args.vhost, passwords)
    print(f"users {', '.join(names)} set in vhost {args.vhost!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
