"""The console application: ``create_app()`` builds it; gunicorn serves
``services.console.wsgi:app`` (deploy/gunicorn.conf.py)."""
from __future__ import annotations

import datetime as dt

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from services.console.settings import Settings
from services.shared.evidence import MAX_UPLOAD_BYTES
from services.shared.rpc_client import ServiceProxy

csrf = CSRFProtect()
FORM_ALLOWANCE = 1024 * 1024  # a multipart form's fields and boundaries beside its files


def create_app(settings: Settings | None = None, services=None) -> Flask:
    """The console for ``settings`` (default: from the environment). ``services`` is what
    answers RPCs (default: a ServiceProxy to the broker of ``settings``)."""
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.plain_http,
        # The cookie holds only an accounts session's secret; accounts ends the session
        # (idle, lifetime, logout): the cookie's own lifetime is no more than a bound.
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,  # the session's lifetime bounds it
        TESTING=settings.testing,
        JSON_AS_ASCII=False,
        # A body larger than the most a request may upload (a ticket's files; a register's
        # workbook is smaller) is refused (413) before it is read: none is spooled to disk
        # nor holds a worker while it comes in.
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES + FORM_ALLOWANCE,
    )
    app.extensions["hotline_services"] = services or ServiceProxy(settings.amqp_uri,
                                                                   settings.rpc_timeout)
    csrf.init_app(app)

    from services.console import api, errors, headers, open311, pages

    headers.register(app, settings.plain_http)
    errors.register(app)
    pages.register(app)
    api.register(app, csrf)
    open311.register(app, csrf)
    app.add_url_rule("/healthz", "healthz", healthz)
    return app


def healthz() -> dict:
    """A scheduler's probe: 200 while this worker answers. Nothing more is checked: the
    console keeps nothing of its own, and restarting it would not bring back a service
    it asks (each answers its own /ready: services/shared/health.py)."""
    return {"status": "ok"}
