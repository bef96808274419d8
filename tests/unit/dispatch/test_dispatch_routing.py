"""Routing and the directory: plain functions, no service."""
import copy

import pytest
from dispatch_support import DIRECTORY, KAILU

from services.dispatch import directory
from services.dispatch.directory import Route, checked
from services.dispatch.store import TicketStateStore
from services.shared.errors import InvalidRequest

RULES = DIRECTORY["rules"]


def route(address: dict, category: str) -> Route:
    return directory.route(address, category, RULES)


def test_the_exact_category_at_the_deepest_place_wins():
    assert route(KAILU, "home_repair") == \
        Route("kaichen", "杨浦区/殷行街道/开鲁新村/开鲁新村", True)


def test_a_wildcard_rule_takes_what_its_place_has_no_rule_for():
    # 开鲁新村 community routes everything to its committee ...
    assert route(KAILU, "errands") == Route("kailu-committee", "杨浦区/殷行街道/开鲁新村", True)
    # ... and, being deeper, beats the subdistrict's exact rule
    assert route(KAILU, "street_light").unit_id == "kailu-committee"


def test_routing_falls_back_up_the_tree():
    guohe = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
             "estate": "国和小区", "building": "3号"}
    assert route(guohe, "street_light") == Route("grid-1", "杨浦区/殷行街道", True)
    assert route({"district": "未央区", "subdistrict": "大明宫街道"}, "veteran_services") == \
        Route("veterans", "未央区", True)


def test_nothing_matched_waits_at_the_centre():
    assert route({"district": "杨浦区", "subdistrict": "殷行街道"}, "veteran_services") == \
        Route("centre", None, False)
    assert route({"district": "徐汇区"}, "street_light") == Route("centre", None, False)


def test_a_path_stops_at_the_first_missing_level():
    # a community without its subdistrict cannot be placed below the district
    address = {"district": "杨浦区", "subdistrict": None, "community": "开鲁新村"}
    assert directory.address_paths(address) == ["杨浦区"]
    assert route(address, "errands") == Route("centre", None, False)


def test_place_paths_deepest_first():
    assert directory.address_paths(KAILU) == [
        "杨浦区/殷行街道/开鲁新村/开鲁新村/12号", "杨浦区/殷行街道/开鲁新村/开鲁新村",
        "杨浦区/殷行街道/开鲁新村", "杨浦区/殷行街道", "杨浦区"]


def test_the_place_tree_flattens_to_paths_and_back():
    flat = directory.flatten(DIRECTORY["places"])
    assert [place["path"] for place in flat][:3] == \
        ["杨浦区", "杨浦区/殷行街道", "杨浦区/殷行街道/开鲁新村"]
    levels = {place["path"]: place["level"] for place in flat}
    assert levels["杨浦区/殷行街道/开鲁新村/开鲁新村/12号"] == "building"
    assert directory.tree(flat) == directory.checked(DIRECTORY)["places"]


def broken(change) -> dict:
    copied = copy.deepcopy(DIRECTORY)
    change(copied)
    return copied


