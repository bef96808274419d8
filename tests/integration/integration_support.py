"""What the integration tests share besides fixtures."""
from __future__ import annotations

import time

from services.accounts.service import AccountsService
from services.callback.service import CallbackService
from services.dispatch.service import DispatchService
from services.intake.service import IntakeService
from services.ledger.service import LedgerService
from services.register.service import RegisterService

# Every service of the system, as `make run` starts them.
SERVICES = (IntakeService, DispatchService, CallbackService, LedgerService, RegisterService,
            AccountsService)


def eventually(check, timeout: float = 30.0, interval: float = 0.05):
    """``check()``'s first truthy answer, or its last answer as an AssertionError.
    Used where a flow crosses several services and events. The ceiling is generous: a
    passing check returns at once, and on a loaded 2-core machine a flow through four
    services in one eventlet process once took more than 10 s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
            if answer:
                return answer
        except Exception as error:  # not there yet (e.g. NotFound)
            answer = error
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s; last answer: {answer!r}")
        time.sleep(interval)
