"""Repeat calls (重复件) merged into the open ticket, and the duplicate index that dispatch's
closed and reopened events keep."""
import datetime as dt

import pytest
from intake_support import CALL_CENTRE, KAILU_12, closed, lamp_request, published, reopened

from services.shared import clock
from services.shared.errors import InvalidRequest
from services.shared.schemas import SYSTEM_ACTOR

NEIGHBOUR = {"name": "周阿姨", "phone": "13900000077"}
GUOHE = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
         "estate": "国和小区"}
LAMPS = "小区主道路有两处路灯不亮，夜间老人出行不便"


def event_types(service) -> list[str]:
    return [event_type for event_type, _ in published(service)]


def test_a_repeat_makes_no_new_ticket_and_the_caller_gets_the_first_number(service, store):
    agent = {"id": "a-9", "name": "话务员小李", "role": "agent", "unit_id": None}
    first = service.create_ticket(lamp_request(address=GUOHE, description=LAMPS), CALL_CENTRE)
    neighbour = service.create_ticket(lamp_request(
        caller=NEIGHBOUR, address=GUOHE, channel="wechat", external_id="wx-88",
        description="国和小区里面主干道上的两盏路灯坏了，晚上黑漆漆的，老人走路不方便"), agent)

    assert neighbour["ticket_no"] == first["ticket_no"]
    assert neighbour["calls"] == 2 and first["calls"] == 1
    assert (neighbour["merged"], first["merged"]) == (True, False)
    # the answer is the first ticket as received: its caller, words and time
    assert {**neighbour, "calls": 1, "merged": False} == first
    assert store.tickets.count_documents({}) == 1
    assert service.get_ticket(first["ticket_no"], SYSTEM_ACTOR)["calls"] == 2

    assert event_types(service) == ["ticket_created", "ticket_merged"]
    _, merged = published(service)[1]
    assert merged["ticket_no"] == first["ticket_no"] and merged["actor"] == agent
    assert merged["data"]["match"] == "same_place"
    assert merged["data"]["similarity"] >= 75
    assert merged["data"]["calls"] == 2
    assert merged["data"]["caller"]["phone"] == "+8613900000077"
    assert (merged["data"]["channel"], merged["data"]["external_id"]) == ("wechat", "wx-88")

    [stored] = store.tickets.find()
    [repeat] = stored["repeats"]
    assert repeat["description"].startswith("国和小区里面") and repeat["match"] == "same_place"
    assert clock.as_utc(repeat["received_at"]) >= clock.parse_iso(first["received_at"])
    assert stored["outbox"] == []  # published


def test_seed_000_repeated_word_for_word_by_the_same_caller_counts_each_call(service, store):
    grab_bar = ("某市民通过杨浦区“12345”市民服务热线来电反映其最近购买了浴缸扶手,由于物业没有合适"
                "的打孔工具,无法协助安装,希望有关部门能够帮助解决该问题。")
    answers = [service.create_ticket(lamp_request(category="home_repair", description=grab_bar,
                                                  address={**KAILU_12, "room": "302"}), CALL_CENTRE)
               for _ in range(3)]

    assert {answer["ticket_no"] for answer in answers} == {answers[0]["ticket_no"]}
    assert [answer["calls"] for answer in answers] == [1, 2, 3]
    merged = [event for event_type, event in published(service) if event_type == "ticket_merged"]
    assert [(e["data"]["match"], e["data"]["similarity"], e["data"]["calls"]) for e in merged] \
        == [("same_caller", 100.0, 2), ("same_caller", 100.0, 3)]
    assert store.tickets.count_documents({}) == 1


def test_a_merged_call_retried_with_its_id_counts_once(service, store):
    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    merged = service.create_ticket(lamp_request(external_id="cc-2"), CALL_CENTRE)
    again = service.create_ticket(lamp_request(external_id="cc-2", description="再次来电"),
                                  CALL_CENTRE)

    assert again == merged and again["ticket_no"] == first["ticket_no"]
    assert again["calls"] == 2
    assert event_types(service) == ["ticket_created", "ticket_merged"]
    assert len(store.get(first["ticket_no"])["repeats"]) == 1


def test_the_agent_may_keep_a_call_apart(service, store):
    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    apart = service.create_ticket(lamp_request(merge=False), CALL_CENTRE)

    assert apart["ticket_no"] != first["ticket_no"] and apart["calls"] == 1
    assert event_types(service) == ["ticket_created", "ticket_created"]


def test_merge_must_be_a_yes_or_no(service, store):
    with pytest.raises(InvalidRequest) as refused:
        service.create_ticket(lamp_request(merge="perhaps"), CALL_CENTRE)
    assert "merge" in refused.value.errors