@pytest.mark.parametrize("change, section", [
    (lambda d: d["rules"].append({"category": "parking", "place": "杨浦区/五角场街道",
                                  "unit_id": "grid-1"}), "rules"),
    (lambda d: d["rules"].append({"category": "parking", "place": "杨浦区", "unit_id": "nobody"}),
     "rules"),
    (lambda d: d["rules"].append(dict(d["rules"][0])), "rules"),
    (lambda d: d["rules"].append({"category": "other", "place": "杨浦区", "unit_id": "centre"}),
     "rules"),
    (lambda d: d["units"].pop(0), "units"),
    (lambda d: d["units"].append({"id": "grid-1", "name": "又一个", "kind": "department",
                                  "place": "杨浦区"}), "units"),
    (lambda d: d["units"].append({"id": "east", "name": "东区派单中心", "kind": "centre"}),
     "units"),
    (lambda d: d["units"].append({"id": "x", "name": "无处", "kind": "department"}), "units"),
    (lambda d: d["units"][1].update(place="杨浦区/无名街道"), "units"),
    (lambda d: d["places"][1].update(children=[{"name": "a", "children": [
        {"name": "b", "children": [{"name": "c", "children": [
            {"name": "d", "children": [{"name": "e"}]}]}]}]}]), "places"),  # six deep
    (lambda d: d["places"].append({"name": "未央区"}), "places"),
    (lambda d: d["places"].append({"name": "闵行区/莘庄镇"}), "places"),
    (lambda d: d["rules"].append({"category": "ufo", "place": "杨浦区", "unit_id": "grid-1"}),
     "rules"),
    (lambda d: d["units"][1].update(colour="red"), "units"),
    (lambda d: d.update(extra=1), "extra"),
])
def test_an_unusable_directory_is_refused_saying_where(change, section):
    with pytest.raises(InvalidRequest) as raised:
        directory.checked(broken(change))
    assert section in raised.value.errors


@pytest.mark.parametrize("payload", [None, [], "directory", {"units": []}])
def test_what_is_not_a_directory_is_refused(payload):
    with pytest.raises(InvalidRequest):
        directory.checked(payload)


def test_the_shipped_directory_routes_the_seed_reports_matters():
    shipped = directory.read_file("deploy/directory.yml")
    rules = shipped["rules"]
    yinhang = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "国和居民区",
               "estate": "国和小区"}
    kailu = {**KAILU}
    units = {unit["id"]: unit for unit in shipped["units"]}

    def kind_for(address, category):
        found = directory.route(address, category, rules)
        return units[found.unit_id]["kind"]

    for category in ("home_repair", "street_light", "building_safety", "elevator", "sanitation",
                     "parking"):
        assert kind_for(yinhang, category) in ("grid_workstation", "property_company")
        assert kind_for(kailu, category) in ("grid_workstation", "property_company")
    for category in ("elderly_meals", "errands", "welfare_check"):
        assert kind_for(kailu, category) in ("neighbourhood_committee", "grid_workstation")
    veteran = directory.route({"district": "未央区", "subdistrict": "大明宫街道",
                               "community": "太华路社区", "estate": "中铁二十局小区"},
                              "veteran_services", rules)
    assert units[veteran.unit_id]["name"] == "太华路社区退役军人服务站"
    assert units["centre"]["name"] == "12345派单中心"
    # some matters are left for the centre
    assert directory.route(yinhang, "veteran_services", rules).routed is False


def test_copies_starting_together_each_fill_an_empty_directory_the_same(database):
    """Two copies of dispatch on a new store both find the directory empty and fill it:
    the second writes the same documents over the first's, and neither fails."""
    first, second = (TicketStateStore(database("dispatch-fill")) for _ in range(2))
    assert first.directory_is_empty() and second.directory_is_empty()
    first.fill_directory(checked(DIRECTORY))
    second.fill_directory(checked(DIRECTORY))
    assert second.directory() == first.directory()
    assert len(first.directory()["units"]) == len(DIRECTORY["units"])


def test_a_fill_cut_short_before_the_units_leaves_the_directory_empty_to_fill_again(
        database, monkeypatch):
    """A copy that dies while filling (here as it writes the rules) has not written the
    units, which go last: the next copy finds the directory empty and fills it whole."""
    store = TicketStateStore(database("dispatch-cut"))
    rules = store.rules

    class Dies:
        def insert_many(self, *args, **kwargs):
            raise SystemExit("killed")

    monkeypatch.setattr(store, "rules", Dies())
    with pytest.raises(SystemExit):
        store.fill_directory(checked(DIRECTORY))
    monkeypatch.setattr(store, "rules", rules)
    assert store.directory_is_empty()
    store.fill_directory(checked(DIRECTORY))
    filled = store.directory()
    assert len(filled["units"]) == len(DIRECTORY["units"])
    assert len(filled["rules"]) == len(DIRECTORY["rules"]) > 0
