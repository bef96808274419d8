"""The errors a caller of any RPC may see, one type per kind of failure.

Each is registered with nameko so that a Python caller gets the same class back
(``except InvalidRequest``); other callers see ``exc_type`` with this class name.
"""
from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import deserialize_to_instance


class HotlineError(Exception):
    """Base of every documented error."""


@deserialize_to_instance
class InvalidRequest(HotlineError):
    """The request broke the contract. ``errors`` maps each field to marshmallow's messages.
    Nothing was stored and no event left."""

    def __init__(self, errors: Any):
        if isinstance(errors, str):
            errors = {"_request": [errors]}
        self.errors = errors
        super().__init__(errors)

    def __str__(self) -> str:
        return "invalid request: " + json.dumps(self.errors, ensure_ascii=False, sort_keys=True)


@deserialize_to_instance
class NotFound(HotlineError):
    """No such ticket, task, unit or place."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(what)

    def __str__(self) -> str:
        return f"not found: {self.what}"


@deserialize_to_instance
class IllegalTransition(HotlineError):
    """The step is not allowed from the ticket's (or task's) current state; nothing changed."""


@deserialize_to_instance
class NotPermitted(HotlineError):
    """The actor may not take this step (wrong role, another unit's ticket, a task held by
    another worker); nothing changed."""


@deserialize_to_instance
class ServicesUnavailable(Exception):
    """Not a refusal: the service (or what it needs: its store, another service) cannot
    serve now: down, slow, its disk full. Try again later; nothing was done. The message
    says which, where it is known. A console shows it as a 503."""


EXPECTED = (InvalidRequest, NotFound, IllegalTransition, NotPermitted)
"""Pass as ``@rpc(expected_exceptions=EXPECTED)``: these are answers, not faults."""
