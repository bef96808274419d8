"""How many messages lie in each service's parking queue, for the console's supervision
page: the console's broker user may not look into ``parked-<service>``, so each service
tells the depth of its own, asked with its own broker user (which may declare that queue).

In a service class, next to its other entrypoints::

    parking_depth, parked_count = parking_depth.counting()
"""
from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.shared import access
from services.shared.deadlines import rpc
from services.shared.errors import EXPECTED
from services.shared.parking import depth, parking_name
from services.shared.schemas import load_actor


class ParkingDepth(DependencyProvider):
    """``self.parking_depth()``: how many messages lie in the service's parking queue now
    (parking.depth, with the service's own broker user)."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        config, service = self.container.config, self.container.service_name
        return lambda: depth(config, service)


def counting() -> tuple[ParkingDepth, Any]:
    """The dependency and the RPC (``parked_count``) a service adds to tell how many
    messages it parked."""

    def parked_count(self: Any, actor: dict) -> dict:
        """How many messages lie in this service's parking queue now (never applied or
        answered: services/shared/parking.py), for supervisors and admins (access.py:
        parked). Returns ``{"service": name, "queue": "parked-<service>", "count": n}``.
        Raises NotPermitted."""
        access.require(load_actor(actor), "parked")
        return {"service": self.name, "queue": parking_name(self.name),
                "count": int(self.parking_depth())}

    return ParkingDepth(), rpc(expected_exceptions=EXPECTED)(parked_count)
