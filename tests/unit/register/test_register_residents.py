"""The register of vulnerable residents (台账): adding, changing and retiring residents with
their history and events, who may read and change whom, ages and birthdays, finding, and
pausing check-ins."""
import datetime as dt
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from services.register import residents
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.outbox import publish_pending

ADMIN = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
GRID = {"id": "zhou", "name": "网格员 周伟", "role": "unit_staff", "unit_id": "yinhang-grid-1"}
GRID_2 = {"id": "li", "name": "网格员 李琳", "role": "unit_staff", "unit_id": "yinhang-grid-1"}
PROPERTY = {"id": "wang", "name": "凯晨物业 王丽", "role": "unit_staff",
            "unit_id": "kaichen-property"}
AGENT = {"id": "agent", "name": "话务员 李琳", "role": "agent", "unit_id": None}
SUPERVISOR = {"id": "chen", "name": "督办员 陈刚", "role": "supervisor", "unit_id": "centre"}
KAILU_12_302 = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
                "estate": "开鲁新村", "building": "12号", "room": "302"}
HUAHE = {"district": "普陀区", "subdistrict": "桃浦镇", "community": "华和民祥园居民区",
         "estate": "华和民祥园", "building": "1号楼", "room": "101"}


def zhang(**changes) -> dict:
    """孤老张老伯 of deploy/demo/stories.yml, as a grid worker would enter him."""
    resident = {
        "name": "孤老张老伯", "phones": ["138-0000-0001"], "address": dict(KAILU_12_302),
        "birth_date": "1941-11-26", "living_status": "alone",
        "groups": ["childless", "low_income"], "health_notes": "高血压，腿脚不便",
        "hobbies": "听评弹",
        "emergency_contacts": [{"name": "张小明", "relation": "侄子", "phone": "13900000001"}],
        "grid_unit_id": "yinhang-grid-1", "grid_worker": "周伟",
        "checkin_plan": {"days": [1, 2, 3, 4, 5, 6, 7], "times": ["15:00", "10:00"]},
        "consent_notes": "本人同意登记",
    }
    resident.update(changes)
    return resident


def years_ago(years: int, days: int = 0) -> str:
    """A birth date making someone ``years`` old today (Shanghai), ``days`` past birthday."""
    today = residents.today(clock.now()) - dt.timedelta(days=days)
    return today.replace(year=today.year - years).isoformat() if (today.month, today.day) \
        != (2, 29) else dt.date(today.year - years, 2, 28).isoformat()


def register_events(service) -> list[dict]:
    return [call.args[1] for call in service.publisher.call_args_list
            if call.args[0] == "register_changed"]


def test_a_resident_added_has_phones_in_e164_a_history_and_an_event(service, store):
    card = service.add_resident(zhang(phones=["138-0000-0001", "021 6543 2100"]), GRID)

    assert card["phones"] == ["+8613800000001", "+862165432100"]
    assert card["emergency_contacts"][0]["phone"] == "+8613900000001"
    assert card["checkin_plan"] == {"days": [1, 2, 3, 4, 5, 6, 7], "times": ["10:00", "15:00"],
                                    "paused": False, "paused_until": None}
    assert card["groups"] == ["low_income", "childless"]  # the register's order
    assert card["version"] == 1
    [added] = card["history"]
    assert (added["action"], added["actor"]["id"], added["version"]) == ("added", "zhou", 1)
    assert added["changes"]["name"] == {"from": None, "to": "孤老张老伯"}
    [event] = register_events(service)
    assert event["source"] == "register" and event["actor"]["id"] == "zhou"
    assert event["data"]["change"] == "added" and event["data"]["version"] == 1
    assert event["data"]["resident"]["resident_id"] == card["resident_id"]
    assert event["data"]["resident"]["phones"] == card["phones"]
    stored = store.residents.find_one({"_id": card["resident_id"]})
    assert stored["outbox"] == []  # published, then taken off
    assert "age" not in stored      # derived when read, never stored


