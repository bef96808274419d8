"""Searching tickets: the index each read-model row keeps from its events (phones as
dialled at home, names, jieba's words of the description), the query a search builds, and
the search RPC within what the reader may see."""
import datetime as dt
import json

import pytest
from ledger_events import CALLER, COMMITTEE, GRID, READER, said

from services.ledger import search
from services.ledger.store import SEARCH_INDEX
from services.shared import clock
from services.shared.errors import InvalidRequest, NotPermitted

FIRST, SECOND, THIRD = "YP20261123-0001", "YP20261123-0002", "YP20261124-0001"
LANDLINE = {"name": "李 建国", "phone": "+862988881234", "anonymous": False}
AGENT = {"id": "agent-1", "name": "话务员", "role": "agent", "unit_id": None,
         "district": "杨浦区"}
GRID_STAFF = {"id": "grid-1", "name": "网格员", "role": "unit_staff", "unit_id": GRID[0],
              "district": "杨浦区"}
COMMITTEE_STAFF = {"id": "kailu-1", "name": "居委干部", "role": "unit_staff",
                   "unit_id": COMMITTEE[0], "district": "杨浦区"}


@pytest.fixture
def three_tickets(deliver):
    deliver(
        said("ticket_created", FIRST, "2026-11-23T02:00:00Z", caller=LANDLINE,
             description="卫生间浴缸扶手松动，老人洗澡时差点摔倒", category="home_repair"),
        said("ticket_dispatched", FIRST, "2026-11-23T02:01:00Z"),
        said("ticket_resolved", FIRST, "2026-11-23T05:00:00Z"),
        said("ticket_closed", FIRST, "2026-11-23T09:00:00Z"),
        said("ticket_created", SECOND, "2026-11-23T03:00:00Z", description="楼道灯坏了"),
        said("ticket_dispatched", SECOND, "2026-11-23T03:01:00Z", unit=COMMITTEE),
        said("ticket_created", THIRD, "2026-11-24T01:00:00Z",
             address={"district": "虹口区", "subdistrict": "四川北路街道",
                      "community": None, "estate": None, "building": None, "room": None,
                      "detail": None}),
    )


def numbers(answer: dict) -> list[str]:
    return [ticket["ticket_no"] for ticket in answer["tickets"]]


@pytest.mark.parametrize("typed", ["029-8888-1234", "+86 29 8888 1234", "02988881234",
                                   "(029) 88881234"])
def test_a_landline_in_any_format_is_one_number(typed):
    assert search.phone_key(typed) == "02988881234"


def test_a_mobile_in_any_format_is_one_number():
    assert {search.phone_key(typed) for typed in
            ("+8613812345678", "138 1234 5678", "138-1234-5678", "13812345678")} == {
        "13812345678"}


def test_a_description_is_found_by_a_word_inside_a_longer_one():
    words = search.index_words("浴缸扶手松动")
    assert "扶手" in words and "浴缸" in words
    assert search.query_words("扶手") == ["扶手"]


def test_a_word_jiebas_search_mode_cuts_apart_in_context_is_found_too():
    # in context the search mode cuts 两处路灯不亮 as 路 / 灯不亮
    words = search.index_words("小区主道路有两处路灯不亮，晚上出行不便")
    for asked in ("路灯", "不亮", "路灯 不亮"):
        assert set(search.query_words(asked)) <= set(words), asked


def test_the_query_keeps_the_readers_scope_beside_its_conditions():
    scope = {"place.district": "杨浦区", "scope_units": "u"}
    query = search.search_query({"place": "殷行街道", "phone": "029-8888-1234",
                                 "states": ["closed"], "words": "扶手 摔倒"}, scope)
    assert query["$and"][0] == scope
    for clause in ({"search_phones": "02988881234"}, {"state": "closed"},
                   {"search_places": "殷行街道"}, {"search_words": "扶手"},
                   {"search_words": "摔倒"}):
        assert clause in query["$and"]
    assert search.search_query({"phone": "13812345678"}, scope) == {
        **scope, "search_phones": "13812345678"}


