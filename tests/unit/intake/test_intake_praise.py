"""Praise calls (表扬): numbered like any call, credited, never dispatched nor merged."""
import pytest
from intake_support import CALL_CENTRE, lamp_request, published

from services.shared.errors import InvalidRequest
from services.shared.payloads import PraiseReceivedSchema
from services.shared.schemas import SYSTEM_ACTOR

THANKS = "两处路灯半小时就修好了，感谢物业和居委的工作人员"


def praise_request(praise, **changes):
    return lamp_request(kind="praise", description=THANKS, praise=praise, **changes)


def test_a_praise_call_is_numbered_and_says_only_praise_received(service, store):
    lamps = service.create_ticket(lamp_request(), CALL_CENTRE)
    service.publisher.reset_mock()

    praise = service.create_ticket(praise_request({"ticket_no": lamps["ticket_no"]}), CALL_CENTRE)

    assert praise["ticket_no"] != lamps["ticket_no"] and praise["ticket_no"].startswith("YP")
    assert praise["status"] == "praise" and praise["calls"] == 1
    assert praise["praise"] == {"ticket_no": lamps["ticket_no"], "unit_id": None}
    [(event_type, event)] = published(service)  # no ticket_created: dispatch never routes it
    assert event_type == "praise_received"
    assert event["ticket_no"] == praise["ticket_no"]
    assert PraiseReceivedSchema().validate(event["data"]) == {}
    assert event["data"]["praised_ticket_no"] == lamps["ticket_no"]
    assert event["data"]["praised_unit_id"] is None
    assert event["data"]["caller"]["phone"] == "+8613812345678"
    assert praise.pop("merged") is False
    assert service.get_ticket(praise["ticket_no"], SYSTEM_ACTOR) == praise


def test_a_unit_may_be_praised_without_a_ticket(service):
    praise = service.create_ticket(praise_request({"unit_id": "kaichen"}), CALL_CENTRE)
    assert published(service)[0][1]["data"]["praised_unit_id"] == "kaichen"
    assert praise["praise"] == {"ticket_no": None, "unit_id": "kaichen"}


def test_praise_never_merges_nor_takes_repeats(service, store):
    first = service.create_ticket(praise_request({"unit_id": "kaichen"}), CALL_CENTRE)
    again = service.create_ticket(praise_request({"unit_id": "kaichen"}), CALL_CENTRE)
    # a complaint in the praise's very words is not a repeat of it
    complaint = service.create_ticket(lamp_request(description=THANKS), CALL_CENTRE)

    assert len({first["ticket_no"], again["ticket_no"], complaint["ticket_no"]}) == 3
    assert [event_type for event_type, _ in published(service)] == [
        "praise_received", "praise_received", "ticket_created"]


@pytest.mark.parametrize("praise, field_errors", [
    (None, ["A praise call names the praised ticket_no or unit_id."]),
    ({}, {"_schema": ["Name the praised ticket_no or unit_id (or both)."]}),
    ({"ticket_no": None, "unit_id": None}, {"_schema": [
        "Name the praised ticket_no or unit_id (or both)."]}),
    ({"team": "路灯班"}, {"team": ["Unknown field."]}),
])
def test_a_praise_call_must_name_what_it_praises(service, store, praise, field_errors):
    with pytest.raises(InvalidRequest) as refused:
        service.create_ticket(praise_request(praise), CALL_CENTRE)
    assert refused.value.errors["praise"] == field_errors
    assert store.tickets.count_documents({}) == 0 and published(service) == []


def test_a_praised_ticket_must_be_one_intake_received(service, store):
    with pytest.raises(InvalidRequest) as refused:
        service.create_ticket(praise_request({"ticket_no": "YP20000101-0001"}), CALL_CENTRE)
    assert "ticket_no" in refused.value.errors["praise"]

    praise = service.create_ticket(praise_request({"unit_id": "kaichen"}), CALL_CENTRE)
    with pytest.raises(InvalidRequest):  # praise is not praised in turn
        service.create_ticket(praise_request({"ticket_no": praise["ticket_no"]}), CALL_CENTRE)
    assert store.counters.find_one()["seq"] == 1


def test_only_a_praise_call_names_what_it_praises(service, store):
    with pytest.raises(InvalidRequest) as refused:
        service.create_ticket(lamp_request(praise={"unit_id": "kaichen"}), CALL_CENTRE)
    assert "praise" in refused.value.errors
    assert store.tickets.count_documents({}) == 0