def test_health_notes_stay_in_the_register_no_change_says_them(service):
    card = service.add_resident(zhang(), GRID)
    service.change_resident(card["resident_id"], {"health_notes": "糖尿病，需按时服药"}, GRID,
                            version=1)
    service.retire_resident(card["resident_id"], GRID, "已入住养老院")

    said = register_events(service)
    assert [event["data"]["change"] for event in said] == ["added", "changed", "retired"]
    assert all("health_notes" not in event["data"]["resident"] for event in said)
    assert "高血压" not in str(said) and "糖尿病" not in str(said)
    # the register itself keeps them, for those who may read the card
    assert service.get_resident(card["resident_id"], GRID)["health_notes"] == "糖尿病，需按时服药"


def test_a_bad_phone_is_refused_and_nothing_is_stored(service, store):
    with pytest.raises(InvalidRequest) as refused:
        service.add_resident(zhang(phones=["1380000"]), ADMIN)

    assert "phones" in refused.value.errors
    assert store.residents.count_documents({}) == 0
    assert register_events(service) == []


def test_a_resident_needs_a_name_and_a_district(service):
    with pytest.raises(InvalidRequest) as refused:
        service.add_resident(zhang(name="  ", address={"estate": "开鲁新村"}), ADMIN)

    assert set(refused.value.errors) == {"name", "address"}


def test_the_same_person_is_not_added_twice(service):
    first = service.add_resident(zhang(), ADMIN)

    with pytest.raises(IllegalTransition, match=first["resident_id"]):
        service.add_resident(zhang(phones=["13800000001"], address={"district": "杨浦区"}), GRID)
    with pytest.raises(IllegalTransition):  # same name, same room, another phone
        service.add_resident(zhang(phones=["13700000007"]), GRID)
    # the same name in another building is somebody else
    other = service.add_resident(zhang(phones=[], address={**KAILU_12_302, "building": "15号"}),
                                 GRID)
    assert other["resident_id"] != first["resident_id"]


def test_a_change_keeps_the_old_and_new_values_with_who_made_it(service):
    card = service.add_resident(zhang(), GRID)

    changed = service.change_resident(card["resident_id"],
                                      {"living_status": "with_family", "hobbies": ""}, GRID_2,
                                      version=1)

    assert changed["living_status"] == "with_family" and changed["hobbies"] is None
    assert changed["version"] == 2
    entry = changed["history"][-1]
    assert entry["action"] == "changed" and entry["actor"]["id"] == "li"
    assert entry["changes"] == {"living_status": {"from": "alone", "to": "with_family"},
                                "hobbies": {"from": "听评弹", "to": None}}
    event = register_events(service)[-1]
    assert (event["data"]["change"], event["data"]["version"]) == ("changed", 2)
    assert event["data"]["resident"]["living_status"] == "with_family"


def test_a_stale_edit_is_refused_and_changes_nothing(service):
    card = service.add_resident(zhang(), GRID)
    service.change_resident(card["resident_id"], {"grid_worker": "李琳"}, GRID_2, version=1)

    with pytest.raises(IllegalTransition, match="version 1"):
        service.change_resident(card["resident_id"], {"living_status": "empty_nest"}, GRID,
                                version=1)

    now = service.get_resident(card["resident_id"], ADMIN)
    assert (now["living_status"], now["grid_worker"], now["version"]) == ("alone", "李琳", 2)
    assert len(register_events(service)) == 2


def test_a_change_needs_the_version_read_and_something_to_change(service):
    card = service.add_resident(zhang(), GRID)

    with pytest.raises(InvalidRequest) as no_version:
        service.change_resident(card["resident_id"], {"hobbies": "下棋"}, GRID)
    with pytest.raises(InvalidRequest) as nothing:
        service.change_resident(card["resident_id"], {}, GRID, version=1)
    with pytest.raises(NotFound):
        service.change_resident("R0000000000", {"hobbies": "下棋"}, GRID, version=1)

    assert "version" in no_version.value.errors and "changes" in nothing.value.errors


def test_changing_nothing_says_nothing(service):
    card = service.add_resident(zhang(), GRID)

    same = service.change_resident(card["resident_id"],
                                   {"phones": ["13800000001"], "living_status": "alone"}, GRID,
                                   version=1)

    assert same["version"] == 1 and len(same["history"]) == 1
    assert len(register_events(service)) == 1


