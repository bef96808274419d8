"""What the browser tests of live pages and steps on many tickets share: people at the
console in a browser of their own, desktop or phone, and tickets made over RPC as the
call centre and the units would make them, while the pages are open."""
from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_at(path: Path):
    spec = importlib.util.spec_from_file_location(f"live_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
DEVICES = {"desktop": DESKTOP, "phone": PHONE}
GRID = "yinhang-grid-1"
PROPERTY = "kaichen-property"
demo = module_at(ROOT / "deploy" / "demo" / "load.py")


class Person:
    """Someone at the console in a browser of their own, photographing pages."""

    def __init__(self, chromium, system: dict, folder: Path, who: str, device: str,
                 timezone: str = "Asia/Shanghai", permissions: list[str] | None = None):
        # permissions named only when granted: an empty list makes the browser deny
        # what it would otherwise ask the user for
        granted = {"permissions": permissions} if permissions else {}
        self.context = chromium.new_context(locale="zh-CN", timezone_id=timezone,
                                            **granted, **DEVICES[device])
        self.page = self.context.new_page()
        self.url, self.folder, self.who, self.device = system["url"], folder, who, device
        self.refused: list[str] = []
        # what the policy blocked, and scripts that failed
        self.page.on("console", lambda message: self.refused.append(message.text)
                     if "Content Security Policy" in message.text else None)
        self.page.on("pageerror", lambda error: self.refused.append(str(error)))

    def sign_in(self, system: dict, username: str) -> None:
        login = next(login for login in system["logins"] if login["username"] == username)
        self.page.goto(self.url + "login")
        self.page.get_by_label("用户名").fill(login["username"])
        self.page.get_by_label("密码").fill(login["password"])
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.inner_text("main")

    def shot(self, what: str) -> None:
        assert not self.refused, f"{what}: the page reported errors: {self.refused}"
        self.page.screenshot(path=self.folder / f"{self.who}-{self.device}-{what}.png",
                             full_page=True)

    def close(self) -> None:
        self.context.close()


def rpc(system: dict):
    from nameko.standalone.rpc import ClusterRpcProxy

    return ClusterRpcProxy({"AMQP_URI": system["amqp_uri"]}, timeout=15)


def new_ticket(proxy, **changes) -> str:
    """A ticket taken by the demo agent; its number once dispatch holds it."""
    request = {"channel": "hotline", "kind": "help", "category": "street_light",
               "caller": {"name": "王阿姨", "phone": "13800000099"}, "merge": False,
               "description": f"国和小区路灯不亮 {uuid.uuid4().hex[:6]}",
               "address": {"district": "杨浦区", "subdistrict": "殷行街道",
                           "community": "国和居民区", "estate": "国和小区"},
               "external_id": f"browser-{uuid.uuid4().hex}", **changes}
    ticket = proxy.intake.create_ticket(request, demo.vouch(demo.DEMO_AGENT))
    demo.wait_for_status(proxy, ticket["ticket_no"])
    return ticket["ticket_no"]
