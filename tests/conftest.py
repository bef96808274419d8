"""Fixtures shared by the whole suite.

The process is monkey-patched by eventlet before any test module is imported, as
``nameko run`` does, so the services under test run as in production. The real-browser
tests (tests/browser) drive Chromium with playwright, which eventlet must not patch:
they run in a pytest process of their own with ``--browser`` (``make test`` runs both).

nameko's pytest plugin (loaded by its entry point) gives a fresh vhost on the local
RabbitMQ for each test, made through the management API, so that runs and tests never see
each other's queues. Here every part connects there as its own broker user
(deploy/rabbitmq/permissions.py), never as the admin: ``broker_users`` makes the run's
users (a prefix of the run's own: users are global in RabbitMQ) and removes them at the
end (tests/integration/conftest.py and tests/browser/conftest.py give them their rights in
each vhost they make).
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy" / "rabbitmq"))
import permissions  # noqa: E402  deploy/rabbitmq/permissions.py

# The console under test (test clients, gunicorn, the browser) is served over plain http on
# localhost: the one switch for that (services/console/settings.py). A test of the HTTPS
# default unsets it.
os.environ.setdefault("CONSOLE_PLAIN_HTTP", "1")


def pytest_addoption(parser):
    parser.addoption("--browser", action="store_true",
                     help="run the real-browser tests (tests/browser), without eventlet")


def patched_as_a_service_is() -> None:
    """eventlet's patch, before any of the services' code is imported: a module's
    thread-locals made before it are the OS thread's, shared by every green thread (a
    handler's "event being handled" then leaked into other handlers' events, stamping
    them after it: seen when a run named tests/integration/… directly, which loads that
    directory's conftest, and the services with it, before pytest_configure)."""
    import eventlet

    eventlet.monkey_patch()
    # pymongo chooses select.poll when it is imported, and eventlet removes poll: a
    # plugin loaded before this may have imported it already. A service imports it after
    # the patch (nameko's run patches first) and so takes select.select; the tests'
    # clients of a server over the network (tests/integration/test_wire_store.py) do as
    # the service does.
    checker = sys.modules.get("pymongo.socket_checker")
    if checker is not None:
        checker._HAVE_POLL = False


if "--browser" not in sys.argv:  # playwright's process must not be patched
    patched_as_a_service_is()


@pytest.fixture
def storage_config():
    """Where this test's services keep their data: ``MONGO_URI`` and ``DATABASE_PREFIX``.

    In memory by default. Run the suite with ``TEST_MONGO_URI=mongodb://host:27017/`` and
    the same tests use that real MongoDB, each test in databases of its own, dropped after.
    """
    from services.shared import storage

    prefix = f"t{uuid.uuid4().hex[:10]}_"
    uri = os.environ.get("TEST_MONGO_URI") or f"mongomock://test-{prefix}"
    # a server's databases of this test are new: the services make them (STORE_INIT)
    yield {"MONGO_URI": uri, "DATABASE_PREFIX": prefix, "STORE_INIT": "1"}
    if storage.backend_of(uri) == "memory":
        storage.forget_memory(uri)
    else:
        client = storage.open_client(uri, prefix)
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)


@pytest.fixture
def database(storage_config):
    """Connect to this test's database of a service by name: ``database("intake")``."""
    from services.shared import storage

    return lambda name: storage.connect(storage_config["MONGO_URI"],
                                        storage.database_name(storage_config, name))


@pytest.fixture(scope="session")
def broker_users(request):
    """The hotline's broker users of this test run (``permissions.RunUsers``), named with
    a prefix of the run's own; ``broker_users.grant(vhost)`` gives them their rights in a
    vhost and returns each one's AMQP URI there. Deleted when the run ends."""
    run = permissions.RunUsers(
        permissions.api_of(request.config.getoption("RABBIT_API_URI")),
        request.config.getoption("RABBIT_AMQP_URI"), f"t{uuid.uuid4().hex[:8]}-")
    yield run
    run.remove()



@pytest.fixture(scope="session", autouse=True)
def statement_keys(tmp_path_factory):
    """accounts' key pair for this run (services/shared/statements.py): the services under
    test verify with its public key, the accounts under test sign with its private key.
    Yields the key settings, for processes a test starts."""
    from services.shared import statements

    settings = statements.ensure_keys(tmp_path_factory.mktemp("statement-keys"))
    statements.use_keys(settings)
    return settings


@pytest.fixture(scope="session", autouse=True)
def actors_signed_as_accounts_would(statement_keys):
    """Tests hand the services their actors as dicts, as people and programs are named in
    them; each is signed here as accounts signs the actor of a session (after checking its
    shape, which an RPC would refuse with InvalidRequest), so every call still goes through
    the services' reading of statements. What no caller can do: services refuse any
    unsigned dict (tests of forgery use ``real_statements``)."""
    from services.shared import statements
    from services.shared.errors import InvalidRequest
    from services.shared.schemas import ActorSchema, load

    read = statements.read

    def signed_then_read(actor):
        if isinstance(actor, dict):
            try:
                actor = load(ActorSchema(), actor)
            except InvalidRequest as exc:
                raise InvalidRequest({"actor": exc.errors}) from None
            try:
                actor = statements.vouch(actor, session=actor.get("session"),
                                         read_only=bool(actor.get("read_only")))
            except (UnicodeError, TypeError, ValueError):  # what no statement could say
                raise InvalidRequest({"actor": ["Not a valid actor."]}) from None
        elif actor is None:
            raise InvalidRequest({"actor": ["Missing data for required field."]})
        return read(actor)

    patch = pytest.MonkeyPatch()
    patch.setattr(statements, "read", signed_then_read)
    yield read
    patch.undo()


@pytest.fixture(autouse=True)
def no_withdrawals_from_other_tests(monkeypatch):
    """Each test starts with no statement withdrawn: what another test's accounts ended
    (at the real time) must not refuse this test's actors (signed at its own time)."""
    from services.shared import statements

    monkeypatch.setattr(statements, "REVOKED", statements.Revocations())


@pytest.fixture
def real_statements(monkeypatch, actors_signed_as_accounts_would):
    """Services read actors as in production: only statements accounts signed."""
    from services.shared import statements

    monkeypatch.setattr(statements, "read", actors_signed_as_accounts_would)
