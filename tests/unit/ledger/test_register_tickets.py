"""A resident's tickets for their card page: those intake received with their card on
them, and only for those who may read the card."""
import pytest

from ledger_events import said
from services.shared.errors import NotFound, NotPermitted

GRID = {"id": "li", "name": "网格员 李琳", "role": "unit_staff", "unit_id": "yinhang-grid-1"}
PROPERTY = {"id": "wang", "name": "凯晨物业 王丽", "role": "unit_staff",
            "unit_id": "kaichen-property"}
ADDRESS = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
           "estate": "开鲁新村", "building": "12号", "room": "302"}


@pytest.fixture
def resident(service) -> dict:
    return service.add_resident({"name": "孤老张老伯", "phones": ["13800000001"],
                                 "address": ADDRESS, "grid_unit_id": "yinhang-grid-1"}, GRID)


def test_the_tickets_received_with_a_residents_card_are_theirs(service, deliver, resident):
    card = {"resident_id": resident["resident_id"], "name": resident["name"],
            "phones": resident["phones"], "address": ADDRESS}
    deliver(said("ticket_created", "YP20261123-0001", "2026-11-23T02:00:00Z", resident=card,
                 description="家里没电了"),
            said("ticket_created", "YP20261123-0002", "2026-11-23T03:00:00Z"),
            said("ticket_created", "YP20261124-0001", "2026-11-24T01:00:00Z", resident=card,
                 category="welfare_check", kind="help"))

    listed = service.tickets_of_resident(resident["resident_id"], GRID)

    assert [row["ticket_no"] for row in listed] == ["YP20261124-0001", "YP20261123-0001"]
    assert listed[1]["description"] == "家里没电了"


def test_another_units_staff_may_not_list_them_and_an_unknown_resident_is_not_found(
        service, resident):
    with pytest.raises(NotPermitted):
        service.tickets_of_resident(resident["resident_id"], PROPERTY)
    with pytest.raises(NotFound):
        service.tickets_of_resident("R-nobody", GRID)
    assert service.tickets_of_resident(resident["resident_id"], GRID) == []
