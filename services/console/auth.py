"""Who is using the console: people sign in with a password and get a session of the
accounts service, programs send an API token. Either way the person becomes the ``actor``
every RPC carries, so every action is recorded in the ledger with who took it: the
statement accounts signs of them at each check (services/shared/statements.py), which
the services verify; the console never says who acts on its own.

The browser's cookie (Flask's signed, HttpOnly, SameSite session) holds only the session's
secret. Every request that needs the person asks accounts once (``check_session``), so a
session that has ended (logout, idle, past its lifetime, its account deactivated or its
role, unit or password changed) is refused at its next request; nothing is cached between
requests."""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, current_app, g, redirect, request, session, url_for

from services.shared.errors import InvalidRequest, NotPermitted

SESSION_KEY = "session"  # the cookie's one entry: the accounts session's secret
READING = ("GET", "HEAD", "OPTIONS")  # all a read-only API token may do


def current_user() -> dict | None:
    """The signed-in person (``id``, ``username``, ``name``, ``role``, ``unit_id``,
    ``unit_name``, ``read_only``), or None. API requests set ``g.api_user`` from their
    token instead. Asked of accounts once per request."""
    if getattr(g, "api_user", None) is not None:
        return g.api_user
    if "session_user" not in g:
        g.session_user = None  # if accounts does not answer, the error page asks no more
        g.session_user = session_user()
    return g.session_user


def session_user() -> dict | None:
    """The person whose live session the cookie names; None (and the cookie emptied) if it
    names none or one that has ended. ServicesUnavailable when accounts does not answer."""
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str):
        return None
    try:
        return services().call("accounts", "check_session", secret)
    except (NotPermitted, InvalidRequest):
        session.clear()
        return None


def signed_in() -> dict:
    """The signed-in person, in a view that only signed-in people reach (``require``, the
    API's token check); 401 should anyone else get there."""
    user = current_user()
    if user is None:
        abort(401)
    return user


def actor() -> str:
    """The actor an RPC carries for the person signed in: the statement accounts signed of
    them with this request's session or token check (services/shared/statements.py),
    never a dict of the console's making."""
    return signed_in()["statement"]


def client_address() -> str | None:
    """The client's address as this server sees it (the sign-in slow-down counts by it).
    Behind a proxy, the proxy's fix-up of ``remote_addr`` (werkzeug's ProxyFix) applies."""
    return request.remote_addr


def log_in(username: str, password: str) -> dict:
    """Start an accounts session for a username and password: the cookie holds its secret
    from now on (a fresh cookie: no fixation). The identity; NotPermitted / InvalidRequest
    as accounts refuses."""
    started = services().call("accounts", "start_session", username, password,
                              client_address())
    session.clear()
    session[SESSION_KEY] = started["session"]
    session.permanent = True
    g.session_user = started["identity"]
    return started["identity"]


def log_out() -> None:
    """End the cookie's session at accounts (its secret is refused from now on, wherever it
    was copied to), then empty the cookie."""
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str):
        services().call("accounts", "end_session", secret)
    session.clear()
    g.session_user = None


def require(*roles: str) -> Callable:
    """A page for signed-in people (of ``roles``, if given): others are sent to log in,
    or refused with 403."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("pages.login", next=request.full_path))
            if roles and user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator


def services():
    """The RPC proxy of this process (see services/shared/rpc_client.py)."""
    return current_app.extensions["hotline_services"]
