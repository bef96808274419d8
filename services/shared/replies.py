"""Where the answers to a caller's RPCs come back: its reply queue, declared classic and
transient, whatever the vhost's default queue type.

The hotline's vhost makes every durable queue declared without a type a quorum queue
(deploy/rabbitmq/queues.py), which is what the services' own queues should be: replicated
on three nodes, surviving the loss of one. nameko 2.14.1 declares each caller's reply
queue durable with ``x-expires`` and no type, so each RPC proxy would get a quorum queue
of its own, replicated three times and outliving the caller by five minutes. A reply
queue holds answers only its one caller waits for, seconds long: here it is classic,
one replica, and transient, so that it goes with its node (a durable classic queue whose
node is down cannot be declared anywhere until that node is back: "home node ... is down
or inaccessible"); a service takes one of a new name each time its consumer connects
again (ClassicReplyListener.fresh_queue). An answer in flight then is lost, and its
caller is told the call failed after its timeout, as for any lost answer.

Not exclusive: an exclusive queue dies with its connection, and one declared again from a
new connection while the broker has not yet noticed the old one died (a half-open TCP
connection, until its heartbeat lapses) is refused RESOURCE_LOCKED, which would end the
service's consumer. RabbitMQ 3.13 deprecates transient queues that are not exclusive
(4.0 still permits them by default); where a broker denies them, this is the place to
change.
"""
from __future__ import annotations

import uuid

from kombu import Queue
from nameko.rpc import (
    RPC_REPLY_QUEUE_TEMPLATE,
    RPC_REPLY_QUEUE_TTL,
    ReplyListener,
    get_rpc_exchange,
)
from nameko.standalone.rpc import SingleThreadedReplyListener

from services.shared.parking import ParkingQueueConsumer

ARGUMENTS = {"x-expires": RPC_REPLY_QUEUE_TTL, "x-queue-type": "classic"}


def reply_queue(config: dict, service_name: str) -> tuple[Queue, str]:
    """A fresh reply queue of ``service_name`` (nameko's name for it) and its routing key."""
    routing_key = str(uuid.uuid4())
    queue = Queue(RPC_REPLY_QUEUE_TEMPLATE.format(service_name, routing_key),
                  exchange=get_rpc_exchange(config), routing_key=routing_key,
                  durable=False, queue_arguments=dict(ARGUMENTS))
    return queue, routing_key


class ClassicReplyListener(ReplyListener):
    """nameko's ReplyListener (a service's, shared by its RPC proxies) on a classic,
    transient reply queue, consumed by the service's one queue consumer (as in nameko,
    where every entrypoint and the replies share one)."""

    queue_consumer = ParkingQueueConsumer()

    def setup(self) -> None:
        self.fresh_queue()
        self.queue_consumer.register_provider(self)

    def fresh_queue(self) -> None:
        """A reply queue of a new name (and routing key), called as its consumer connects
        again (ParkingQueueConsumer.get_consumers): the old one went with its node, and a
        node that is stopping keeps it for seconds, neither usable nor declarable ("process
        is stopped by supervisor"), which held up every queue of the service while it
        tried. Requests made from now on are answered on the new one; an answer on its way
        to the old one is lost, and its caller told by its timeout."""
        self.queue, self.routing_key = reply_queue(self.container.config,
                                                   self.container.service_name)


class ClassicStandaloneReplyListener(SingleThreadedReplyListener):
    """nameko's standalone reply listener (a ClusterRpcProxy's: the console, the workers,
    the command lines) on a classic, transient reply queue."""

    def setup(self) -> None:
        self.queue, self.routing_key = reply_queue(self.container.config,
                                                   self.container.service_name)
        self.queue_consumer.register_provider(self)

