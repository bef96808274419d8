"""What a scheduler's probes hear (services/shared/health.py): a service is live while its
process answers and ready while it consumes its queues and its store answers; its store
away, it says not ready and why, and is ready again as soon as the store is back, live
all along. The console answers /healthz to anyone. (On a cluster, ready again after the
node it was connected to died: test_broker_cluster.py.)"""
from __future__ import annotations

import pytest
from integration_support import eventually, health_probe

from services.intake.service import IntakeService
from services.shared.health import HealthProbes


def test_a_service_is_not_ready_while_its_store_is_away_and_live_all_along(
        rabbit_config, settings, runner_factory, tmp_path):
    switch = tmp_path / "store-away"
    config = {**settings, **rabbit_config, "MONGO_URI": f"litemongo:{tmp_path / 'data'}",
              "STORE_INIT": "1", "STORAGE_FAULT_SWITCH": str(switch),
              "HEALTH_ADDRESS": "127.0.0.1:0"}
    runner = runner_factory(config, IntakeService)
    runner.start()

    assert health_probe(runner, "/live") == (200, {"service": "intake", "live": True})
    assert health_probe(runner, "/ready") == (200, {"service": "intake", "ready": True,
                                             "broker": "consuming", "store": "answers"})

    switch.touch()  # every store call fails as with the store away
    status, said = health_probe(runner, "/ready")
    assert status == 503 and said["ready"] is False and said["broker"] == "consuming"
    assert said["store"] == "error: AutoReconnect"  # its kind; the log has the text
    assert health_probe(runner, "/live")[0] == 200  # restarting it would not bring the store back

    switch.unlink()
    eventually(lambda: health_probe(runner, "/ready")[0] == 200 or None)
    assert health_probe(runner, "/nothing")[0] == 404


def test_no_port_is_opened_without_an_address(rabbit_config, settings, storage_config,
                                              runner_factory):
    runner = runner_factory({**settings, **rabbit_config, **storage_config}, IntakeService)
    runner.start()
    [container] = runner.containers
    [health] = [found for found in container.dependencies if isinstance(found, HealthProbes)]
    assert health.address is None


def test_the_console_answers_healthz_to_anyone():
    from services.console.app import create_app
    from services.console.settings import Settings

    # no service is asked: a console worker is healthy while it answers at all
    app = create_app(Settings(amqp_uri="pyamqp://nowhere:1/", secret_key="test-secret",
                              testing=True), services=object())
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}


def test_idle_connections_do_not_keep_the_probes_from_answering_and_the_port_goes_with_it(
        rabbit_config, settings, storage_config, runner_factory):
    import socket

    from services.shared.health import MAX_PROBES

    runner = runner_factory({**settings, **rabbit_config, **storage_config,
                             "HEALTH_ADDRESS": "127.0.0.1:0"}, IntakeService)
    runner.start()
    [container] = runner.containers
    [health] = [found for found in container.dependencies if isinstance(found, HealthProbes)]
    address = health.address
    # more connections than the probes serve at once, each sending nothing: each is
    # closed after its few seconds, and the scheduler's probe is answered
    idle = [socket.create_connection(address) for _ in range(MAX_PROBES + 2)]
    try:
        assert health_probe(runner, "/live")[0] == 200
    finally:
        for each in idle:
            each.close()

    runner.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=2)
