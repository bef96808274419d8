"""The console as gunicorn serves it, with canned services and two views that raise: for
test_console_under_gunicorn.py (``gunicorn -c deploy/gunicorn.conf.py
console_with_a_bug:app``)."""
from __future__ import annotations

import base64

from services.console.app import create_app
from services.console.settings import Settings

SECRET = "gunicorn-test-only"


class Canned:
    """register.export_register names its file after the unit asked for, as the service does."""

    def call(self, service: str, method: str, *args):
        if (service, method) == ("accounts", "check_session"):  # the cookie's session
            return {"id": "admin", "username": "admin", "name": "管理员", "role": "admin",
                    "unit_id": None, "unit_name": None, "read_only": False,
                    "statement": "statement-of-admin"}
        if (service, method) == ("register", "export_register"):
            return {"filename": f"register_{args[1] or 'all'}_2026-11-23.xlsx",
                    "content_base64": base64.b64encode(b"PK\x03\x04").decode("ascii")}
        raise LookupError(f"no canned answer for {service}.{method}")


app = create_app(Settings(amqp_uri="memory://", secret_key=SECRET), Canned())


@app.route("/boom")
def boom():
    raise RuntimeError("a bug in a page")


@app.route("/api/boom")
def api_boom():
    raise RuntimeError("a bug in the API")