def test_another_buildings_lamp_or_another_matter_is_a_ticket_of_its_own(service, store):
    first = service.create_ticket(lamp_request(description="楼道里的灯不亮，晚上上下楼看不见"),
                                  CALL_CENTRE)
    other_building = service.create_ticket(lamp_request(
        caller=NEIGHBOUR, address={**KAILU_12, "building": "15号楼"},
        description="楼道里的灯不亮，晚上上下楼看不见"), CALL_CENTRE)
    other_matter = service.create_ticket(
        lamp_request(description="小区里的路灯太亮了，照进卧室影响睡觉"), CALL_CENTRE)

    numbers = {first["ticket_no"], other_building["ticket_no"], other_matter["ticket_no"]}
    assert len(numbers) == 3
    assert event_types(service) == ["ticket_created"] * 3


def test_an_answered_consultation_neither_takes_nor_makes_repeats(service, store):
    consult = dict(kind="consult", category="elevator", description="加装电梯需要多少业主同意")
    answered = service.create_ticket(lamp_request(**consult, answer="需三分之二以上业主同意"),
                                     CALL_CENTRE)
    asked_again = service.create_ticket(lamp_request(**consult), CALL_CENTRE)
    answered_again = service.create_ticket(lamp_request(**consult, answer="需三分之二以上业主同意"),
                                           CALL_CENTRE)

    assert len({answered["ticket_no"], asked_again["ticket_no"],
                answered_again["ticket_no"]}) == 3
    assert "ticket_merged" not in event_types(service)


def test_a_ticket_received_before_the_window_takes_no_repeat(service, store):
    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    store.tickets.update_one({"_id": first["ticket_no"]},
                             {"$set": {"received_at": clock.now() - dt.timedelta(days=8)}})
    assert service.create_ticket(lamp_request(), CALL_CENTRE)["ticket_no"] != first["ticket_no"]


# The duplicate index, kept by dispatch's events
def test_a_closed_ticket_takes_no_repeat_and_a_reopened_one_does_again(service, store):
    first = service.create_ticket(lamp_request(), CALL_CENTRE)["ticket_no"]

    service.on_ticket_closed(closed(first))
    new = service.create_ticket(lamp_request(), CALL_CENTRE)
    assert new["ticket_no"] != first and new["calls"] == 1

    service.on_ticket_closed(closed(new["ticket_no"]))
    service.on_ticket_reopened(reopened(first))
    assert service.create_ticket(lamp_request(), CALL_CENTRE)["ticket_no"] == first


def test_closed_and_reopened_apply_once_and_the_latest_wins(service, store):
    first = service.create_ticket(lamp_request(), CALL_CENTRE)["ticket_no"]
    close = closed(first, "2026-11-23T05:00:00.000Z")
    reopen = reopened(first, "2026-11-23T04:00:00.000Z")

    service.on_ticket_closed(close)
    service.on_ticket_reopened(reopen)  # older than the close: it came late, off its queue
    service.on_ticket_closed(close)     # redelivered
    assert store.get(first)["candidate"] is False
    assert store.get(first)["applied_events"] == [close["event_id"]]

    service.on_ticket_reopened(reopened(first, "2026-11-23T06:00:00.000Z"))
    assert store.get(first)["candidate"] is True


def test_events_about_tickets_intake_never_took_change_nothing(service, store):
    service.on_ticket_closed(closed("YP20000101-0001"))
    service.on_ticket_reopened({**reopened("x"), "ticket_no": None})
    assert store.tickets.count_documents({}) == 0


def test_candidates_kept_in_memory_still_count_calls_and_closures_as_stored(service, store):
    # What never changes of a ticket is kept in memory after the first call compares it;
    # its calls and whether it is still open are read from the store every time.
    first = service.create_ticket(lamp_request(address=GUOHE, description=LAMPS), CALL_CENTRE)
    assert service.create_ticket(lamp_request(
        caller=NEIGHBOUR, address=GUOHE, description=LAMPS), CALL_CENTRE)["calls"] == 2
    assert service.create_ticket(lamp_request(
        caller={"name": "钱先生", "phone": "13900000088"}, address=GUOHE,
        description=LAMPS), CALL_CENTRE)["calls"] == 3
    service.on_ticket_closed(closed(first["ticket_no"]))
    later = service.create_ticket(lamp_request(
        caller={"name": "孙女士", "phone": "13900000099"}, address=GUOHE, description=LAMPS),
                                  CALL_CENTRE)
    assert later["ticket_no"] != first["ticket_no"] and later["calls"] == 1
    assert service.get_ticket(first["ticket_no"], SYSTEM_ACTOR)["calls"] == 3
