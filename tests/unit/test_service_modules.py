"""`nameko run --config deploy/<service>.yml services.<service>.service` (the README's way
to start one service alone) must find exactly that service in its module, and each
service's broker user may hear exactly the sources its handlers listen to."""
import importlib.util
import inspect
import sys
from pathlib import Path

import pytest
from nameko.cli.run import import_service
from nameko.events import EventHandler
from nameko.extensions import Entrypoint

from services.accounts.service import AccountsService
from services.callback.service import CallbackService
from services.dispatch.service import DispatchService
from services.intake.service import IntakeService
from services.ledger.service import LedgerService
from services.register.service import RegisterService

SERVICES = (IntakeService, DispatchService, CallbackService, LedgerService, RegisterService,
            AccountsService)
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def permissions():
    spec = importlib.util.spec_from_file_location(
        "permissions", DEPLOY / "rabbitmq" / "permissions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_each_service_module_holds_one_service(service):
    assert import_service(f"services.{service.name}.service") == [service]


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_no_service_takes_its_rpcs_from_a_mixin(service):
    for base in inspect.getmro(service)[1:]:
        if base is object:
            continue
        offered = [name for name, value in vars(base).items()
                   if getattr(value, "nameko_entrypoints", None)]
        assert offered == [], f"{service.__name__} inherits {offered} from {base.__name__}"


def test_every_service_has_a_config_and_a_broker_user_that_hears_what_it_listens_to():
    grants = permissions()
    assert set(grants.SERVICES) == {service.name for service in SERVICES}
    for service in SERVICES:
        assert (DEPLOY / f"{service.name}.yml").exists()
        heard = {entrypoint.source_service for name in dir(service)
                 for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ())
                 if isinstance(entrypoint, EventHandler)}
        assert heard == set(grants.LISTENS_TO[service.name]), service.name


def test_an_entrypoint_of_every_kind_is_seen():
    # the mixin check above looks at nameko_entrypoints: make sure that is where they are
    assert any(isinstance(entrypoint, Entrypoint)
               for entrypoint in LedgerService.timeline.nameko_entrypoints)


def test_the_readme_shows_the_access_rule_as_it_is():
    """The README's "Who may see what" table is access.py's, so the two never drift."""
    from pathlib import Path

    from services.shared import access

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert access.markdown_table() in readme


def test_every_service_hears_what_accounts_withdraws():
    """Each copy of each service refuses statements accounts withdrew (revocation.py),
    those said before it started too (the handlers bring the catch-up along)."""
    from services.shared import revocation

    for service in SERVICES:
        for name in ("hear_ended_sessions", "hear_account_changes"):
            handler = getattr(service, name, None)
            [entrypoint] = getattr(handler, "nameko_entrypoints", [None])
            assert entrypoint is not None and entrypoint.source_service == "accounts", (
                service.name, name)
            assert entrypoint.handler_type == "broadcast", (service.name, name)
            assert isinstance(entrypoint.catch_up, revocation.CatchUp), (service.name, name)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_every_rpc_and_event_handler_parks_what_it_cannot_read(service):
    """Every RPC goes through the guard (deadlines.rpc, built on rpc_guard.Rpc: a request
    that is no request is parked, not left to stop the service) and every event handler
    parks what it will not apply (events.on_event); one plain nameko entrypoint would open
    a second consumer."""
    from nameko.rpc import Rpc

    from services.shared import deadlines
    from services.shared.events import EnvelopeHandler

    for name in dir(service):
        for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, Rpc):
                assert type(entrypoint) is deadlines.DeadlineRpc, (service.name, name)
            if isinstance(entrypoint, EventHandler):
                assert isinstance(entrypoint, EnvelopeHandler), (service.name, name)


def test_a_service_process_keeps_its_code_out_of_the_collectors_walks():
    # in a process of its own: gc.freeze, the thresholds and eventlet's patches are the
    # whole process's. The service's module is imported patched, as nameko's run imports
    # it: the worker's event being handled is each green thread's own.
    import subprocess

    shown = subprocess.run(
        [sys.executable, "-c",
         "import gc, sys; from services import service_process as p; "
         "p.collector_for_answers('services.dispatch.service'); "
         "from services.shared import events; "
         "print(gc.get_threshold()[0], gc.get_freeze_count() > 10_000, "
         "'services.dispatch.service' in sys.modules, type(events._handling).__module__)"],
        capture_output=True, text=True, check=True, cwd=DEPLOY.parent).stdout.split()
    assert shown == ["10000", "True", "True", "eventlet.corolocal"]
