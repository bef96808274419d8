"""Who looked at a resident: every read of the card is kept (the register's card page, an
agent's look-up by phone, an export, the card on a ticket dispatch showed), and a
supervisor lists them."""
import pytest
from conftest import ADMIN, GRID, PROPERTY

from services.shared.errors import InvalidRequest, NotFound, NotPermitted
from services.shared.events import new_event
from services.shared.payloads import event_data

SUPERVISOR = {"id": "chen", "name": "督办员 陈刚", "role": "supervisor", "unit_id": None}


def shown(resident_id: str, reader: dict, ticket_no: str = "YP20261124-0001") -> dict:
    return new_event("dispatch", "card_shown",
                     event_data("card_shown", resident_id=resident_id, ticket_no=ticket_no,
                                level="card_summary"), actor=reader)


def test_a_supervisor_lists_every_look_at_a_card(service, resident):
    number = resident["resident_id"]
    service.get_resident(number, GRID)
    service.on_card_shown(shown(number, PROPERTY))
    service.find_residents({"id": "a", "name": "话务员", "role": "agent", "unit_id": None},
                           phone="13800000001")

    looks = service.card_views(number, SUPERVISOR)
    assert sorted((look["actor"]["id"], look["via"]) for look in looks) == [
        ("a", "phone_lookup"), ("wang", "ticket YP20261124-0001"), ("zhou", "card")]
    assert [look["at"] for look in looks] == sorted((look["at"] for look in looks),
                                                    reverse=True)  # newest first
    assert len(service.card_views(number, SUPERVISOR)) == 3  # listing them is not a look


def test_a_card_shown_said_twice_is_recorded_once(service, resident):
    event = shown(resident["resident_id"], PROPERTY)
    service.on_card_shown(event)
    service.on_card_shown(event)
    assert len(service.card_views(resident["resident_id"], ADMIN)) == 1


def test_only_supervisors_and_admins_list_them_and_nobody_learns_who_is_registered(
        service, resident):
    for reader in (GRID, PROPERTY, {**SUPERVISOR, "role": "agent"}):
        with pytest.raises(NotPermitted):
            service.card_views(resident["resident_id"], reader)
    elsewhere = {**SUPERVISOR, "district": "未央区"}
    with pytest.raises(NotPermitted):
        service.card_views(resident["resident_id"], elsewhere)
    with pytest.raises(NotPermitted):  # the same as for one of theirs
        service.card_views("R-nobody", elsewhere)
    with pytest.raises(NotFound):
        service.card_views("R-nobody", ADMIN)
    with pytest.raises(InvalidRequest):
        service.card_views(resident["resident_id"], ADMIN, limit=0)
