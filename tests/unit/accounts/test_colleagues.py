"""A unit's active staff, to give a ticket to (承办人): usernames and names only, read by the
unit's own staff and the centre, never by another unit."""
from __future__ import annotations

import pytest
from accounts_support import ADMIN, DISPATCHER, KAICHEN, SUPERVISOR, actor

from services.shared.errors import NotFound, NotPermitted

ZHAO = {"username": "zhao.qiang", "name": "赵强", "role": "unit_staff", "unit_id": "kaichen",
        "password": "kaichen-zhao-1"}
GRID_WORKER = {"username": "sun.yu", "name": "孙宇", "role": "unit_staff", "unit_id": "grid-1",
               "password": "grid-sun-1"}


@pytest.fixture
def staffed(users):
    users.create_user(ZHAO, ADMIN)
    users.create_user(GRID_WORKER, ADMIN)
    return users


@pytest.mark.parametrize("who", [KAICHEN, DISPATCHER, SUPERVISOR, ADMIN],
                         ids=["own staff", "dispatcher", "supervisor", "admin"])
def test_the_unit_and_the_centre_read_its_active_staff_and_nothing_personal(staffed, who):
    assert staffed.colleagues("kaichen", who) == [
        {"username": "wang.li", "name": "王丽"}, {"username": "zhao.qiang", "name": "赵强"}]


def test_a_deactivated_account_is_nobody_to_give_a_ticket_to(staffed):
    staffed.update_user("zhao.qiang", {"active": False}, ADMIN)
    assert [person["username"] for person in staffed.colleagues("kaichen", KAICHEN)] == [
        "wang.li"]


@pytest.mark.parametrize("unit_id", ["kaichen", "no-such-unit"])
def test_another_unit_and_an_agent_are_refused_alike_whether_it_exists_or_not(staffed, unit_id):
    for who in (actor("unit_staff", "grid-1"), actor("agent")):
        with pytest.raises(NotPermitted):
            staffed.colleagues(unit_id, who)


def test_an_unknown_unit_is_not_found_for_the_centre(staffed):
    with pytest.raises(NotFound):
        staffed.colleagues("no-such-unit", DISPATCHER)
