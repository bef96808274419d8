"""`nameko run --config deploy/<service>.yml services.<service>.service` (the README's way
to start one service alone) must find exactly that service in its module."""
import pytest
from nameko.cli.run import import_service

from services.accounts.service import AccountsService
from services.callback.service import CallbackService
from services.dispatch.service import DispatchService
from services.intake.service import IntakeService
from services.ledger.service import LedgerService


@pytest.mark.parametrize("module, service", [
    ("services.intake.service", IntakeService), ("services.dispatch.service", DispatchService),
    ("services.callback.service", CallbackService), ("services.ledger.service", LedgerService),
    ("services.accounts.service", AccountsService),
])
def test_each_service_module_holds_one_service(module, service):
    assert import_service(module) == [service]
