"""The long-lived RPC client of processes outside the services: what a caller is told."""
import pytest
from nameko.exceptions import RemoteError

from services.shared.errors import NotFound
from services.shared.rpc_client import ExpiringRpcProxy, ServiceProxy, ServicesUnavailable


class Answering:
    def __init__(self, error):
        self.error = error

    def __getattr__(self, name):
        def method(*args):
            raise self.error
        return method


def proxy_raising(error) -> ServiceProxy:
    proxy = ServiceProxy("pyamqp://guest:guest@localhost:5672/", timeout=1)
    proxy._proxy = type("Cluster", (), {"intake": Answering(error)})()
    proxy._cluster = None
    return proxy


def test_a_documented_error_reaches_the_caller_as_it_is():
    proxy = proxy_raising(NotFound("ticket SH20261123-0001"))
    with pytest.raises(NotFound):
        proxy.of("intake").get_ticket("SH20261123-0001")
    assert proxy._proxy is not None  # the connection is fine


def test_a_service_whose_store_is_away_is_unavailable_and_the_connection_kept():
    proxy = proxy_raising(RemoteError("AutoReconnect", "storage fault switch is on"))
    with pytest.raises(ServicesUnavailable, match="cannot reach what it needs"):
        proxy.call("intake", "create_ticket", {})
    assert proxy._proxy is not None


def test_any_other_remote_fault_passes_through():
    proxy = proxy_raising(RemoteError("KeyError", "'ticket_no'"))
    with pytest.raises(RemoteError):
        proxy.call("intake", "create_ticket", {})


def test_a_broken_connection_is_unavailable_and_opened_afresh_next_time():
    proxy = proxy_raising(RuntimeError("This consumer has been disconnected"))
    with pytest.raises(ServicesUnavailable, match="did not answer"):
        proxy.call("intake", "create_ticket", {})
    assert proxy._proxy is None


def test_requests_expire_in_the_queue_when_the_caller_stops_waiting():
    cluster = ExpiringRpcProxy({"AMQP_URI": "pyamqp://guest:guest@localhost:5672/"}, timeout=7)
    method = cluster._proxy.intake.create_ticket  # made without a connection
    assert method.publisher.expiration == 7


class Replying:
    """A nameko service proxy whose call_async answers at once (or raises)."""

    def __init__(self, answers: dict):
        self.answers = answers

    def __getattr__(self, method):
        answer = self.answers[method]

        class Reply:
            def result(self):
                if isinstance(answer, Exception):
                    raise answer
                return answer

        class Method:
            def call_async(self, *args):
                return Reply()

        return Method()


def test_each_call_is_answered_in_its_place_and_a_silent_service_is_unavailable():
    from nameko.exceptions import RpcTimeout

    proxy = ServiceProxy("pyamqp://guest:guest@localhost:5672/", timeout=1)
    proxy._proxy = type("Cluster", (), {
        "intake": Replying({"parked_count": {"count": 2}}),
        "ledger": Replying({"parked_count": RpcTimeout(1)}),
        "dispatch": Replying({"parked_count": NotFound("nothing")}),
        "callback": Replying({"parked_count": RemoteError("AutoReconnect", "away")})})()
    proxy._cluster = None
    intake, ledger, dispatch, callback = proxy.call_each(
        [(service, "parked_count", ("actor",))
         for service in ("intake", "ledger", "dispatch", "callback")])
    assert intake == {"count": 2}
    assert isinstance(ledger, ServicesUnavailable) and isinstance(dispatch, NotFound)
    assert isinstance(callback, ServicesUnavailable)
    assert proxy._proxy is None  # a timeout: opened afresh next time
