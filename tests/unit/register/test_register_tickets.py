"""A resident's tickets for their card page: the register checks who asks, then asks the
ledger, which keeps the tickets."""
import pytest
from conftest import ADMIN, GRID, PROPERTY

from services.shared.errors import NotFound, NotPermitted


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
