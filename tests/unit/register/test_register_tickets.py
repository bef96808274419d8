"""A resident's tickets for their card page: the register checks who asks, then asks the
ledger, which keeps the tickets."""
import pytest

from services.shared.errors import NotFound, NotPermitted

GRID = {"id": "li", "name": "网格员 李琳", "role": "unit_staff", "unit_id": "yinhang-grid-1"}
PROPERTY = {"id": "wang", "name": "凯晨物业 王丽", "role": "unit_staff",
            "unit_id": "kaichen-property"}
ADMIN = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
ADDRESS = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
           "estate": "开鲁新村", "building": "12号", "room": "302"}


@pytest.fixture
def resident(service) -> dict:
    return service.add_resident({"name": "孤老张老伯", "phones": ["13800000001"],
                                 "address": ADDRESS, "grid_unit_id": "yinhang-grid-1"}, GRID)


def test_the_grid_gets_the_tickets_the_ledger_lists_for_the_resident(service, resident):
    service.ledger.tickets_of_resident.return_value = [{"ticket_no": "YP20261124-0001"}]

    listed = service.tickets_of_resident(resident["resident_id"], GRID)

    assert listed == [{"ticket_no": "YP20261124-0001"}]
    # the ledger applies the rule again with the same actor
    service.ledger.tickets_of_resident.assert_called_once_with(resident["resident_id"], GRID)


def test_another_units_staff_may_not_list_them_nor_tell_an_unknown_resident(
        service, resident):
    with pytest.raises(NotPermitted):
        service.tickets_of_resident(resident["resident_id"], PROPERTY)
    with pytest.raises(NotPermitted):  # the same answer as for a resident nobody added
        service.tickets_of_resident("R-nobody", GRID)
    with pytest.raises(NotFound):  # an admin of the whole city may learn it
        service.tickets_of_resident("R-nobody", ADMIN)
    service.ledger.tickets_of_resident.assert_not_called()
