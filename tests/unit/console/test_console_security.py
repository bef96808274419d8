"""What OWASP ASVS level 2 asks of the console, from canned answers (no broker): the
security headers on every kind of response, the session cookie Secure unless the one
plain-http switch is set, downloads named through werkzeug whatever a caller typed, and a
500 that always says something, as a page or as JSON."""
from __future__ import annotations

import base64
import re
import urllib.parse
from pathlib import Path

import pytest
from test_console_pages_offline import Canned
from werkzeug.http import parse_options_header

import services.console
from services.console import errors
from services.console.app import create_app
from services.console.settings import Settings

ADMIN = {"id": "admin", "username": "admin", "name": "管理员", "role": "admin",
         "statement": "statement-of-admin",
         "unit_id": None, "unit_name": None}
TEMPLATES = Path(services.console.__file__).parent / "templates"


def register_file(actor, unit_id, *filters) -> dict:
    """What register.export_register answers: a file named after the unit asked for."""
    return {"filename": f"register_{unit_id or 'all'}_2026-11-23.xlsx",
            "content_base64": base64.b64encode(b"PK\x03\x04 workbook").decode("ascii")}


SERVICES = {
    ("register", "export_register"): register_file,
    ("accounts", "authenticate_token"): lambda token: ADMIN,
    ("accounts", "check_session"): lambda secret: ADMIN,
    ("ledger", "indicators_xlsx"): lambda *args: {
        "filename": "indicators_2026-11-01_2026-11-30.xlsx",
        "content_base64": base64.b64encode(b"PK").decode("ascii")},
}


def console(plain_http: bool = True, **settings):
    app = create_app(Settings(amqp_uri="memory://", secret_key="test", testing=True,
                              plain_http=plain_http, **settings), Canned(SERVICES))

    @app.route("/boom")
    def boom():
        raise RuntimeError("a bug")

    @app.route("/api/boom")
    def api_boom():
        raise RuntimeError("a bug")

    return app


def signed_in(app):
    """A browser whose cookie holds a session accounts answers as the admin's."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["session"] = "live-session"
    return client


# Security headers
@pytest.mark.parametrize("path", [
    "/login",                         # a page
    "/api/openapi.json",              # the API
    "/api/register",                  # the API refusing a request without a token
    "/open311/v2/services.json",      # Open311
    "/static/console.css",            # a static file
    "/no-such-page",                  # an error page
    "/boom",                          # an unexpected error
])
def test_every_response_carries_the_security_headers(path):
    response = console().test_client().get(path)

    policy = dict(directive.strip().split(" ", 1)
                  for directive in response.headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline script, no handler attribute
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http here
    if path.startswith("/static/"):
        assert "no-store" not in response.headers.get("Cache-Control", "")
    else:  # pages and answers hold residents' data
        assert response.headers["Cache-Control"] == "no-store"


def test_over_https_the_console_asks_browsers_to_keep_to_https():
    response = console(plain_http=False).test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_inline_script_or_handler_attributes():
    """The policy forbids them: a page relying on one would stop working."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.I), template.name
        assert not re.search(r"\son[a-z]+\s*=", text, re.I), template.name
        assert "javascript:" not in text.lower(), template.name


# The session cookie
@pytest.mark.parametrize("switch, secure", [(None, True), ("1", False), ("0", True)])
def test_the_session_cookie_is_secure_unless_served_over_plain_http(monkeypatch, switch, secure):
    if switch is None:
        monkeypatch.delenv("CONSOLE_PLAIN_HTTP", raising=False)
    else:
        monkeypatch.setenv("CONSOLE_PLAIN_HTTP", switch)
    app = create_app(Settings(amqp_uri="memory://", secret_key="test", testing=True),
                     Canned(SERVICES))

    # the sign-in form keeps its CSRF token in the session: the cookie is set
    cookie = app.test_client().get("/login").headers["Set-Cookie"]

    flags = {flag.strip().lower() for flag in cookie.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags
    assert ("secure" in flags) is secure
    assert ("Strict-Transport-Security" in app.test_client().get("/login").headers) is secure


# Downloads
def download_name(response) -> str:
    """The one file name a browser takes from Content-Disposition, as werkzeug parses it."""
    disposition, params = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment"
    response.headers["Content-Disposition"].encode("latin-1")  # a valid header (no 500)
    return params["filename"]


EVIL = 'x"; filename=evil.exe'


def test_a_unit_id_cannot_name_another_file():
    client = signed_in(console())
    response = client.get("/register/export?unit_id=" + urllib.parse.quote(EVIL))

    assert response.status_code == 200 and response.data.startswith(b"PK")
    disposition = response.headers["Content-Disposition"]
    assert disposition.count("filename=") == 1 and '"' not in disposition
    assert download_name(response) == "register_x_filename_evil.exe_2026-11-23.xlsx"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_api_refuses_such_a_unit_id_before_asking_the_register():
    services = Canned(SERVICES)
    app = create_app(Settings(amqp_uri="memory://", secret_key="test", testing=True),
                     services)
    response = app.test_client().get("/api/register/export?grid_unit_id="
                                     + urllib.parse.quote(EVIL),
                                     headers={"Authorization": "Bearer t"})
    assert response.status_code == 422 and "grid_unit_id" in response.get_json()["errors"]
    assert "Content-Disposition" not in response.headers
    assert [method for _, method, _ in services.calls] == ["authenticate_token"]


@pytest.mark.parametrize("path", ["/register/export?unit_id=",
                                  "/api/register/export?grid_unit_id="])
def test_a_chinese_unit_id_downloads_under_its_chinese_name(path):
    client = signed_in(console())
    response = client.get(path + urllib.parse.quote("殷行网格"),
                          headers={"Authorization": "Bearer t"})

    assert response.status_code == 200 and response.data.startswith(b"PK")
    response.headers["Content-Disposition"].encode("ascii")  # RFC 6266: ASCII only
    _, params = parse_options_header(response.headers["Content-Disposition"])
    assert params["filename"] == "register_殷行网格_2026-11-23.xlsx"  # from filename*
    assert download_name(response)


def test_the_indicators_workbook_downloads_through_the_same_helper():
    client = signed_in(console())
    response = client.get("/supervision/indicators.xlsx?start=2026-11-01&end=2026-12-01")
    assert response.status_code == 200
    assert download_name(response) == "indicators_2026-11-01_2026-11-30.xlsx"


# Errors
def test_an_unexpected_error_is_a_page_for_people():
    response = console().test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "系统出错" in page and errors.UNEXPECTED in page
    assert "a bug" not in page and "Traceback" not in page  # no trace leaves


@pytest.mark.parametrize("path, headers", [("/api/boom", {}),
                                           ("/boom", {"Accept": "application/json"})])
def test_an_unexpected_error_is_a_json_error_for_programs(path, headers):
    response = console().test_client().get(path, headers=headers)
    assert response.status_code == 500
    assert response.get_json() == {"code": 500, "status": "系统出错",
                                   "message": errors.UNEXPECTED}


def test_when_even_the_error_page_fails_the_500_still_says_so(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the template is broken too")

    monkeypatch.setattr(errors, "render_template", broken)
    response = console().test_client().get("/boom")
    assert response.status_code == 500
    assert errors.UNEXPECTED in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"]
