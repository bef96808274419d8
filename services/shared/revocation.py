"""How every service learns, within a moment, that accounts withdrew statements: each
copy of each service hears accounts' ``session_ended`` and ``account_changed`` (broadcast:
every process keeps its own list, services/shared/statements.REVOKED) and refuses the
statements they name from then on, without waiting the 5 minutes a statement lives.

A copy hears only what is said while it listens, so each copy also catches up when it
starts: once its broadcast queues listen, it asks accounts what it withdrew in the last
``KEPT`` (``accounts.recent_withdrawals``; accounts keeps them, ``withdrawal``) and refuses
those too. Asked after its queues listen, nothing withdrawn falls between the answer and
what it hears. It asks in the background, again and again with a growing pause until
accounts answers: the copy serves meanwhile, and until the answer it takes what it has
not heard of (the README says why it does not refuse everything meanwhile).

In a service class, next to its other entrypoints (the catch-up comes with them)::

    hear_ended_sessions, hear_account_changes = revocation.handlers()
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

import eventlet
from nameko.containers import WorkerContext
from nameko.extensions import SharedExtension

from services.shared import clock, service_rpc, statements
from services.shared.answers.accounts import RecentWithdrawalsSchema
from services.shared.deadlines import DeadlineServiceProxy
from services.shared.events import EnvelopeHandler, on_event
from services.shared.replies import ClassicReplyListener

log = logging.getLogger(__name__)

# account_changed fields whose change withdraws every statement of the user so far (a
# session's end says session_ended too; tokens have no console session)
WITHDRAWING = ("role", "unit_id", "district", "active", "password")
# How long accounts keeps what it withdrew, for copies that start later: a statement's
# whole life, and as much again for clocks that disagree and an answer that is late.
KEPT = 2 * statements.MAX_LIFETIME
# The catch-up's pause after accounts did not answer: doubled each time, up to the most.
FIRST_PAUSE_SECONDS, MOST_PAUSE_SECONDS = 1.0, 30.0


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


def withdrawal(event: dict) -> dict | None:
    """What accounts keeps of an event of its own that withdraws statements: {at (when
    it was said), session_ids, username (only when every statement of the user until
    then is withdrawn)}; None for an event that withdraws nothing."""
    sessions, user = withdrawn(event)
    if not sessions and user is None:
        return None
    return {"at": clock.parse_iso(event["occurred_at"]), "session_ids": sessions,
            "username": user}


def refuse(session_ids: Iterable[str], username: str | None, at: dt.datetime) -> None:
    """From now on this process refuses the statements of these sessions and, with a
    username, every statement of that user issued until ``at``."""
    for session in session_ids:
        statements.REVOKED.end(session, at)
    if username is not None:
        statements.REVOKED.end_user(username, at)


def refuse_recent(answer: dict) -> int:
    """Refuse what ``accounts.recent_withdrawals`` answered; how many withdrawals."""
    recent = RecentWithdrawalsSchema().load(answer)
    for each in recent["withdrawals"]:
        refuse(each["session_ids"], each.get("username"), clock.parse_iso(each["at"]))
    return len(recent["withdrawals"])


class CatchUp(SharedExtension):
    """A copy's catch-up at start (see the module's notes): one per container, shared by
    its two handlers; it asks from a green thread of its own, so the start waits for
    nothing, and the thread goes with the container. Asks as the service does (its
    broker user, its reply queue), bounded by ``SERVICE_RPC_TIMEOUT`` each time."""

    reply_listener = ClassicReplyListener()
    method_name = "catch_up"  # the calls' ids name it: <service>.catch_up.<uuid>

    def start(self) -> None:
        self.container.spawn_managed_thread(self.catch_up, identifier="revocation.catch_up")

    def catch_up(self) -> None:
        # The queue consumer returns from start() once every queue of this copy listens
        # (its broadcast ones, and the reply queue); the container has started it or is
        # starting it, and a second call only waits for that.
        self.reply_listener.queue_consumer.start()
        timeout = service_rpc.timeout_of(self.container.config)
        proxy = DeadlineServiceProxy(WorkerContext(self.container, None, self), "accounts",
                                     self.reply_listener, timeout=timeout)
        accounts = service_rpc.BoundedService(proxy, "accounts", timeout)
        catch_up_with(accounts.recent_withdrawals, self.container.service_name)


def catch_up_with(ask: Callable[[], dict], service: str) -> int:
    """Ask accounts (``ask()``: recent_withdrawals' answer) until it answers, after a pause
    that doubles each time (FIRST_PAUSE_SECONDS up to MOST_PAUSE_SECONDS), then refuse
    what it names; how many withdrawals. Each miss is logged, and the answer."""
    pause = FIRST_PAUSE_SECONDS
    while True:
        try:
            caught = refuse_recent(ask())
        except Exception as exc:  # accounts not started yet, away or slow: ask again
            log.warning("%s could not catch up with accounts' withdrawals (%r); asking again "
                        "in %g s", service, exc, pause)
            eventlet.sleep(pause)
            pause = min(pause * 2, MOST_PAUSE_SECONDS)
            continue
        log.info("%s caught up with accounts: %d withdrawals of the last %d minutes refused",
                 service, caught, KEPT.total_seconds() // 60)
        return caught


class WithdrawalHandler(EnvelopeHandler):
    """A broadcast handler of accounts' withdrawals; its copy catches up at start."""

    catch_up = CatchUp()


def handlers() -> tuple[Any, Any]:
    """The two broadcast handlers a service adds to hear what accounts withdrew, with the
    catch-up at the start of each copy."""

    def hear(self: Any, event: dict) -> None:
        sessions, user = withdrawn(event)
        refuse(sessions, user, clock.parse_iso(event["occurred_at"]))

    def on_session_ended(self: Any, event: dict) -> None:
        """Refuse the statements of the sessions accounts ended, from now on."""
        hear(self, event)

    def on_account_changed(self: Any, event: dict) -> None:
        """Refuse the statements a revoked token or a changed account had, from now on."""
        hear(self, event)

    return (on_event("accounts", "session_ended", broadcast=True,
                     handler_class=WithdrawalHandler)(on_session_ended),
            on_event("accounts", "account_changed", broadcast=True,
                     handler_class=WithdrawalHandler)(on_account_changed))