def test_a_retired_resident_stays_in_the_record(service):
    card = service.add_resident(zhang(), GRID)

    retired = service.retire_resident(card["resident_id"], GRID, "已入住养老院")

    assert retired["retired"] and retired["retired_reason"] == "已入住养老院"
    assert [entry["action"] for entry in retired["history"]] == ["added", "retired"]
    assert register_events(service)[-1]["data"]["change"] == "retired"
    assert service.find_residents(GRID) == []
    assert [row["resident_id"] for row in service.find_residents(GRID, include_retired=True)] \
        == [card["resident_id"]]
    assert service.get_resident(card["resident_id"], GRID)["name"] == "孤老张老伯"
    with pytest.raises(IllegalTransition):
        service.retire_resident(card["resident_id"], GRID, "again")
    with pytest.raises(IllegalTransition):
        service.change_resident(card["resident_id"], {"hobbies": "下棋"}, GRID, version=2)
    with pytest.raises(InvalidRequest):
        service.retire_resident(card["resident_id"], ADMIN)  # a reason is required


# --- who may ---------------------------------------------------------------------------


def test_staff_of_another_unit_neither_read_nor_change_a_resident(service):
    card = service.add_resident(zhang(), GRID)

    with pytest.raises(NotPermitted):
        service.get_resident(card["resident_id"], PROPERTY)
    with pytest.raises(NotPermitted):
        service.change_resident(card["resident_id"], {"hobbies": "下棋"}, PROPERTY, version=1)
    with pytest.raises(NotPermitted):
        service.retire_resident(card["resident_id"], PROPERTY, "搬走了")
    with pytest.raises(NotPermitted):
        service.find_residents(PROPERTY, grid_unit_id="yinhang-grid-1")
    assert service.find_residents(PROPERTY) == []  # their own unit's register: empty
    assert service.get_resident(card["resident_id"], ADMIN)["version"] == 1


def test_unit_staff_keep_their_own_units_register(service):
    card = service.add_resident(zhang(grid_unit_id=None), GRID)
    assert card["grid_unit_id"] == "yinhang-grid-1"  # theirs when left out

    with pytest.raises(NotPermitted):
        service.add_resident(zhang(name="李阿婆", grid_unit_id="kaichen-property"), GRID)
    with pytest.raises(NotPermitted):  # only an admin hands a resident to another unit
        service.change_resident(card["resident_id"], {"grid_unit_id": "kaichen-property"},
                                GRID, version=1)
    moved = service.change_resident(card["resident_id"], {"grid_unit_id": "kailu-committee"},
                                    ADMIN, version=1)
    assert moved["grid_unit_id"] == "kailu-committee"


def test_the_centre_reads_but_does_not_change(service):
    card = service.add_resident(zhang(), GRID)

    assert service.get_resident(card["resident_id"], SUPERVISOR)["name"] == "孤老张老伯"
    assert len(service.find_residents(SUPERVISOR, place="杨浦区/殷行街道")) == 1
    with pytest.raises(NotPermitted):
        service.change_resident(card["resident_id"], {"hobbies": "下棋"}, SUPERVISOR, version=1)
    with pytest.raises(NotPermitted):
        service.add_resident(zhang(name="李阿婆"), SUPERVISOR)


def test_an_agent_finds_a_caller_by_phone_only_and_the_look_up_is_recorded(service):
    card = service.add_resident(zhang(), GRID)

    [found] = service.find_residents(AGENT, phone="+86 138 0000 0001")

    assert (found["name"], found["age"], found["living_status"]) == \
        ("孤老张老伯", card["age"], "alone")
    assert "emergency_contacts" not in found and "health_notes" not in found
    with pytest.raises(NotPermitted):
        service.find_residents(AGENT, place="杨浦区")
    with pytest.raises(NotPermitted):
        service.find_residents(AGENT)
    with pytest.raises(NotPermitted):
        service.get_resident(card["resident_id"], AGENT)
    views = service.get_resident(card["resident_id"], ADMIN)["views"]
    assert [(view["actor"]["id"], view["via"]) for view in views] == \
        [("admin", "card"), ("agent", "phone_lookup")]


