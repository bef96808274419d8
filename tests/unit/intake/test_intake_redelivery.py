"""A create_ticket request that comes again (RabbitMQ redelivers it when the process that
stored the call was killed before answering) is answered as its first run was, from the
ticket that run made or merged the call into, with nothing stored or said again; another
request for the same call is received as usual."""
from intake_support import CALL_CENTRE, lamp_request, published

from services.shared import events, redelivery


def event_types(service) -> list[str]:
    return [event_type for event_type, _ in published(service)]


def test_a_call_without_an_external_id_delivered_twice_makes_one_ticket(service, store):
    service.request_id = "req-call-1"

    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    again = service.create_ticket(lamp_request(), CALL_CENTRE)

    assert again == first
    assert (again["merged"], again["calls"]) == (False, 1)
    assert store.tickets.count_documents({}) == 1
    assert event_types(service) == ["ticket_created"]
    # the second delivery took no number: the next call gets the one after the first
    service.request_id = "req-call-2"
    other = service.create_ticket(lamp_request(category="home_repair", description="水管漏水"),
                                  CALL_CENTRE)
    assert other["ticket_no"].endswith("-0002")


def test_a_repeat_delivered_twice_is_merged_and_counted_once(service, store):
    service.request_id = "req-first"
    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    service.request_id = "req-repeat"

    merged = service.create_ticket(lamp_request(channel="wechat"), CALL_CENTRE)
    again = service.create_ticket(lamp_request(channel="wechat"), CALL_CENTRE)

    assert again == merged
    assert (again["ticket_no"], again["merged"], again["calls"]) == (first["ticket_no"], True, 2)
    assert event_types(service) == ["ticket_created", "ticket_merged"]
    assert len(store.get(first["ticket_no"])["repeats"]) == 1


def test_a_redelivery_answers_the_ticket_as_it_stands_and_merged_as_the_first_time(service):
    service.request_id = "req-first"
    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    service.request_id = "req-repeat"
    service.create_ticket(lamp_request(channel="wechat"), CALL_CENTRE)

    service.request_id = "req-first"  # the call that made the ticket, delivered again
    again = service.create_ticket(lamp_request(), CALL_CENTRE)

    assert (again["ticket_no"], again["merged"], again["calls"]) == (first["ticket_no"],
                                                                    False, 2)
    assert event_types(service) == ["ticket_created", "ticket_merged"]


def test_another_request_for_the_same_call_is_received_as_before(service, store):
    service.request_id = "req-a"
    first = service.create_ticket(lamp_request(merge=False), CALL_CENTRE)
    service.request_id = "req-b"
    second = service.create_ticket(lamp_request(merge=False), CALL_CENTRE)
    service.request_id = "req-c"
    repeat = service.create_ticket(lamp_request(), CALL_CENTRE)

    assert first["ticket_no"] != second["ticket_no"]
    assert (repeat["merged"], repeat["calls"]) == (True, 2)
    assert repeat["ticket_no"] in (first["ticket_no"], second["ticket_no"])
    assert store.tickets.count_documents({}) == 2
    assert event_types(service) == ["ticket_created", "ticket_created", "ticket_merged"]


def test_a_ticket_remembers_only_the_latest_requests_merged_into_it(service, store,
                                                                     monkeypatch):
    monkeypatch.setattr(events, "APPLIED_KEPT", 2)
    service.request_id = "req-0"
    first = service.create_ticket(lamp_request(), CALL_CENTRE)
    for n in range(1, 4):
        service.request_id = f"req-{n}"
        service.create_ticket(lamp_request(), CALL_CENTRE)

    assert store.get(first["ticket_no"])[events.APPLIED] == [
        redelivery.applied_key("req-2"), redelivery.applied_key("req-3")]
    service.request_id = "req-3"
    assert service.create_ticket(lamp_request(), CALL_CENTRE)["calls"] == 4  # still found
