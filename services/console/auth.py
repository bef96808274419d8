"""Who is using the console: people log in with a password (a signed, HttpOnly, SameSite
session cookie), programs send an API token. Either way the person becomes the ``actor``
every RPC carries, so every action is recorded in the ledger with who took it."""
from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, current_app, g, redirect, request, session, url_for

SESSION_KEY = "user"


def current_user() -> dict | None:
    """The signed-in person (``id``, ``username``, ``name``, ``role``, ``unit_id``,
    ``unit_name``), or None. API requests set ``g.api_user`` from their token instead."""
    return getattr(g, "api_user", None) or session.get(SESSION_KEY)


def signed_in() -> dict:
    """The signed-in person, in a view that only signed-in people reach (``require``, the
    API's token check); 401 should anyone else get there."""
    user = current_user()
    if user is None:
        abort(401)
    return user


def actor(user: dict | None = None) -> dict:
    """The actor an RPC carries for ``user`` (default: the current one)."""
    user = user or signed_in()
    return {"id": user["id"], "name": user["name"], "role": user["role"],
            "unit_id": user.get("unit_id")}


def log_in(user: dict) -> None:
    session.clear()  # a fresh session on every login: no fixation
    session[SESSION_KEY] = {key: user.get(key) for key in
                            ("id", "username", "name", "role", "unit_id", "unit_name")}
    session.permanent = True


def log_out() -> None:
    session.clear()


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