def test_every_read_of_a_card_is_recorded(service):
    card = service.add_resident(zhang(), GRID)

    service.get_resident(card["resident_id"], GRID)
    service.get_resident(card["resident_id"], GRID_2)
    read = service.get_resident(card["resident_id"], SUPERVISOR)

    assert read["view_count"] == 3
    assert [view["actor"]["id"] for view in read["views"]] == ["chen", "li", "zhou"]
    assert all(view["via"] == "card" and view["at"] for view in read["views"])
    assert len(register_events(service)) == 1  # reading says nothing


def test_reads_of_a_card_are_kept_apart_so_the_residents_record_does_not_grow(service, store):
    card = service.add_resident(zhang(), GRID)
    resident_id = card["resident_id"]
    before = len(repr(store.residents.find_one({"_id": resident_id})))

    for _ in range(residents.CARD_VIEWS_SHOWN + 5):
        service.get_resident(resident_id, GRID_2)
    read = service.get_resident(resident_id, SUPERVISOR)

    assert len(repr(store.residents.find_one({"_id": resident_id}))) == before
    assert read["view_count"] == residents.CARD_VIEWS_SHOWN + 6
    assert len(read["views"]) == residents.CARD_VIEWS_SHOWN
    assert read["views"][0]["actor"]["id"] == "chen"  # the newest first


def test_reads_kept_in_the_residents_record_before_still_count(service, store):
    card = service.add_resident(zhang(), GRID)
    earlier = residents.view(GRID_2, clock.now(), "card")
    store.residents.update_one({"_id": card["resident_id"]},
                                        {"$set": {"views": [earlier]}})

    read = service.get_resident(card["resident_id"], SUPERVISOR)

    assert read["view_count"] == 2
    assert [view["actor"]["id"] for view in read["views"]] == ["chen", "li"]


# --- ages, birthdays, finding ----------------------------------------------------------


def test_age_and_birthday_are_worked_out_from_the_birth_date():
    assert residents.age_on("1927-03-05", dt.date(2026, 3, 4)) == 98
    assert residents.age_on("1927-03-05", dt.date(2026, 3, 5)) == 99
    assert residents.age_on(None, dt.date(2026, 3, 5)) is None
    assert residents.birthday_in("1928-02-29", 2026) == dt.date(2026, 2, 28)
    assert residents.birthday_in("1928-02-29", 2028) == dt.date(2028, 2, 29)
    people = [{"name": "甲", "birth_date": "1940-12-30"},
              {"name": "乙", "birth_date": "1950-01-02"},
              {"name": "丙", "birth_date": "1950-01-09"}, {"name": "丁", "birth_date": None}]
    week = residents.birthdays_between(people, dt.date(2026, 12, 28), 7)  # across new year
    assert [(found["resident"]["name"], found["date"], found["turns"]) for found in week] == \
        [("甲", "2026-12-30", 86), ("乙", "2027-01-02", 77)]


def test_the_card_shows_the_age_today(service):
    card = service.add_resident(zhang(birth_date=years_ago(99)), ADMIN)
    younger = service.add_resident(zhang(name="李阿婆", birth_date=years_ago(100, days=-1)),
                                   ADMIN)

    assert card["age"] == 99 and card["birthday"] == card["birth_date"][5:]
    assert younger["age"] == 99  # turns 100 tomorrow
    with pytest.raises(InvalidRequest):
        service.add_resident(zhang(name="未来", birth_date="2999-01-01"), ADMIN)


