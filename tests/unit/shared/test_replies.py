"""Where answers come back (services/shared/replies.py): a caller's reply queue is classic
and transient whatever the vhost's default type, and a service's is a new one each time
its consumer connects again, so that a queue left on a node that is stopping holds up
nothing."""
from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import Mock

from services.shared.parking import ParkingQueueConsumer
from services.shared.replies import ClassicReplyListener, reply_queue

CONFIG = {"AMQP_URI": "pyamqp://intake:secret@rabbit-1:5672/hotline"}


def test_a_reply_queue_is_classic_transient_and_expires_unused():
    queue, routing_key = reply_queue(CONFIG, "intake")
    assert queue.name == f"rpc.reply-intake-{routing_key}"
    assert queue.durable is False
    assert queue.queue_arguments == {"x-expires": 300000, "x-queue-type": "classic"}
    assert queue.routing_key == routing_key and queue.exchange.name == "nameko-rpc"


def test_a_service_answers_on_a_new_reply_queue_after_its_consumer_connects_again():
    container = SimpleNamespace(config=CONFIG, service_name="intake", accept=["json"],
                                max_workers=10)
    consumer = ParkingQueueConsumer()
    consumer.container = container
    listener = ClassicReplyListener()
    listener.container = container
    listener.queue, listener.routing_key = reply_queue(CONFIG, "intake")
    consumer.register_provider(listener)

    first = listener.queue.name
    consumer.get_consumers(Mock(), channel=None)  # the first connection: as set up
    assert listener.queue.name == first
    consumer.on_consume_ready(SimpleNamespace(connected=True), None, [])

    consumer.get_consumers(Mock(), channel=None)  # connected again, maybe to another node
    assert listener.queue.name != first
    assert listener.queue.name == f"rpc.reply-intake-{listener.routing_key}"
