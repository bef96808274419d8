"""A resident's ticket goes to the resident's grid, and shows their card to those who may
see it."""
import pytest
from dispatch_support import (
    COMMITTEE,
    GRID,
    KAILU,
    POLICY,
    SUPERVISOR,
    created_event,
    staff,
)
from nameko.testing.services import worker_factory

from services.dispatch import directory
from services.dispatch.policy import Policy
from services.dispatch.service import DispatchService

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
                          grid_categories=directory.grid_categories_from(None))


def create(service, ticket_no: str, **changes) -> dict:
    service.on_ticket_created(created_event(ticket_no, **changes))
    return service.get_status(ticket_no, GRID)


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
                                 {"grid_categories": ["street_light"]}))
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


def test_the_card_is_shown_in_full_to_the_grid_and_masked_to_others(service):
    create(service, "YP-1", category="welfare_check", resident=dict(RESIDENT))

    grid = service.get_status("YP-1", GRID)["resident"]
    other = service.get_status("YP-1", COMMITTEE)["resident"]
    supervisor = service.get_status("YP-1", SUPERVISOR)["resident"]

    assert grid == RESIDENT
    for masked in (other, supervisor):
        assert masked["phones"] == ["138****0009"]
        assert masked["emergency_contacts"][0] == {"name": "周建国", "relation": "儿子",
                                                   "phone": "139****0001"}
        assert masked["address"]["room"] == "***"
        assert masked["name"] == "周奶奶"
    assert service.get_status("YP-1", staff("kaichen"))["resident"]["phones"] == ["138****0009"]


def test_a_ticket_without_a_resident_shows_none(service):
    assert create(service, "YP-1")["resident"] is None
