"""Who a program outside the services acts for, signed in through accounts: a command
line, an automated callback worker, the call centre's software.

With an API token (``HOTLINE_TOKEN``, the way for programs: their accounts have no
password) or as a person with a password, which starts a session. Each call then carries
accounts' statement of who acts (services/shared/statements.py), asked for again once it
is a minute old: statements live 5 minutes, and a withdrawn token or an ended session is
refused at the next asking.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

TOKEN_VARIABLE, USER_VARIABLE = "HOTLINE_TOKEN", "HOTLINE_USER"
# A statement is asked for again after this long; well inside its 5 minutes, so that a
# clock a little off on either side never hands a service an expired one.
REUSE_SECONDS = 60.0


class NotSignedIn(Exception):
    """Neither a token nor a user to sign in as."""


class SignedIn:
    """``signed()`` gives a statement of who acts, fresh from accounts at most
    REUSE_SECONDS ago. ``accounts`` is the accounts service's RPCs (``rpc.accounts`` of a
    nameko cluster proxy, or ``proxy.of("accounts")``)."""

    def __init__(self, accounts: Any, *, token: str | None = None,
                 session: str | None = None, now: Callable[[], float] = time.monotonic):
        self.accounts = accounts
        self.token, self.session = token, session
        self._now = now
        self._statement: str | None = None
        self._asked_at = 0.0

    def __call__(self) -> str:
        if self._statement is None or self._now() - self._asked_at >= REUSE_SECONDS:
            self._asked_at = self._now()
            self._statement = self._ask()
        return self._statement

    def _ask(self) -> str:
        if self.token is not None:
            return self.accounts.authenticate_token(self.token)["statement"]
        return self.accounts.check_session(self.session)["statement"]

    def end(self) -> None:
        """Sign out: a session started by a password ends now."""
        if self.session is not None:
            self.accounts.end_session(self.session)


def by_token(accounts: Any, token: str | None = None) -> SignedIn:
    """A program signed in with its API token (default: HOTLINE_TOKEN), checked at once.
    NotSignedIn without one; NotPermitted as accounts refuses it."""
    token = token or os.environ.get(TOKEN_VARIABLE)
    if not token:
        raise NotSignedIn(f"sign in: set {TOKEN_VARIABLE} to the API token an admin issued "
                          f"to this program's account")
    signed = SignedIn(accounts, token=token)
    signed()  # refused at once if the token is not good
    return signed


def sign_in(rpc: Any, user: str | None = None,
            ask: Callable[[str], str] | None = None) -> SignedIn:
    """Sign a command line in through accounts: with HOTLINE_TOKEN's API token, or as
    ``user`` (default HOTLINE_USER) with the password ``ask`` gets (default: asked on the
    terminal), which starts a session. NotPermitted as accounts refuses; NotSignedIn with
    neither."""
    if os.environ.get(TOKEN_VARIABLE):
        return by_token(rpc.accounts)
    user = user or os.environ.get(USER_VARIABLE)
    if not user:
        raise NotSignedIn(f"sign in: set {TOKEN_VARIABLE} to an API token, or give --user "
                          f"(or {USER_VARIABLE}) and type the password")
    if ask is None:
        import getpass

        ask = getpass.getpass
    started = rpc.accounts.start_session(user, ask(f"{user} 的密码: "))
    return SignedIn(rpc.accounts, session=started["session"])
