"""A resident's ticket goes to the resident's grid, and shows their card to those who may
see it."""
import pytest
from dispatch_support import (
    COMMITTEE,
    GRID,
    KAILU,
    POLICY,
    SUPERVISOR,
    actor,
    created_event,
    staff,
)
from nameko.testing.services import worker_factory

from services.dispatch import directory
from services.dispatch.policy import Policy
from services.dispatch.service import DispatchService
from services.shared import outbox
from services.shared.errors import NotPermitted

RESIDENT = {
    "resident_id": "r-0001", "name": "周奶奶", "phones": ["+8613800000009"],
    "address": dict(KAILU), "birth_date": "1927-03-08", "living_status": "alone",
    "groups": [],
    "emergency_contacts": [{"name": "周建国", "relation": "儿子", "phone": "+8613900000001"}],
    "grid_unit_id": "grid-1", "grid_worker": "李琳", "checkin_plan": None, "retired": False,
}


@pytest.fixture
def service(store, now):
    return worker_factory(DispatchService, store=store, policy=Policy(POLICY),
                          grid_categories=directory.grid_categories_from(None), request_id=None)


def create(service, ticket_no: str, **changes) -> dict:
    service.on_ticket_created(created_event(ticket_no, **changes))
    return service.get_status(ticket_no, SUPERVISOR)


def test_a_residents_care_goes_to_their_grid_not_the_places_unit(service):
    # 开鲁新村 routes errands to its committee by place; the resident's grid is grid-1
    ticket = create(service, "YP-1", category="errands", resident=dict(RESIDENT))
    assert (ticket["unit_id"], ticket["route"], ticket["routed"]) == (
        "grid-1", "resident's grid", True)
    assert ticket["state"] == "dispatched"


def test_other_categories_and_other_tickets_are_routed_by_place(service):
    lamp = create(service, "YP-1", category="street_light", resident=dict(RESIDENT))
    plain = create(service, "YP-2", category="errands")
    assert (lamp["unit_id"], lamp["route"]) == ("kailu-committee", "杨浦区/殷行街道/开鲁新村")
    assert plain["unit_id"] == "kailu-committee"


@pytest.mark.parametrize("grid_unit_id", [None, "no-such-unit", "centre"])
def test_a_grid_not_in_the_directory_falls_back_to_the_place(service, grid_unit_id):
    ticket = create(service, "YP-1", category="errands",
                    resident={**RESIDENT, "grid_unit_id": grid_unit_id})
    assert ticket["unit_id"] == "kailu-committee"


def test_the_categories_are_configurable(store, now):
    service = worker_factory(DispatchService, store=store, policy=Policy(POLICY),
                             grid_categories=directory.grid_categories_from(
                                 {"grid_categories": ["street_light"]}), request_id=None)
    assert create(service, "YP-1", category="street_light",
                  resident=dict(RESIDENT))["unit_id"] == "grid-1"
    assert create(service, "YP-2", category="errands",
                  resident=dict(RESIDENT))["unit_id"] == "kailu-committee"


def test_an_unknown_category_in_the_config_is_refused():
    with pytest.raises(ValueError):
        directory.grid_categories_from({"grid_categories": ["welfare_chek"]})
    assert "welfare_check" in directory.grid_categories_from({})


def test_the_welfare_check_comes_first_in_the_grids_queue(service):
    create(service, "YP-1", category="home_repair", address={"district": "杨浦区",
                                                              "subdistrict": "殷行街道"})
    create(service, "YP-2", category="welfare_check", urgency="urgent", priority="high",
           channel="checkin", resident=dict(RESIDENT))

    queue = service.queue("grid-1", GRID)
    assert [item["ticket_no"] for item in queue] == ["YP-2", "YP-1"]


def test_the_card_is_whole_for_the_grid_and_the_centre_a_summary_for_other_handlers(service):
    create(service, "YP-1", category="welfare_check", resident=dict(RESIDENT))
    service.add_assist("YP-1", GRID, "kaichen", "请物业协助开门")
    whole = {key: value for key, value in RESIDENT.items() if key != "health_notes"}

    assert service.get_status("YP-1", GRID)["resident"] == whole  # the resident's grid
    assert service.get_status("YP-1", SUPERVISOR)["resident"] == whole  # the centre
    summary = {"resident_id": "r-0001", "name": "周奶奶", "phones": ["138****0009"],
               "emergency_contacts": [{"relation": "儿子"}], "grid_unit_id": "grid-1"}
    assert service.get_status("YP-1", staff("kaichen"))["resident"] == summary  # assisting
    assert service.get_status("YP-1", actor("agent"))["resident"] == summary
    with pytest.raises(NotPermitted):  # a unit with no part in it reads nothing of it
        service.get_status("YP-1", COMMITTEE)


def test_health_notes_never_leave_on_a_ticket(service):
    create(service, "YP-1", category="welfare_check", resident=dict(RESIDENT))
    for reader in (GRID, SUPERVISOR, actor("admin")):
        assert "health_notes" not in service.get_status("YP-1", reader)["resident"]


def test_a_ticket_without_a_resident_shows_none(service):
    assert create(service, "YP-1")["resident"] is None


def test_every_view_of_a_card_on_a_ticket_is_said_for_the_register_to_record(service, store):
    create(service, "YP-1", category="welfare_check", resident=dict(RESIDENT))
    service.publisher.reset_mock()

    service.get_status("YP-1", GRID)
    service.accept("YP-1", GRID)  # a step's answer shows the card too
    shown = [event for event_type, event in (call.args for call in
                                             service.publisher.call_args_list)
             if event_type == "card_shown"]
    assert [(event["actor"]["id"], event["data"]) for event in shown] == [
        (GRID["id"], {"resident_id": "r-0001", "ticket_no": "YP-1", "level": "card"})] * 2
    assert all(event["ticket_no"] is None for event in shown)  # not in the ticket's timeline
    assert store.shown.count_documents({}) == 0  # published, nothing left waiting


def test_a_queue_names_the_resident_and_shows_no_card(service):
    create(service, "YP-1", category="welfare_check", resident=dict(RESIDENT))
    service.publisher.reset_mock()
    [row] = service.queue("grid-1", GRID)
    assert row["resident"] == {"resident_id": "r-0001", "name": "周奶奶"}
    assert service.publisher.call_args_list == []  # no card shown, nothing to record


def test_a_view_said_while_the_broker_is_away_waits_for_the_sweep(service, store):
    create(service, "YP-1", category="welfare_check", resident=dict(RESIDENT))
    service.publisher.side_effect = ConnectionError("broker away")
    service.get_status("YP-1", GRID)  # the reader still gets the ticket
    assert store.shown.count_documents({"outbox.0": {"$exists": True}}) == 1
    service.publisher.side_effect = None
    outbox.publish_pending(store.shown, service.publisher)
    assert [args[0] for args in (call.args for call in service.publisher.call_args_list)][-1] \
        == "card_shown"
