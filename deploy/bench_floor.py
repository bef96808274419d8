"""The framework's floor for `make bench` (deploy/bench.py): a trivial service answering an
RPC and emitting one event, and a second trivial service consuming it. Each runs as its own
``nameko run --broker … bench_floor:FloorService`` (from deploy/)."""
from __future__ import annotations

import time

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc


class FloorService:
    name = "floor"
    publisher = EventDispatcher()

    @rpc
    def ping(self, sent_at: float) -> float:
        """Says ``pinged`` with the caller's send time; returns it."""
        self.publisher("pinged", {"sent_at": sent_at})
        return sent_at


class FloorListener:
    name = "floor_listener"
    # One instance per process: the delays heard so far (seconds from the RPC's send).
    delays: list[float] = []

    @event_handler("floor", "pinged")
    def heard(self, payload: dict) -> None:
        FloorListener.delays.append(time.time() - payload["sent_at"])

    @rpc
    def delays_heard(self) -> list[float]:
        """Every delay heard since the last call, and forgets them."""
        heard, FloorListener.delays[:] = list(FloorListener.delays), []
        return heard
