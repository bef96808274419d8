"""The duplicate rules alone (services/intake/duplicates.py), on real Chinese calls."""
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from services.intake.duplicates import Settings, find_repeat, settings_from, similarity

ROOT = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
SETTINGS = Settings()

# Seed 000 repeats this complaint word for word.
GRAB_BAR = ("某市民通过杨浦区“12345”市民服务热线来电反映其最近购买了浴缸扶手,由于物业没有合适的"
            "打孔工具,无法协助安装,希望有关部门能够帮助解决该问题。")
LAMPS = "小区主道路有两处路灯不亮，夜间老人出行不便"
KAILU = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
         "estate": "开鲁新村", "building": "12号", "room": "302"}
GUOHE = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
         "estate": "国和小区"}


def ticket(description, *, phone="+8613800000001", address=KAILU, category="home_repair",
           days_ago=1.0, candidate=True, ticket_no="YP20261122-0001"):
    return {"ticket_no": ticket_no, "category": category, "description": description,
            "caller": {"name": "张老伯", "phone": phone, "anonymous": False},
            "address": address, "received_at": NOW - dt.timedelta(days=days_ago),
            "candidate": candidate}


def call(description, *, phone="+8613800000001", address=KAILU, category="home_repair"):
    return {"category": category, "description": description,
            "caller": {"name": None, "phone": phone, "anonymous": False}, "address": address}


# True repeats
def test_seed_000_word_for_word_is_the_same_callers_repeat():
    match = find_repeat(call(GRAB_BAR), [ticket(GRAB_BAR)], SETTINGS, NOW)

    assert (match.ticket_no, match.match, match.similarity) == (
        "YP20261122-0001", "same_caller", 100.0)


def test_the_same_caller_chasing_in_other_words():
    first = ticket("老人买了浴缸扶手，物业没有合适的打孔工具无法安装，希望有关部门帮助解决")
    match = find_repeat(call("上次说的浴缸扶手还没人来装，物业说没有打孔工具"), [first],
                        SETTINGS, NOW)
    assert match.match == "same_caller"


def test_a_neighbour_reporting_the_same_broken_lamps_in_other_words():
    first = ticket(LAMPS, category="street_light", address=GUOHE, phone="+8613800000002")
    neighbour = call("国和小区里面主干道上的两盏路灯坏了，晚上黑漆漆的，老人走路不方便",
                     category="street_light", address=GUOHE, phone="+8613900000077")

    match = find_repeat(neighbour, [first], SETTINGS, NOW)
    assert match.match == "same_place" and match.similarity >= SETTINGS.same_place_threshold


def test_one_building_however_the_agents_wrote_it():
    first = ticket("12号楼楼道灯不亮", category="street_light", phone="+8613800000011")
    again = call("12号楼楼道灯不亮", category="street_light", phone="+8613800000012",
                 address={**KAILU, "building": "１２号楼"})
    assert find_repeat(again, [first], SETTINGS, NOW).match == "same_place"


def test_of_several_open_tickets_the_first_received_takes_the_repeat():
    older = ticket(GRAB_BAR, days_ago=3, ticket_no="YP20261120-0005")
    newer = ticket(GRAB_BAR, days_ago=1, ticket_no="YP20261122-0001")
    assert find_repeat(call(GRAB_BAR), [newer, older], SETTINGS, NOW).ticket_no == \
        "YP20261120-0005"


# Near misses that must not merge
def test_same_estate_another_buildings_lamp():
    first = ticket("楼道里的灯不亮，晚上上下楼看不见", category="street_light",
                   phone="+8613800000011")
    other_building = call("楼道里的灯不亮，晚上上下楼看不见", category="street_light",
                          phone="+8613800000012", address={**KAILU, "building": "15号楼"})
    assert find_repeat(other_building, [first], SETTINGS, NOW) is None


def test_same_caller_another_category():
    first = ticket(GRAB_BAR)
    assert find_repeat(call(GRAB_BAR, category="sanitation"), [first], SETTINGS, NOW) is None


@pytest.mark.parametrize("other_matter", [
    "家里卫生间马桶堵了，物业说没有工具疏通",
    "厨房水龙头一直漏水，想请人上门修一下",
])
def test_same_caller_same_category_a_clearly_different_matter(other_matter):
    first = ticket("老人买了浴缸扶手，物业没有合适的打孔工具无法安装，希望有关部门帮助解决")
    assert find_repeat(call(other_matter), [first], SETTINGS, NOW) is None


def test_same_estate_same_category_another_matter():
    first = ticket(LAMPS, category="street_light", address=GUOHE, phone="+8613800000002")
    too_bright = call("小区里的路灯太亮了，照进卧室影响老人睡觉", category="street_light",
                      address=GUOHE, phone="+8613900000077")
    assert find_repeat(too_bright, [first], SETTINGS, NOW) is None


def test_same_caller_same_words_about_another_estate():
    first = ticket(LAMPS, category="street_light", address=GUOHE)
    assert find_repeat(call(LAMPS, category="street_light", address=KAILU), [first],
                       SETTINGS, NOW) is None


def test_a_closed_ticket_takes_no_repeat():
    assert find_repeat(call(GRAB_BAR), [ticket(GRAB_BAR, candidate=False)], SETTINGS, NOW) is None


def test_outside_the_window():
    assert find_repeat(call(GRAB_BAR), [ticket(GRAB_BAR, days_ago=7.5)], SETTINGS, NOW) is None
    assert find_repeat(call(GRAB_BAR), [ticket(GRAB_BAR, days_ago=2)],
                       Settings(window_days=1), NOW) is None
    assert find_repeat(call(GRAB_BAR), [ticket(GRAB_BAR, days_ago=6.5)], SETTINGS, NOW)


def test_a_place_not_named_down_to_the_estate_is_no_evidence():
    vague = {"district": "杨浦区", "subdistrict": "殷行街道"}
    first = ticket(LAMPS, category="street_light", address=vague, phone="+8613800000002")
    stranger = call(LAMPS, category="street_light", address=vague, phone="+8613900000077")
    assert find_repeat(stranger, [first], SETTINGS, NOW) is None


def test_callers_without_a_phone_are_not_the_same_caller():
    first = ticket(GRAB_BAR, phone=None, address={"district": "杨浦区"})
    assert find_repeat(call(GRAB_BAR, phone=None, address={"district": "杨浦区"}), [first],
                       SETTINGS, NOW) is None


# The measure and the settings
def test_similarity_ignores_boilerplate_and_filler():
    assert similarity("请尽快处理", "希望有关部门尽快解决") == 0.0
    assert similarity("路灯不亮", "路灯不亮") == 100.0
    assert similarity(LAMPS, "厨房水龙头一直漏水") < 30


def test_settings_from_config():
    assert settings_from(None) == Settings(7.0, 65.0, 75.0)
    assert settings_from({"window_days": 3, "same_place_threshold": 80}) == \
        Settings(window_days=3.0, same_place_threshold=80.0)
    for bad in ({"window_days": 0}, {"same_caller_threshold": 120}, {"windows": 7}):
        with pytest.raises(ValueError):
            settings_from(bad)


def test_the_dictionary_loads_quietly_in_a_fresh_process():
    # jieba warns on import and logs its dictionary loading to stderr, into every service log
    loaded = subprocess.run(
        [sys.executable, "-c", "from services.intake import duplicates; "
                               "print(duplicates.words('路灯不亮'))"],
        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert loaded.returncode == 0 and "路灯" in loaded.stdout
    assert loaded.stderr == ""
