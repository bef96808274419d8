"""What a service's readiness says of its broker connection (services/shared/health.py and
parking.ParkingQueueConsumer), without a broker: consuming on a connection that is alive,
not once it dropped, and the addresses it could not reach logged without their passwords."""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from services.shared.health import address_of, readiness
from services.shared.parking import ParkingQueueConsumer


def consumer() -> ParkingQueueConsumer:
    made = ParkingQueueConsumer()
    made.container = SimpleNamespace(config={
        "AMQP_URI": "pyamqp://intake:s3cret@rabbit-1:5672/hotline;"
                    "pyamqp://intake:s3cret@rabbit-2:5672/hotline"})
    return made


def test_ready_only_while_consuming_on_a_live_connection_and_the_store_answers():
    queue_consumer = consumer()
    assert queue_consumer.consuming() is False  # not connected yet
    queue_consumer.on_consume_ready(SimpleNamespace(connected=True), None, [])
    assert queue_consumer.consuming() is True
    assert readiness(queue_consumer.consuming(), None) == (
        True, {"broker": "consuming", "store": "answers"})
    assert readiness(True, "error: AutoReconnect") == (
        False, {"broker": "consuming", "store": "error: AutoReconnect"})


def test_a_dropped_connection_is_not_ready_and_its_addresses_are_logged_without_passwords(
        caplog):
    queue_consumer = consumer()
    queue_consumer.on_consume_ready(SimpleNamespace(connected=False), None, [])
    assert queue_consumer.consuming() is False  # its socket closed under it

    queue_consumer.on_consume_ready(SimpleNamespace(connected=True), None, [])
    with caplog.at_level(logging.WARNING):
        queue_consumer.on_connection_error(ConnectionRefusedError("refused"), 2)
    assert queue_consumer.consuming() is False
    [record] = caplog.records
    assert "rabbit-1" in record.getMessage() and "rabbit-2" in record.getMessage()
    assert "s3cret" not in record.getMessage()


def test_the_address_is_host_and_port():
    assert address_of("0.0.0.0:8080") == ("0.0.0.0", 8080)
    for wrong in ("8080", "host:", "host:http", "[::]:8080"):
        with pytest.raises(ValueError, match="host:port"):
            address_of(wrong)