def test_a_closed_ticket_is_found_by_two_words_of_its_description(service, three_tickets):
    found = service.search(READER, {"words": "扶手 摔倒"})
    assert numbers(found) == [FIRST]
    assert found["total"] == 1
    ticket = found["tickets"][0]
    assert (ticket["state"], ticket["summary"]) == ("closed", "结案: 满意")
    assert ticket["description"].startswith("卫生间浴缸扶手")
    json.dumps(found)


def test_every_word_asked_must_be_there(service, three_tickets):
    assert numbers(service.search(READER, {"words": "扶手 路灯"})) == []


@pytest.mark.parametrize("typed", ["029-8888-1234", "+86 29 8888 1234", "02988881234"])
def test_found_by_the_callers_phone_in_any_format(service, three_tickets, typed):
    assert numbers(service.search(READER, {"phone": typed})) == [FIRST]


def test_found_by_mobile_name_place_category_unit_state_and_period(service, three_tickets):
    assert numbers(service.search(READER, {"phone": "138 1234 5678"})) == [THIRD, SECOND]
    assert numbers(service.search(READER, {"name": "李建国"})) == [FIRST]
    assert numbers(service.search(READER, {"place": "四川北路街道"})) == [THIRD]
    assert numbers(service.search(READER, {"categories": ["home_repair"]})) == [FIRST]
    assert numbers(service.search(READER, {"unit_ids": [COMMITTEE[0]]})) == [SECOND]
    assert numbers(service.search(READER, {"states": ["closed"]})) == [FIRST]
    assert numbers(service.search(READER, {"start": "2026-11-23T00:00:00Z",
                                           "end": "2026-11-24T00:00:00Z"})) == [SECOND, FIRST]
    assert numbers(service.search(READER, {"ticket_no": FIRST.lower()})) == [FIRST]


def test_sorted_and_paged_with_the_number_found(service, three_tickets):
    page = service.search(READER, {"sort": "oldest", "offset": 1, "limit": 1})
    assert (page["total"], numbers(page)) == (3, [SECOND])
    assert numbers(service.search(READER, {"sort": "number"})) == [FIRST, SECOND, THIRD]
    assert service.search(READER, {"limit": 0}) == {"total": 3, "total_exact": True,
                                                    "offset": 0, "limit": 0, "tickets": []}


def test_a_repeat_callers_phone_finds_the_ticket_their_call_was_merged_into(
        service, three_tickets, deliver):
    deliver(said("ticket_merged", SECOND, "2026-11-23T04:00:00Z",
                 caller={"name": "赵先生", "phone": "021-6543-2100", "anonymous": False}))
    assert numbers(service.search(READER, {"phone": "02165432100"})) == [SECOND]
    assert numbers(service.search(READER, {"name": "赵先生"})) == [SECOND]


def test_a_reader_finds_only_what_they_may_see_and_the_phone_masked(service, three_tickets):
    # the agent reads their district's tickets, but sees the phones only of calls they took
    found = service.search(AGENT, {"phone": "13812345678"})
    assert numbers(found) == [SECOND]  # THIRD is in another district
    assert found["tickets"][0]["caller"] == {"name": CALLER["name"], "phone": "138****5678",
                                             "anonymous": False}
    # a unit finds the tickets it handles, and no other
    assert numbers(service.search(COMMITTEE_STAFF, {})) == [SECOND]
    assert numbers(service.search(GRID_STAFF, {"words": "楼道灯"})) == []
    assert service.search(COMMITTEE_STAFF, {})["tickets"][0]["caller"]["phone"] == \
        CALLER["phone"]


@pytest.mark.parametrize("query", [
    {"sort": "sideways"}, {"states": ["lost"]}, {"phone": "no digits"}, {"limit": 201},
    {"offset": -1}, {"start": "2026-11-24T00:00:00Z", "end": "2026-11-23T00:00:00Z"},
    {"colour": "red"}, {"categories": ["weather"]},
])
def test_bad_questions_are_refused(service, three_tickets, query):
    with pytest.raises(InvalidRequest):
        service.search(READER, query)


