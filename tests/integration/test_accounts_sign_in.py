"""Signing in goes through the accounts service: the first admin from the command line, an
account for a unit's staff, and the console's sign-in, over RabbitMQ; the account lives in
the accounts service's database, and its unit's name is dispatch's."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from flask import Flask

from services.accounts import admin_cli
from services.console.app import create_app
from services.console.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WANG = {"username": "wang.li", "name": "王丽", "role": "unit_staff",
        "unit_id": "kaichen-property", "password": "kaichen-wang-1"}


@pytest.fixture
def console(system) -> Iterator[Flask]:
    app = create_app(Settings(amqp_uri=system["AMQP_URI"], secret_key="test-secret",
                              testing=True))
    yield app
    app.extensions["hotline_services"].close()


def sign_in(console: Flask, username: str, password: str) -> str:
    """Sign in through the login form, in a browser of one's own; the page it leads to."""
    browser = console.test_client()
    token = CSRF.search(browser.get("/login").get_data(as_text=True)).group(1)
    response = browser.post("/login", data={"csrf_token": token, "username": username,
                                            "password": password}, follow_redirects=True)
    return response.get_data(as_text=True)


def test_signing_in_to_the_console_goes_through_the_accounts_service(system, rpc, console,
                                                                     database, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("first-admin-pass\n"))
    # given a cluster's addresses, the first of which refuses: the next one answers
    addresses = "pyamqp://console:nowhere@127.0.0.1:1/;" + system["AMQP_URI"]
    assert admin_cli.main(["--amqp-uri", addresses, "create-admin", "--username",
                           "admin", "--name", "系统管理员", "--password-stdin"]) == 0
    admin = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
    rpc.accounts.create_user(WANG, admin)

    page = sign_in(console, "wang.li", WANG["password"])

    assert "凯晨物业" in page and "王丽" in page  # her unit's name, as dispatch has it
    stored = database("accounts")["users"].find_one({"_id": "wang.li"})
    assert stored["last_login_at"] is not None and WANG["password"] not in repr(stored)
    assert "users" not in database("dispatch").list_collection_names()

    rpc.dispatch.put_unit({"id": "kaichen-property", "name": "凯晨物业管理处",
                           "kind": "property_company",
                           "place": "杨浦区/殷行街道/开鲁新村/开鲁新村"}, admin)
    assert rpc.accounts.authenticate("wang.li", WANG["password"])["unit_name"] == "凯晨物业管理处"
    assert "用户名或密码错误" in sign_in(console, "wang.li", "not-her-password")
