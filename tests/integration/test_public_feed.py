"""The public Open311 feed (GET requests.json, no key) on the seed stories, through the
console and the services over RabbitMQ: the register's welfare check is listed without
its description and without names, an anonymous caller's ticket without description, a
published description has its phone, ID number and names redacted, and nothing of a
caller's name or phone is anywhere in the feed. Health notes stay in the register: no
other service stores them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from integration_support import (
    CALL_CENTRE,
    CALLBACK_WORKER,
    CHECKINS_MISSED_AT_ONCE,
    SERVICES,
    eventually,
)

from services.callback.dialers import ScriptedDialer
from services.callback.worker import CallbackWorker
from services.shared import clock, storage

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo"
ADMIN = {"id": "admin-1", "name": "管理员", "role": "admin", "unit_id": None}
NEVER_ANSWERS = "13800000009"  # 吴大娘 of the seed register: her check-ins are missed
ID_NUMBER = "11010519491231002X"
HOME = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
        "estate": "国和小区", "building": "3号", "room": "402"}


@pytest.fixture
def settings(settings):
    settings["CHECKINS"] = dict(CHECKINS_MISSED_AT_ONCE)
    return settings


@pytest.fixture
def feed(system):
    """The console's Open311 routes, as anyone on the internet reads them (no key)."""
    from services.console.app import create_app
    from services.console.settings import Settings

    app = create_app(Settings(amqp_uri=system["AMQP_URI"], secret_key="test-secret",
                              testing=True))
    yield app.test_client()
    app.extensions["hotline_services"].close()


def seed_register(rpc) -> list[dict]:
    """The seed register (deploy/demo/register.yml), 吴大娘 to be phoned this minute and
    nobody else on a plan, so that only her check-in is due."""
    residents = yaml.safe_load((DEMO / "register.yml").read_text(encoding="utf-8"))
    for resident in residents:
        resident.pop("demo_first_checkin_in_minutes", None)
        if resident["phones"][0] == NEVER_ANSWERS:
            resident["checkin_plan"] = {"days": [1, 2, 3, 4, 5, 6, 7],
                                        "times": [f"{clock.local(clock.now()):%H:%M}"]}
        else:
            resident.pop("checkin_plan", None)
        rpc.register.add_resident(resident, ADMIN)
    return residents


def public(feed) -> list[dict]:
    answer = feed.get("/open311/v2/requests.json")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_public_feed_tells_nothing_personal(rpc, feed, system):
    residents = seed_register(rpc)
    stories = yaml.safe_load((DEMO / "stories.yml").read_text(encoding="utf-8"))
    told = {story["external_id"]: rpc.intake.create_ticket(
        {**story["request"], "external_id": story["external_id"]}, CALL_CENTRE)["ticket_no"]
        for story in stories}
    anonymous = rpc.intake.create_ticket({
        "channel": "hotline", "caller": {"anonymous": True}, "kind": "complaint",
        "category": "sanitation", "description": "国和小区3号楼前垃圾三天没人清运",
        "address": {k: v for k, v in HOME.items() if k != "room"}}, CALL_CENTRE)["ticket_no"]
    named = rpc.intake.create_ticket({
        "channel": "hotline", "caller": {"name": "钱小红", "phone": "13912340000"},
        "kind": "help", "category": "street_light", "address": HOME,
        "description": f"钱小红反映3号楼前路灯不亮，儿子李明晚上回家看不见路，"
                       f"回电13912340000，身份证{ID_NUMBER}"}, CALL_CENTRE)["ticket_no"]

    # 吴大娘 does not answer her check-in, three times: the register's welfare check
    worker = CallbackWorker(rpc.callback, ScriptedDialer(
        yaml.safe_load((DEMO / "dialer.yml").read_text(encoding="utf-8"))), "dialer-test",
                            lambda: CALLBACK_WORKER)

    def welfare_listed():
        worker.work_once()
        return [item for item in public(feed)  # once dispatch has sent it to her grid
                if item["service_code"] == "welfare_check" and item["agency_responsible"]]
    [welfare] = eventually(welfare_listed)
    wanted = set(told.values()) | {anonymous, named, welfare["service_request_id"]}

    def all_listed():
        items = public(feed)
        return items if wanted <= {item["service_request_id"] for item in items} else None
    listed = {item["service_request_id"]: item for item in eventually(all_listed)}

    # the welfare check: there, urgent work for the grid, but no description and no name
    assert welfare["description"] is None
    assert welfare["address"] == "杨浦区 殷行街道 开鲁新村"
    assert welfare["agency_responsible"] == "殷行街道第一网格工作站"
    [alone] = feed.get(f"/open311/v2/requests/{welfare['service_request_id']}.json").get_json()
    assert alone == listed[welfare["service_request_id"]]
    # the anonymous caller's: no description
    assert listed[anonymous]["description"] is None
    # a description published: phone, ID number and names redacted
    assert listed[named]["description"] == \
        "[姓名]反映3号楼前路灯不亮，儿子[姓名]晚上回家看不见路，回电[电话]，身份证[身份证号]"
    # a story's complaint, published as told
    assert listed[told["demo-street-lamps"]]["description"] == \
        "小区主道路有两处路灯不亮，夜间老人出行不便"
    # the grab bar's caller is in the register: his call is not described
    assert listed[told["demo-grab-bar"]]["description"] is None

    # nothing of a caller, a resident or their contacts anywhere in the feed
    text = json.dumps(list(listed.values()), ensure_ascii=False)
    callers = [story["request"]["caller"] for story in stories] + [
        {"name": "钱小红", "phone": "13912340000"}]
    people = [resident["name"] for resident in residents] + [
        contact["name"] for resident in residents
        for contact in resident.get("emergency_contacts") or []]
    for name in [caller["name"] for caller in callers] + people + ["李明"]:
        assert name not in text, name
    for phone in [caller["phone"] for caller in callers] + [NEVER_ANSWERS, "13900000002"]:
        assert phone[-8:] not in text, phone
    assert "3次未接通" not in text and ID_NUMBER not in text
    # no room, building or estate: no place below the community
    assert {item["address"] for item in listed.values()} <= {
        " ".join(filter(None, (story["request"]["address"].get(level) for level in
                               ("district", "subdistrict", "community"))))
        for story in stories} | {"杨浦区 殷行街道 国和居民区", "杨浦区 殷行街道 开鲁新村"}

    # health notes stay in the register: intake, dispatch, callback and the ledger keep none
    # (腿脚不便 is a note of 龚新民's and words of his own call too: that one is not looked for)
    notes = [resident["health_notes"] for resident in residents
             if resident.get("health_notes") and not any(
                 resident["health_notes"] in story["request"]["description"]
                 for story in stories)]
    assert len(notes) >= 4
    for service in SERVICES:
        if service.name == "register":
            continue
        database = storage.connect(system["MONGO_URI"],
                                   storage.database_name(system, service.name))
        for collection in database.list_collection_names():
            kept = str(list(database[collection].find()))
            assert "health_notes" not in kept, (service.name, collection)
            for note in notes:
                assert note not in kept, (service.name, collection, note)