def test_a_role_reading_no_tickets_is_refused(service):
    with pytest.raises(NotPermitted):
        service.search({"id": "w", "name": "回访", "role": "callback_worker", "unit_id": None,
                        "district": None}, {})


def test_rows_recorded_before_the_index_are_indexed_at_start_once(service, store,
                                                                  three_tickets):
    store.tickets.update_many({}, {"$unset": {field: "" for field in
                                              (*search.SEARCH_FIELDS, search.INDEXED)}})
    store.meta.delete_one({"_id": SEARCH_INDEX})
    assert numbers(service.search(READER, {"words": "扶手"})) == []

    store.ensure_indexes()  # as at the ledger's start

    assert numbers(service.search(READER, {"words": "扶手"})) == [FIRST]
    assert numbers(service.search(READER, {"phone": "029-8888-1234"})) == [FIRST]
    assert store.index_unindexed() == 0  # done once


def test_the_call_centres_software_finds_only_the_calls_it_took(service, three_tickets,
                                                                deliver):
    program = {"id": "cc.system", "name": "话务系统", "role": "call_centre", "unit_id": None,
               "district": None}
    deliver(said("ticket_created", "YP20261125-0001", "2026-11-25T01:00:00Z", actor=program))
    found = service.search(program, {})
    assert numbers(found) == ["YP20261125-0001"]
    assert found["tickets"][0]["caller"]["phone"] == CALLER["phone"]


def test_newest_first_across_years_with_tickets_not_yet_received_last(service, three_tickets,
                                                                      deliver):
    deliver(said("ticket_created", "YP20100105-0001", "2010-01-05T01:00:00Z"),
            said("ticket_dispatched", "YP20261126-0009", "2026-11-26T01:00:00Z"))
    assert numbers(service.search(READER, {})) == [THIRD, SECOND, FIRST, "YP20100105-0001",
                                                   "YP20261126-0009"]
    assert numbers(service.search(READER, {"offset": 3, "limit": 1})) == ["YP20100105-0001"]


def test_more_than_are_counted_is_said(service, three_tickets, monkeypatch):
    monkeypatch.setattr(search, "COUNTED", 2)
    found = service.search(READER, {"limit": 1})
    assert (found["total"], found["total_exact"], numbers(found)) == (2, False, [THIRD])


def test_an_assisting_unit_finds_the_ticket_it_assists(service, three_tickets, deliver):
    deliver(said("assist_added", SECOND, "2026-11-23T05:00:00Z", unit=GRID))
    assert numbers(service.search(GRID_STAFF, {})) == [SECOND, FIRST]


def test_a_period_long_ago_is_read_from_its_own_windows(service, three_tickets, deliver):
    deliver(said("ticket_created", "YP20250105-0001", "2025-01-05T01:00:00Z"))
    found = service.search(READER, {"start": "2025-01-01T00:00:00Z",
                                    "end": "2025-02-01T00:00:00Z"})
    assert numbers(found) == ["YP20250105-0001"]
    now = clock.parse_iso("2026-12-06T02:30:00Z")
    windows = search.windows(now)
    newest, oldest = windows[0], windows[-1]
    assert search.overlaps(newest, now - dt.timedelta(minutes=5), None)
    assert not search.overlaps(newest, None, now - dt.timedelta(days=3))
    assert search.overlaps(oldest, None, now - dt.timedelta(days=3000))
    # together the windows leave no hour out
    spans = sorted((lower, upper) for lower, upper, _ in windows[:-1])
    assert spans[0][0] == windows[-2][0]
    assert all(earlier[1] >= later[0] for earlier, later in zip(spans, spans[1:], strict=False))
    assert spans[-1][1] > now
    # a period reads only its own hours and days
    month = search.windows(now, now - dt.timedelta(days=90), now - dt.timedelta(days=60))
    assert sum(len(window[2]["received_day"]["$in"]) for window in month) == 31  # 30 days
    recent = search.windows(now, now - dt.timedelta(hours=3), None)
    assert [window[2]["received_hour"]["$in"] for window in recent][0] == [
        "2026-12-06T03", "2026-12-06T02"]