def test_a_birth_known_to_the_month_or_year_counts_from_its_first_day_and_has_no_birthday():
    day = dt.date(2026, 5, 1)
    assert residents.age_on("1946-05", day) == 80        # as if born 1946-05-01
    assert residents.age_on("1946-06", day) == 79
    assert residents.age_on("1946", day) == 80           # as if born 1946-01-01
    assert residents.age_on("1946", dt.date(2026, 12, 31)) == 80
    assert residents.birthday_in("1946-05", 2026) is None
    people = [{"name": "甲", "birth_date": "1946-05"}, {"name": "乙", "birth_date": "1946"},
              {"name": "丙", "birth_date": "1946-05-03"}]
    assert [found["resident"]["name"] for found in
            residents.birthdays_between(people, dt.date(2026, 1, 1), 366)] == ["丙"]
    # as stored text, "born on or before" agrees with those ages
    assert "1946-05" <= residents.latest_birth_date(80, day) < "1946-06"
    assert "1946" <= residents.latest_birth_date(80, dt.date(2026, 1, 1))


def test_a_card_keeps_a_birth_month_or_year_and_says_no_birthday(service):
    today = residents.today(clock.now())
    month = service.add_resident(zhang(birth_date=f"{today.year - 80}-{today.month:02d}"),
                                 ADMIN)
    year = service.add_resident(zhang(name="李阿公", phones=["13800000009"],
                                      birth_date=str(today.year - 80)), ADMIN)

    assert (month["birth_date"], month["age"], month["birthday"]) == \
        (f"{today.year - 80}-{today.month:02d}", 80, None)
    assert (year["birth_date"], year["age"], year["birthday"]) == \
        (str(today.year - 80), 80, None)
    assert {row["name"] for row in service.find_residents(ADMIN, min_age=80)} == \
        {"孤老张老伯", "李阿公"}
    assert service.find_residents(ADMIN, min_age=81) == []
    assert service.birthdays("yinhang-grid-1", days=366, actor=GRID) == []
    [said] = [event["data"]["resident"]["birth_date"] for event in register_events(service)
              if event["data"]["resident"]["name"] == "李阿公"]
    assert said == str(today.year - 80)  # the card other services read says the same
    for unreadable in ("1946-5", "1946-13", "46", "1946-05-32", "1946/05"):
        with pytest.raises(InvalidRequest) as refused:
            service.add_resident(zhang(name="王阿婆", birth_date=unreadable), ADMIN)
        assert "birth_date" in refused.value.errors, unreadable
    with pytest.raises(InvalidRequest):
        service.add_resident(zhang(name="王阿婆", birth_date=str(today.year + 1)), ADMIN)


@pytest.fixture
def neighbourhood(service):
    """Five residents in three places and two units."""
    return {
        "zhang": service.add_resident(zhang(birth_date=years_ago(84)), ADMIN),
        "wu": service.add_resident(zhang(
            name="吴大娘", phones=["13800000009"], birth_date=years_ago(88),
            address={**KAILU_12_302, "building": "15号", "room": "101"},
            groups=["disabled"]), ADMIN),
        "couple": service.add_resident(zhang(
            name="刘爷爷", phones=["13800000006"], birth_date=years_ago(79),
            living_status="empty_nest", groups=["retired_cadre"],
            address={"district": "万柏林区", "subdistrict": "和平街道", "community": "紫院社区",
                     "estate": "万科紫院", "building": "1号楼", "room": "601"},
            grid_unit_id="vanke-ziyuan"), ADMIN),
        "family": service.add_resident(zhang(
            name="钱阿姨", phones=["13800000010"], birth_date=years_ago(66),
            living_status="with_family", groups=[],
            address={**KAILU_12_302, "room": "401"}), ADMIN),
        "centenarian": service.add_resident(zhang(
            name="沈阿爹", phones=["13800000011"], birth_date=years_ago(99),
            address=HUAHE, groups=[], grid_unit_id="huahe-committee"), ADMIN),
    }


def names(rows) -> list[str]:
    return [row["name"] for row in rows]


