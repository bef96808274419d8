"""Open311 requests as tickets, and tickets as Open311 service requests: the mapping alone."""
import pytest
from marshmallow import ValidationError

from services.console.open311 import ServiceRequestSchema, as_service_request, ticket_request

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
    assert request["description"].endswith("附件: https://example.com/lamp.jpg")


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
    assert request["description"] is None
    assert as_service_request({**public, "state": "closed"})["status"] == "closed"
