"""Open311 requests as tickets, and tickets as Open311 service requests: the mapping alone."""
import datetime as dt

import pytest
from marshmallow import ValidationError

from services.console.open311 import (
    ServiceRequestSchema,
    address_id_of,
    as_service_request,
    place_of,
    present,
    ticket_request,
    window,
)
from services.console.open311_services import service_definition, service_list
from services.shared.errors import InvalidRequest

POSTED = {"service_code": "street_light", "description": "路灯不亮",
          "address_string": "国和小区8号楼东侧", "attribute[subdistrict]": "殷行街道"}


def test_a_request_becomes_an_app_ticket_in_the_default_district():
    fields = ServiceRequestSchema().load({
        **POSTED, "first_name": "阿姨", "last_name": "王", "phone": "139 0000 1111",
        "lat": "31.32", "long": "121.53", "media_url": "https://example.com/lamp.jpg",
        "jurisdiction_id": "shanghai"})  # a standard field we have no use for is ignored
    request = ticket_request(fields, "杨浦区")
    assert request["channel"] == "app" and request["kind"] == "help"
    assert request["caller"] == {"name": "王阿姨", "phone": "+8613900001111", "anonymous": False}
    assert request["address"] == {"district": "杨浦区", "subdistrict": "殷行街道",
                                  "detail": "国和小区8号楼东侧 (坐标 31.32, 121.53)"}
    assert request["description"] == "路灯不亮"
    assert request["media_url"] == "https://example.com/lamp.jpg"  # kept, not folded in


def test_a_request_without_name_or_phone_is_anonymous_and_keeps_its_district():
    fields = ServiceRequestSchema().load({**POSTED, "attribute[district]": "普陀区"})
    request = ticket_request(fields, "杨浦区")
    assert request["caller"] == {"name": None, "phone": None, "anonymous": True}
    assert request["address"]["district"] == "普陀区"


@pytest.mark.parametrize("change, field", [
    ({"service_code": "lamps"}, "service_code"),
    ({"lat": "31.3"}, "long"),
    ({"address_string": None, "attribute[subdistrict]": None}, "address_string"),
    ({"attribute[kind]": "praise"}, "attribute[kind]"),
    ({"email": "not-mail"}, "email"),
])
def test_a_bad_request_names_the_field(change, field):
    posted = {key: value for key, value in {**POSTED, **change}.items() if value is not None}
    with pytest.raises(ValidationError) as refused:
        ServiceRequestSchema().load(posted)
    assert field in refused.value.messages


def test_a_public_request_is_open_until_closed_and_its_state_is_said_in_words():
    public = {"ticket_no": "YP20261123-0001", "state": "resolved", "category": "street_light",
              "description": None, "unit_name": "凯晨物业",
              "received_at": "2026-11-23T02:00:00.000Z",
              "updated_at": "2026-11-23T05:00:00.000Z",
              "resolve_by": "2026-11-28T02:00:00.000Z",
              "place": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村"}}
    request = as_service_request(public)
    assert (request["status"], request["status_notes"]) == ("open", "已办结")
    assert (request["service_name"], request["agency_responsible"]) == ("路灯", "凯晨物业")
    assert request["address"] == "杨浦区 殷行街道 开鲁新村"
    assert request["updated_datetime"] == "2026-11-23T05:00:00.000Z"
    assert request["expected_datetime"] == "2026-11-28T02:00:00.000Z"
    assert request["description"] is None and request["media_url"] is None
    assert request["address_id"] == "杨浦区/殷行街道/开鲁新村"
    assert as_service_request({**public, "state": "closed"})["status"] == "closed"


def test_empty_arguments_are_absent_and_a_description_is_optional():
    posted = present({**POSTED, "description": "", "media_url": "", "email": " ",
                      "attribute[kind]": ""})
    fields = ServiceRequestSchema().load(posted)
    assert (fields["media_url"], fields["email"], fields["kind"]) == (None, None, "help")
    request = ticket_request(fields, "杨浦区")
    assert request["description"] == "路灯 (未填写描述)" and request["media_url"] is None


DIRECTORY_PLACES = [{"name": "杨浦区", "children": [{"name": "殷行街道", "children": [
    {"name": "开鲁新村", "children": [{"name": "开鲁新村", "children": [{"name": "12号"}]}]}]}]}]


def test_an_address_id_is_a_place_of_the_directory_by_its_path():
    assert place_of("杨浦区/殷行街道/开鲁新村", DIRECTORY_PLACES) == {
        "district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村"}
    building = place_of("杨浦区/殷行街道/开鲁新村/开鲁新村/12号", DIRECTORY_PLACES)
    assert building and building["building"] == "12号"
    for unknown in ("杨浦区/殷行街道/国和居民区", "殷行街道",
                    "杨浦区/殷行街道/开鲁新村/开鲁新村/12号/402"):
        assert place_of(unknown, DIRECTORY_PLACES) is None


def test_a_located_request_takes_its_levels_from_the_address_id():
    fields = ServiceRequestSchema().load({"service_code": "street_light",
                                          "address_id": "杨浦区/殷行街道/开鲁新村",
                                          "attribute[community]": "国和居民区"})
    request = ticket_request(fields, "普陀区", place_of(fields["address_id"], DIRECTORY_PLACES))
    assert request["address"] == {"district": "杨浦区", "subdistrict": "殷行街道",
                                  "community": "开鲁新村"}


def test_the_public_place_is_its_address_id_when_whole():
    assert address_id_of({"district": "杨浦区", "subdistrict": "殷行街道",
                          "community": "开鲁新村"}) == "杨浦区/殷行街道/开鲁新村"
    assert address_id_of({"district": "杨浦区", "subdistrict": "殷行街道",
                          "community": None}) == "杨浦区/殷行街道"
    assert address_id_of({"district": "杨浦区", "subdistrict": None,
                          "community": "开鲁新村"}) is None  # a gap: not a path
    assert address_id_of({}) is None


NOW = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def test_requests_are_listed_over_ninety_days_at_most():
    assert window(None, None, NOW) == (NOW - 90 * DAY, None)
    assert window(None, NOW - DAY, NOW) == (NOW - 91 * DAY, NOW - DAY)
    assert window(NOW - 200 * DAY, None, NOW) == (NOW - 200 * DAY, NOW - 110 * DAY)
    assert window(NOW - 90 * DAY, NOW, NOW) == (NOW - 90 * DAY, NOW)
    with pytest.raises(InvalidRequest):
        window(NOW - 91 * DAY, NOW, NOW)


def test_every_service_has_a_definition_of_its_attributes():
    assert all(service["metadata"] is True for service in service_list())
    definition = service_definition("street_light", "杨浦区")
    codes = [attribute["code"] for attribute in definition["attributes"]]
    assert codes == ["district", "subdistrict", "community", "estate", "building", "kind"]
    [kind] = [a for a in definition["attributes"] if a["code"] == "kind"]
    assert kind["datatype"] == "singlevaluelist" and not kind["required"]
    assert [value["key"] for value in kind["values"]] == [
        "consult", "help", "complaint", "report", "suggestion"]
    with pytest.raises(KeyError):
        service_definition("lamps", "杨浦区")
