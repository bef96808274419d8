"""The console's errors and downloads as a browser gets them from gunicorn
(deploy/gunicorn.conf.py), not from Flask's test client: a view that raises is a page or
a JSON error, never an empty 500 or gunicorn's own page; a unit id with Chinese in it or
a quote and a second file name downloads the register under a name it cannot change."""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from werkzeug.http import parse_options_header

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """(port, session cookie of an admin, its log) of the console under gunicorn."""
    import console_with_a_bug

    port = free_port()
    env = {**os.environ, "CONSOLE_BIND": f"127.0.0.1:{port}", "CONSOLE_WORKERS": "1",
           "LOG_LEVEL": "warning"}
    log_path = tmp_path_factory.mktemp("gunicorn") / "console.log"
    log = open(log_path, "wb")
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
         "--pythonpath", str(Path(__file__).parent), "console_with_a_bug:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert gunicorn.poll() is None, "gunicorn stopped at start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        app = console_with_a_bug.app
        # a cookie naming a live accounts session (console_with_a_bug answers it)
        cookie = app.session_interface.get_signing_serializer(app).dumps(
            {"session": "live-session"})
        yield port, cookie, log_path
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=15)
        log.close()


def get(console, path: str, **headers) -> tuple[http.client.HTTPResponse, bytes]:
    port, cookie, _ = console
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Cookie": f"session={cookie}", **headers})
    response = connection.getresponse()
    return response, response.read()


def test_a_view_that_raises_is_the_consoles_error_page(console):
    response, body = get(console, "/boom")
    assert response.status == 500
    assert response.getheader("Content-Type").startswith("text/html")
    page = body.decode("utf-8")
    assert "系统出错" in page and "已记录" in page and "a bug" not in page
    assert response.getheader("Content-Security-Policy")


def test_an_api_call_that_raises_is_a_json_error(console):
    response, body = get(console, "/api/boom")
    assert response.status == 500
    assert response.getheader("Content-Type") == "application/json"
    assert b'"code":500' in body and b"a bug" not in body


@pytest.mark.parametrize("unit_id, name", [
    ("殷行网格", "register_殷行网格_2026-11-23.xlsx"),
    ('x"; filename=evil.exe', "register_x_filename_evil.exe_2026-11-23.xlsx"),
])
def test_the_register_downloads_under_a_name_the_unit_id_cannot_break(console, unit_id, name):
    response, body = get(console, "/register/export?unit_id=" + urllib.parse.quote(unit_id))
    assert response.status == 200 and body.startswith(b"PK")
    disposition = response.getheader("Content-Disposition")
    kind, params = parse_options_header(disposition)
    assert kind == "attachment" and params["filename"] == name
    assert disposition.count("filename=") == 1 and "evil.exe\"" not in disposition


def test_a_token_in_a_query_never_reaches_the_access_log(console):
    response, _ = get(console, "/boom?api_key=hlt_0123456789abcdef_secret-part")
    assert response.status == 500
    _, _, log_path = console
    deadline = time.monotonic() + 10
    while "GET /boom " not in log_path.read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < deadline, "no access line written"
        time.sleep(0.1)
    assert "secret-part" not in log_path.read_text(encoding="utf-8", errors="replace")
