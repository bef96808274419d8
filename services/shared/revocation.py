"""How every service learns, within a moment, that accounts withdrew statements: each
copy of each service hears accounts' ``session_ended`` and ``account_changed`` (broadcast:
every process keeps its own list, services/shared/statements.REVOKED) and refuses the
statements they name from then on, without waiting the 5 minutes a statement lives.

In a service class, next to its other entrypoints::

    hear_ended_sessions, hear_account_changes = revocation.handlers()
"""
from __future__ import annotations

from typing import Any

from services.shared import clock, statements
from services.shared.events import on_event

# account_changed fields whose change withdraws every statement of the user so far (a
# session's end says session_ended too; tokens have no console session)
WITHDRAWING = ("role", "unit_id", "district", "active", "password")


def withdrawn(event: dict) -> tuple[list[str], str | None]:
    """The sessions and the user whose statements an accounts event withdraws."""
    data = event["data"]
    if event["event_type"] == "session_ended":
        user_wide = data["reason"] not in ("logout", "ended", "idle", "expired")
        return list(data["session_ids"]), data["username"] if user_wide else None
    if data.get("change") == "token_revoked" and data.get("token_id"):
        return [f"token:{data['token_id']}"], None
    if set(data.get("fields") or ()) & set(WITHDRAWING) or data.get("active") is False:
        return [], data["username"]
    return [], None


def handlers() -> tuple[Any, Any]:
    """The two broadcast handlers a service adds to hear what accounts withdrew."""

    def hear(self: Any, event: dict) -> None:
        sessions, user = withdrawn(event)
        at = clock.parse_iso(event["occurred_at"])
        for session in sessions:
            statements.REVOKED.end(session, at)
        if user is not None:
            statements.REVOKED.end_user(user, at)

    def on_session_ended(self: Any, event: dict) -> None:
        """Refuse the statements of the sessions accounts ended, from now on."""
        hear(self, event)

    def on_account_changed(self: Any, event: dict) -> None:
        """Refuse the statements a revoked token or a changed account had, from now on."""
        hear(self, event)

    return (on_event("accounts", "session_ended", broadcast=True)(on_session_ended),
            on_event("accounts", "account_changed", broadcast=True)(on_account_changed))
