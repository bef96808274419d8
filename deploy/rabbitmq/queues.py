"""The hotline's vhost on a RabbitMQ cluster: quorum queues, and parking the broker does.

    python deploy/rabbitmq/queues.py --vhost hotline --api http://rabbit-1:15672 \\
        --admin admin:password [--delivery-limit 10]

Applied through the management API (every call a PUT, so it can be run again):

- the vhost, made with ``quorum`` as its default queue type: every durable queue a part
  declares without a type (each service's ``rpc-<service>`` queue, its event queues, its
  parking queue) is a quorum queue, replicated on three nodes, its messages kept through
  the loss of one. The vhost's default rather than an ``x-queue-type`` argument on each
  declaration: nameko declares the RPC and event queues itself, without arguments, and
  the same code then runs on one node (the tests, `make run`) and on a cluster. Queues
  that must stay classic say so: the callers' reply queues (services/shared/replies.py);
  exclusive and auto-delete ones (a broadcast handler's, one per copy) are classic
  whatever the default. The type is chosen when a vhost is made; a vhost that exists is
  left as it is (RabbitMQ does not change a queue's type: see README, "Running past one
  machine", for moving one).
- a policy per service on its RPC and event queues: a message delivered
  ``--delivery-limit`` times without being acknowledged (each consumer that took it died
  or lost its connection holding it) is dead-lettered, at least once, to the service's
  ``dead-<service>`` queue, from which the service parks it in its parking queue
  (``parked-<service>``) in the parking format, with the broker's reason
  (services/shared/parking.py: DeadLetters); ``hotline-admin parked`` shows it. Not
  straight into the parking queue: the broker dead-letters an RPC request that expired
  (its caller stopped waiting) the same way, and those are dropped, not parked. A
  service tries a failing event again in place and parks it itself after
  ``EVENT_ATTEMPTS`` (5) failures, so the broker's limit (above it) counts only the
  consumers that died: a message that kills whoever takes it.
- the dead-letter and parking queues and exchanges, so that a dead letter has somewhere
  to go before its service ran.
"""
from __future__ import annotations

import argparse
import re
import sys

from permissions import SERVICES, ManagementApi, event_queues

from services.shared.parking import dead_letter_name, parking_name

DELIVERY_LIMIT = 10  # above EVENT_ATTEMPTS (5): deaths holding a message, not failures
POLICY_PRIORITY = 10


def worked_queues(service: str) -> str:
    """The queues ``service`` consumes and must not lose a message of: its RPC queue and
    its event queues (not the broadcast ones, which end in a copy's uuid and go with it)."""
    return rf"^(rpc-{re.escape(service)}|{event_queues(service)})$"


def parking_policy(service: str, delivery_limit: int) -> dict:
    """The policy that dead-letters ``service``'s messages past ``delivery_limit`` (and its
    RPC requests that expired: the service drops those) to its ``dead-<service>`` queue."""
    lot = dead_letter_name(service)
    return {"pattern": worked_queues(service), "apply-to": "queues",
            "priority": POLICY_PRIORITY,
            "definition": {"delivery-limit": delivery_limit,
                           "dead-letter-exchange": lot, "dead-letter-routing-key": lot,
                           # kept in the queue until the parking queue confirmed it; needs
                           # reject-publish (RabbitMQ falls back to at-most-once otherwise)
                           "dead-letter-strategy": "at-least-once",
                           "overflow": "reject-publish"}}


def apply(api: ManagementApi, vhost: str, delivery_limit: int = DELIVERY_LIMIT) -> None:
    """The vhost (quorum by default), each service's parking queue and its policy."""
    quoted = api.quote(vhost)
    # 3.10-3.12 read "defaultqueuetype", later versions "default_queue_type"
    api.call("PUT", f"/api/vhosts/{quoted}", {"defaultqueuetype": "quorum",
                                              "default_queue_type": "quorum",
                                              "description": "12345 hotline"})
    for service in SERVICES:
        for name in (dead_letter_name(service), parking_name(service)):
            lot = api.quote(name)
            api.call("PUT", f"/api/exchanges/{quoted}/{lot}", {"type": "direct",
                                                               "durable": True})
            api.call("PUT", f"/api/queues/{quoted}/{lot}", {"durable": True})  # the default
            api.call("POST", f"/api/bindings/{quoted}/e/{lot}/q/{lot}", {"routing_key": name})
        api.call("PUT", f"/api/policies/{quoted}/{api.quote('hotline-parking-' + service)}",
                 parking_policy(service, delivery_limit))


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--vhost", default="hotline")
    options.add_argument("--api", default="http://localhost:15672")
    options.add_argument("--admin", default="guest:guest", help="user:password of an admin")
    options.add_argument("--delivery-limit", type=int, default=DELIVERY_LIMIT)
    args = options.parse_args(argv)
    admin, _, password = args.admin.partition(":")
    apply(ManagementApi(args.api, admin, password), args.vhost, args.delivery_limit)
    print(f"vhost {args.vhost!r}: quorum queues by default; each service's messages "
          f"parked after {args.delivery_limit} deliveries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
