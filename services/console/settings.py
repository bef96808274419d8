"""The console's settings, from the environment (served by gunicorn: deploy/gunicorn.conf.py)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_AMQP_URI = "pyamqp://guest:guest@localhost:5672/"
SECRET_FILE = Path("var") / "console-secret"


def secret_key() -> str:
    """CONSOLE_SECRET_KEY, or one made once and kept in var/ so every worker and restart
    signs sessions alike (never committed: var/ is ignored)."""
    if os.environ.get("CONSOLE_SECRET_KEY"):
        return os.environ["CONSOLE_SECRET_KEY"]
    SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(SECRET_FILE, "x", encoding="ascii") as handle:  # first one wins
            handle.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return SECRET_FILE.read_text(encoding="ascii").strip()


@dataclass
class Settings:
    amqp_uri: str = field(default_factory=lambda: os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    rpc_timeout: float = field(
        default_factory=lambda: float(os.environ.get("CONSOLE_RPC_TIMEOUT", "10")))
    secret_key: str = field(default_factory=secret_key)
    # The console is reached over HTTPS (TLS ends at a proxy in front of gunicorn): its
    # session cookie is Secure and it sends Strict-Transport-Security. CONSOLE_PLAIN_HTTP=1
    # is the one switch for plain http on localhost (make run, the tests, the bench): the
    # cookie may then travel without TLS, and no HSTS is sent. Never set it in production.
    plain_http: bool = field(
        default_factory=lambda: os.environ.get("CONSOLE_PLAIN_HTTP") == "1")
    testing: bool = False
