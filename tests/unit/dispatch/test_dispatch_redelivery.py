"""A step request that comes again (RabbitMQ redelivers it when the process that carried
it out was killed before answering) is carried out once, and answered with the ticket as
it stands; another request for the same step is carried out as usual."""
import pytest
from dispatch_support import ADMIN, KAICHEN, NO, SUPERVISOR, create, published_types

from services.shared import redelivery
from services.shared.errors import IllegalTransition


def urges_said(service) -> int:
    return published_types(service).count("ticket_urged")


def test_an_urge_delivered_twice_is_recorded_once_and_the_second_delivery_sees_it(
        service, store):
    create(service)
    service.accept(NO, KAICHEN)
    service.request_id = "req-urge-1"

    first = service.urge(NO, SUPERVISOR, "请今天内联系王阿姨")
    again = service.urge(NO, SUPERVISOR, "请今天内联系王阿姨")

    assert len(again["urges"]) == 1
    assert again == first == service.get_status(NO, SUPERVISOR)
    assert urges_said(service) == 1
    assert store.get(NO)["version"] == first["version"]


def test_a_second_urge_is_a_request_of_its_own_and_is_recorded(service):
    create(service)
    service.accept(NO, KAICHEN)

    service.request_id = "req-urge-1"
    service.urge(NO, SUPERVISOR, "请今天内联系王阿姨")
    service.request_id = "req-urge-2"
    status = service.urge(NO, SUPERVISOR, "还没有联系, 请尽快")

    assert [urge["note"] for urge in status["urges"]] == [
        "请今天内联系王阿姨", "还没有联系, 请尽快"]
    assert urges_said(service) == 2


def test_a_redelivered_accept_answers_the_accepted_ticket_instead_of_refusing_it(service):
    create(service)
    service.request_id = "req-accept"
    service.accept(NO, KAICHEN)

    again = service.accept(NO, KAICHEN)

    assert again["state"] == "accepted"
    assert published_types(service).count("ticket_accepted") == 1
    service.request_id = "req-accept-later"  # signing for it anew is still refused
    with pytest.raises(IllegalTransition):
        service.accept(NO, KAICHEN)


def test_a_redelivered_return_answers_as_the_first_did_though_the_unit_gave_the_ticket_up(
        service):
    create(service)
    service.request_id = "req-return"
    first = service.return_ticket(NO, KAICHEN, "不属于本单位职责")

    again = service.return_ticket(NO, KAICHEN, "不属于本单位职责")

    assert (again["state"], again["unit_id"]) == (first["state"], first["unit_id"]) == (
        "pending", "centre")
    assert published_types(service).count("ticket_returned") == 1


def test_a_redelivery_that_loses_the_race_to_the_first_run_ends_once_it_sees_it(
        service, store, monkeypatch):
    # the first copy hung rather than died: both carry out the request at once, and the
    # second read the ticket before the first wrote
    create(service)
    service.accept(NO, KAICHEN)
    before = store.get(NO)
    service.request_id = "req-urge-1"
    service.urge(NO, SUPERVISOR, "请今天内联系王阿姨")
    reads = [before]
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda number: reads.pop() if reads else real_get(number))

    again = service.urge(NO, SUPERVISOR, "请今天内联系王阿姨")

    assert len(again["urges"]) == 1 and urges_said(service) == 1
    assert again == service.get_status(NO, SUPERVISOR)


def test_a_refused_request_records_nothing_and_its_redelivery_is_judged_afresh(service, store):
    create(service)
    service.request_id = "req-contact"
    with pytest.raises(IllegalTransition):  # not signed for yet
        service.record_contact(NO, KAICHEN)

    assert redelivery.applied_key("req-contact") not in store.get(NO)["applied_events"]
    with pytest.raises(IllegalTransition):
        service.record_contact(NO, KAICHEN)


def test_the_request_ids_stay_out_of_what_readers_see(service):
    create(service)
    service.request_id = "req-accept"
    status = service.accept(NO, KAICHEN)

    assert "req-accept" not in str(status)
    assert "req-accept" not in str(service.get_status(NO, ADMIN))