def test_find_by_place_status_group_age_and_unit(service, neighbourhood):
    assert names(service.find_residents(ADMIN, place="杨浦区/殷行街道/开鲁新村/开鲁新村/12号")) \
        == ["孤老张老伯", "钱阿姨"]  # in the order of their rooms
    assert names(service.find_residents(ADMIN, living_status="empty_nest")) == ["刘爷爷"]
    assert names(service.find_residents(ADMIN, group="disabled")) == ["吴大娘"]
    assert set(names(service.find_residents(ADMIN, min_age=84))) == \
        {"孤老张老伯", "吴大娘", "沈阿爹"}
    assert names(service.find_residents(ADMIN, min_age=85, grid_unit_id="yinhang-grid-1")) \
        == ["吴大娘"]
    assert names(service.find_residents(ADMIN, phone="13800000011")) == ["沈阿爹"]
    assert names(service.find_residents(GRID, living_status="alone")) == ["孤老张老伯", "吴大娘"]
    with pytest.raises(InvalidRequest):
        service.find_residents(ADMIN, group="astronauts")
    with pytest.raises(InvalidRequest):
        service.find_residents(ADMIN, place="杨浦区//开鲁新村")


def test_this_weeks_birthdays_for_a_grid_worker(service):
    today = residents.today(clock.now())
    soon = service.add_resident(zhang(birth_date=years_ago(80, days=-3)), ADMIN)
    service.add_resident(zhang(name="吴大娘", phones=["13800000009"],
                               birth_date=years_ago(88, days=-10)), ADMIN)

    [birthday] = service.birthdays("yinhang-grid-1", actor=GRID)

    assert birthday["resident_id"] == soon["resident_id"]
    assert birthday["birthday_on"] == (today + dt.timedelta(days=3)).isoformat()
    assert birthday["turns"] == 80
    assert len(service.birthdays("yinhang-grid-1", start=today.isoformat(), days=14,
                                 actor=ADMIN)) == 2
    with pytest.raises(NotPermitted):
        service.birthdays("yinhang-grid-1", actor=PROPERTY)
    with pytest.raises(InvalidRequest):
        service.birthdays("yinhang-grid-1")  # who asks?


# --- check-ins -------------------------------------------------------------------------


def test_pausing_check_ins_keeps_the_plan(service):
    card = service.add_resident(zhang(), GRID)
    until = (residents.today(clock.now()) + dt.timedelta(days=10)).isoformat()

    paused = service.pause_checkins(card["resident_id"], GRID, until=until, reason="住院")

    assert paused["checkin_plan"] == {"days": [1, 2, 3, 4, 5, 6, 7],
                                      "times": ["10:00", "15:00"], "paused": True,
                                      "paused_until": until}
    assert paused["checkin_status"] == "paused"
    entry = paused["history"][-1]
    assert (entry["action"], entry["reason"]) == ("checkins_paused", "住院")
    event = register_events(service)[-1]
    assert event["data"]["change"] == "changed"
    assert event["data"]["resident"]["checkin_plan"]["paused"] is True
    with pytest.raises(IllegalTransition):
        service.pause_checkins(card["resident_id"], GRID, reason="again")

    # a new timetable while away keeps the pause
    retimed = service.change_resident(card["resident_id"],
                                      {"checkin_plan": {"days": [1, 3, 5], "times": ["9:30"]}},
                                      GRID, version=paused["version"])
    assert retimed["checkin_plan"] == {"days": [1, 3, 5], "times": ["09:30"], "paused": True,
                                       "paused_until": until}

    resumed = service.resume_checkins(card["resident_id"], GRID)
    assert resumed["checkin_plan"]["paused"] is False and resumed["checkin_status"] == "active"
    assert resumed["checkin_plan"]["times"] == ["09:30"]
    with pytest.raises(IllegalTransition):
        service.resume_checkins(card["resident_id"], GRID)


def test_a_pause_needs_a_plan_a_reason_and_a_day_to_come(service):
    card = service.add_resident(zhang(checkin_plan=None), GRID)
    planned = service.add_resident(zhang(name="吴大娘", phones=["13800000009"]), GRID)
    yesterday = (residents.today(clock.now()) - dt.timedelta(days=1)).isoformat()

    with pytest.raises(IllegalTransition):
        service.pause_checkins(card["resident_id"], GRID, reason="住院")
    with pytest.raises(InvalidRequest):
        service.pause_checkins(planned["resident_id"], GRID)
    with pytest.raises(IllegalTransition):
        service.pause_checkins(planned["resident_id"], GRID, until=yesterday, reason="住院")
    with pytest.raises(NotPermitted):
        service.pause_checkins(planned["resident_id"], PROPERTY, reason="住院")


