import pytest
from intake_support import ADMIN, CALL_CENTRE, lamp_request, published

from services.shared import outbox
from services.shared.errors import InvalidRequest, NotFound, NotPermitted


def test_a_call_becomes_a_numbered_ticket_and_one_created_event(service, store):
    ticket = service.create_ticket(lamp_request(), CALL_CENTRE)

    assert ticket["ticket_no"].startswith("YP20")
    assert ticket["ticket_no"].endswith("-0001")
    assert ticket["status"] == "received"
    assert ticket["priority"] == "normal"
    assert ticket["caller"]["phone"] == "+8613812345678"
    [(event_type, event)] = published(service)
    assert event_type == "ticket_created"
    assert event["ticket_no"] == ticket["ticket_no"]
    assert event["data"]["category"] == "street_light"
    # published, so nothing is left waiting in the outbox
    assert store.get(ticket["ticket_no"])["outbox"] == []


def test_the_agent_who_took_the_call_is_the_events_actor(service):
    agent = {"id": "a-7", "name": "话务员小周", "role": "agent", "unit_id": None}
    service.create_ticket(lamp_request(), agent)
    service.create_ticket(lamp_request(channel="wechat"), CALL_CENTRE)

    actors = [event["actor"] for _, event in published(service)]
    assert actors[0] == agent
    # the call centre's software, under its own account: not a channel it names itself
    assert (actors[1]["id"], actors[1]["role"]) == ("call-centre", "call_centre")


@pytest.mark.parametrize("role", ["unit_staff", "supervisor", "callback_worker"])
def test_only_those_who_take_calls_create_tickets(service, store, role):
    someone = {"id": "x-1", "name": "某人", "role": role,
               "unit_id": "kaichen-property" if role == "unit_staff" else None}
    with pytest.raises(NotPermitted, match="may not take calls"):
        service.create_ticket(lamp_request(), someone)
    assert store.tickets.count_documents({}) == 0 and published(service) == []


def test_a_malformed_agent_is_refused_before_anything_is_stored(service, store):
    with pytest.raises(InvalidRequest) as raised:
        service.create_ticket(lamp_request(), {"id": "a-7", "role": "pilot"})
    assert set(raised.value.errors["actor"]) == {"name", "role"}
    assert store.tickets.count_documents({}) == 0 and store.counters.count_documents({}) == 0


def test_numbers_follow_each_other_and_fall_back_to_the_city_prefix(service):
    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    second = service.create_ticket(lamp_request(category="sanitation",
                                                description="垃圾厢房周边堆放杂物，气味很大"),
                                   CALL_CENTRE)
    elsewhere = service.create_ticket(lamp_request(address={"district": "徐汇区"}), CALL_CENTRE)

    assert second["ticket_no"] == first["ticket_no"][:-4] + "0002"
    assert elsewhere["ticket_no"].startswith("SH") and elsewhere["ticket_no"].endswith("-0001")


def test_urgent_matters_are_high_priority(service):
    ticket = service.create_ticket(lamp_request(urgency="urgent"), CALL_CENTRE)
    assert (ticket["priority"], ticket["priority_reasons"]) == ("high", ["urgent"])


def test_a_consultation_answered_on_the_spot(service):
    ticket = service.create_ticket(lamp_request(
        kind="consult", category="veteran_services", answer="优待证请到街道退役军人服务站办理"),
                                   CALL_CENTRE)

    assert ticket["status"] == "answered"
    assert [event_type for event_type, _ in published(service)] == [
        "ticket_created", "ticket_answered"]


def test_the_same_external_id_gives_the_same_ticket(service, store):
    first = service.create_ticket(lamp_request(external_id="call-7781"), CALL_CENTRE)
    again = service.create_ticket(lamp_request(external_id="call-7781", description="再次来电"),
                                  CALL_CENTRE)

    assert again == first
    assert store.tickets.count_documents({}) == 1
    assert len(published(service)) == 1


def test_bad_input_lists_every_field_error_and_stores_nothing(service, store):
    with pytest.raises(InvalidRequest) as raised:
        service.create_ticket(lamp_request(
            channel="fax", category="ufo", caller={"phone": "12"}, description="",
            address={"room": "101"}, colour="red"), CALL_CENTRE)

    errors = raised.value.errors
    assert set(errors) == {"channel", "category", "caller", "description", "address", "colour"}
    assert "phone" in errors["caller"] and "district" in errors["address"]
    assert store.tickets.count_documents({}) == 0
    assert store.counters.count_documents({}) == 0
    assert published(service) == []


@pytest.mark.parametrize("request_", [None, "text", 42, [], {"channel": "hotline"}])
def test_requests_that_are_not_tickets_are_refused(service, store, request_):
    with pytest.raises(InvalidRequest):
        service.create_ticket(request_, CALL_CENTRE)
    assert store.tickets.count_documents({}) == 0


def test_an_answer_is_only_for_a_consultation(service):
    with pytest.raises(InvalidRequest) as raised:
        service.create_ticket(lamp_request(answer="已答复"), CALL_CENTRE)
    assert "answer" in raised.value.errors


def test_get_ticket_and_unknown_numbers(service):
    agent = {"id": "a-7", "name": "话务员小周", "role": "agent", "unit_id": None}
    ticket = service.create_ticket(lamp_request(), agent)
    assert ticket.pop("merged") is False
    assert service.get_ticket(ticket["ticket_no"], agent) == ticket
    with pytest.raises(NotFound):  # an admin of the whole city may learn it does not exist
        service.get_ticket("YP20000101-9999", ADMIN)


def test_the_caller_is_in_full_for_the_agent_who_took_the_call_only(service):
    agent = {"id": "a-7", "name": "话务员小周", "role": "agent", "unit_id": None}
    number = service.create_ticket(lamp_request(), agent)["ticket_no"]
    assert service.get_ticket(number, agent)["caller"]["phone"] == "+8613812345678"
    for reader in ({**agent, "id": "a-8"}, ADMIN):
        assert service.get_ticket(number, reader)["caller"]["phone"] == "138****5678"


def test_units_read_tickets_from_dispatch_and_another_district_reads_nothing(service):
    number = service.create_ticket(lamp_request(), CALL_CENTRE)["ticket_no"]
    unit = {"id": "s-1", "name": "网格员", "role": "unit_staff", "unit_id": "grid-1"}
    elsewhere = {**ADMIN, "district": "未央区"}
    for reader in (unit, elsewhere):
        with pytest.raises(NotPermitted):
            service.get_ticket(number, reader)
        with pytest.raises(NotPermitted):  # the same for a number nobody used
            service.get_ticket("YP20000101-9999", reader)


def test_a_broker_outage_keeps_the_ticket_and_its_event_for_the_sweep(service, store):
    service.publisher.side_effect = ConnectionError("broker away")
    ticket = service.create_ticket(lamp_request(), CALL_CENTRE)
    [pending] = store.tickets.find()
    assert pending["ticket_no"] == ticket["ticket_no"]
    assert len(pending["outbox"]) == 1

    service.publisher.side_effect = None
    service.publisher.reset_mock()
    # the sweep waits for events to settle; publish everything pending now
    outbox.publish_pending(store.tickets, service.publisher)
    assert [event_type for event_type, _ in published(service)] == ["ticket_created"]
    assert store.tickets.find_one()["outbox"] == []
