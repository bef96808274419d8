"""What becomes of an event whose handler failed: tried again after a pause that doubles
(1, 2, 4, 8 s…, at most ``PAUSE_CAP_SECONDS``), or parked once it has failed
``EVENT_ATTEMPTS`` times (default 5) of its own fault. A failure because something the
handler needs is away or ran out (its store: pymongo's ConnectionFailure family, a full
disk and the like, exhaustion.py; another service: ServicesUnavailable;
``rpc_client.AWAY``) is not its fault and is not counted: such an
event is tried again, with the same capped pause, until what it needs is back, so nothing
good is parked during an outage.

Plain functions, and the memory of each event's tries (``Tries``, kept in the process:
a restarted service starts counting again, so a message may be tried up to
``EVENT_ATTEMPTS`` times more after each restart before it is parked).
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from services.shared import exhaustion
from services.shared.rpc_client import AWAY

DEFAULT_ATTEMPTS = 5
FIRST_PAUSE_SECONDS = 1.0
PAUSE_CAP_SECONDS = 10.0
REMEMBERED = 10_000  # events in flight a handler remembers the tries of


@dataclass(frozen=True)
class Tries:
    """The failures of one event so far: ``failed`` counted (its own fault), ``away``
    not counted (something it needs was away)."""

    failed: int = 0
    away: int = 0


def is_away(error: BaseException) -> bool:
    """Whether ``error`` says something the handler needs is away (``rpc_client.AWAY``, by
    the name of its class or of any class it derives from, or a remote error of such a
    kind, or a resource that ran out: exhaustion.reason) rather than that the event or the
    handler is at fault."""
    if any(cls.__name__ in AWAY for cls in type(error).__mro__):
        return True
    if exhaustion.reason(error) is not None:
        return True
    return getattr(error, "exc_type", None) in AWAY  # nameko's RemoteError


def pause(tries: int) -> float:
    """Seconds before the ``tries``-th try again (1, 2, 4, 8…), at most PAUSE_CAP_SECONDS."""
    return min(PAUSE_CAP_SECONDS, FIRST_PAUSE_SECONDS * 2 ** max(0, tries - 1))


def after_failure(tries: Tries, away: bool, attempts: int) -> tuple[Tries, float | None]:
    """The tries with this failure added, and the pause before the event comes again; None
    instead of a pause when it is to be parked: its ``attempts``-th failure of its own."""
    tries = Tries(tries.failed, tries.away + 1) if away else Tries(tries.failed + 1,
                                                                    tries.away)
    if not away and tries.failed >= attempts:
        return tries, None
    return tries, pause(tries.failed + tries.away)


# A failing event is held (unacknowledged) while it is tried again; RabbitMQ closes a
# channel that holds a delivery past its consumer timeout (30 minutes by default), which
# would end the service's consumer. Every this many tries (about 20 minutes at the longest
# pause) it is given back to its queue instead, which the broker counts as a delivery.
HELD_TRIES_AT_MOST = 120


def give_back(tries: Tries) -> bool:
    """Whether the event, after these tries, goes back to its queue rather than being tried
    again where it is held."""
    return (tries.failed + tries.away) % HELD_TRIES_AT_MOST == 0


def failure_words(error: BaseException, tries: Tries) -> str:
    """Why an event is parked, in words: how often it failed and the last error."""
    text = str(error)
    return (f"the handler failed {tries.failed} times; last: {type(error).__name__}"
            f"{': ' + text if text else ''}")


class Memory:
    """The tries of the events a handler is retrying, by event id, the oldest forgotten
    past REMEMBERED (an event another copy of the service took over is never resolved
    here)."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self.size = size
        self._tries: OrderedDict[str, Tries] = OrderedDict()

    def get(self, key: str) -> Tries:
        return self._tries.get(key, Tries())

    def put(self, key: str, tries: Tries) -> None:
        self._tries[key] = tries
        self._tries.move_to_end(key)
        while len(self._tries) > self.size:
            self._tries.popitem(last=False)

    def forget(self, key: str) -> None:
        self._tries.pop(key, None)

    def __len__(self) -> int:
        return len(self._tries)
