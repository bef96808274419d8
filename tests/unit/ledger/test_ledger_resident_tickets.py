"""The tickets intake received with a resident's card on them, which the register asks
for when someone who may read the card opens it."""
import pytest
from ledger_events import READER, said

from services.shared.errors import InvalidRequest

ADDRESS = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
           "estate": "开鲁新村", "building": "12号", "room": "302"}
CARD = {"resident_id": "R-zhang", "name": "孤老张老伯", "phones": ["+8613800000001"],
        "address": ADDRESS}


def test_the_tickets_received_with_a_residents_card_are_theirs_newest_first(service, deliver):
    deliver(said("ticket_created", "YP20261123-0001", "2026-11-23T02:00:00Z", resident=CARD,
                 description="家里没电了"),
            said("ticket_created", "YP20261123-0002", "2026-11-23T03:00:00Z"),
            said("ticket_created", "YP20261124-0001", "2026-11-24T01:00:00Z", resident=CARD,
                 category="welfare_check", kind="help"))

    listed = service.tickets_of_resident("R-zhang", READER)

    assert [row["ticket_no"] for row in listed] == ["YP20261124-0001", "YP20261123-0001"]
    assert listed[1]["description"] == "家里没电了"
    assert service.tickets_of_resident("R-nobody", READER) == []


def test_a_resident_id_is_required(service):
    with pytest.raises(InvalidRequest):
        service.tickets_of_resident("", READER)