def test_a_pause_past_its_last_day_counts_as_over():
    plan = {"days": [1], "times": ["10:00"], "paused": True, "paused_until": "2026-11-30"}
    assert residents.checkin_status(plan, dt.date(2026, 11, 30)) == "paused"
    assert residents.checkin_status(plan, dt.date(2026, 12, 1)) == "active"
    assert residents.checkin_status({**plan, "paused_until": None}, dt.date(2030, 1, 1)) == "paused"
    assert residents.checkin_status(None, dt.date(2026, 12, 1)) is None


# --- configuration and the outbox ------------------------------------------------------


def test_more_groups_come_from_the_config(service):
    service.config = {"REGISTER": {"groups": {"advanced_age": "高龄"}}}

    card = service.add_resident(zhang(groups=["advanced_age", "veteran"]), ADMIN)

    assert card["groups"] == ["veteran", "advanced_age"]
    assert service.register_words(ADMIN)["groups"]["advanced_age"] == "高龄"
    assert service.register_words(ADMIN)["living_statuses"]["empty_nest"] == "空巢"
    with pytest.raises(InvalidRequest) as refused:
        service.add_resident(zhang(name="李阿婆", groups=["astronaut"]), ADMIN)
    assert "groups" in refused.value.errors


def test_an_event_the_broker_missed_waits_in_the_outbox(service, store):
    service.publisher.side_effect = ConnectionError("broker away")

    card = service.add_resident(zhang(), GRID)  # the write stands

    [waiting] = store.residents.find_one({"_id": card["resident_id"]})["outbox"]
    assert waiting["event_type"] == "register_changed"
    service.publisher.side_effect = None
    assert publish_pending(store.residents, service.publisher) == 1
    assert store.residents.find_one({"_id": card["resident_id"]})["outbox"] == []


# --- the demo --------------------------------------------------------------------------


def test_the_demo_register_loads_once_as_the_demo_admin(service):
    deploy = Path(__file__).resolve().parents[3] / "deploy"
    service.config = yaml.safe_load((deploy / "register.yml").read_text(encoding="utf-8"))
    spec = importlib.util.spec_from_file_location("demo_load", deploy / "demo" / "load.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    rpc = SimpleNamespace(register=service)

    demo.load_register(rpc)
    demo.load_register(rpc)  # loading twice adds nobody twice

    rows = service.find_residents(ADMIN)
    assert len(rows) == len(yaml.safe_load((deploy / "demo" / "register.yml").read_text(
        encoding="utf-8")))
    by_name = {row["name"]: row for row in rows}
    assert by_name["沈阿爹"]["age"] >= 99 and by_name["沈阿爹"]["living_status"] == "alone"
    assert by_name["沈阿爹"]["checkin_plan"]["times"] == ["10:00", "15:00"]
    assert by_name["龚新民"]["groups"] == ["veteran"]
    assert by_name["刘爷爷"]["living_status"] == by_name["刘奶奶"]["living_status"] == "empty_nest"
    assert by_name["孤老张老伯"]["phones"] == ["+8613800000001"]
    unanswered = by_name["吴大娘"]
    assert unanswered["phones"] == ["+8613800000009"] and unanswered["checkin_plan"]
    script = yaml.safe_load((deploy / "demo" / "dialer.yml").read_text(encoding="utf-8"))
    assert script["numbers"]["13800000009"] == ["unreachable"]
    assert {event["data"]["resident"]["name"] for event in register_events(service)} == \
        set(by_name)


def test_the_answers_are_the_contracts_and_lose_nothing_of_the_resident(service, store):
    """Each answer is dumped with its schema (services/shared/answers/register.py): what
    the register builds of a resident reaches the caller whole."""
    card = service.add_resident(zhang(), GRID)
    stored = store.get(card["resident_id"])
    day = residents.today(clock.now())
    assert card == residents.as_card(stored, day)
    [row] = service.find_residents(GRID)
    assert row == residents.as_row(store.get(card["resident_id"]), day)
    assert service.register_words(GRID) == residents.words({})
