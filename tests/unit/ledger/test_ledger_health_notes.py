"""Health notes stay in the register: no event carries them any more, and entries the
ledger recorded before, which keep them (the chain hashes what was recorded), never serve
them."""
import json

from ledger_events import READER, said

from services.ledger import record
from services.shared import clock

NO = "YP20261123-0001"
CARD = {"resident_id": "r-1", "name": "孙奶奶", "phones": ["+8613800000009"],
        "address": {"district": "普陀区"},
        "emergency_contacts": [{"name": "孙明", "relation": "儿子", "phone": "+8613900000009"}]}


def recorded_before(store, event: dict) -> dict:
    """The entry as the ledger recorded it when cards still carried health notes."""
    entry = record.entry_of(event, clock.now())
    entry["data"]["resident"]["health_notes"] = "高血压，行动不便"
    appended, _ = store.append(entry)
    if appended["ticket_no"] is not None:
        store.apply_to_ticket(appended)
    return appended


def test_an_old_entry_keeps_its_health_notes_and_the_ledger_serves_none(service, store):
    recorded_before(store, said("ticket_created", NO, "2026-11-23T02:00:00Z",
                                resident=dict(CARD)))
    missed = said("checkin_missed", None, "2026-11-23T03:00:00Z", resident=dict(CARD))
    recorded_before(store, missed)

    stored = store.entries.find_one({"_id": missed["event_id"]})
    assert stored["data"]["resident"]["health_notes"] == "高血压，行动不便"  # not rewritten
    assert service.verify(READER)["broken"] == []

    answers = [service.timeline(NO, READER), service.recent(READER),
               service.tickets(READER, ticket_nos=[NO]),
               service.tickets_of_resident("r-1", READER), service.public_requests()]
    text = json.dumps(answers, ensure_ascii=False)
    assert "health_notes" not in text and "高血压" not in text
    [created] = service.timeline(NO, READER)  # the card itself is read where it is recorded
    assert created["data"]["resident"] == {"resident_id": "r-1", "name": "孙奶奶"}


def test_an_event_still_carrying_health_notes_is_recorded_without_them(service, store,
                                                                         deliver):
    # said by a producer from before the change, on its way during an upgrade
    event = said("checkin_missed", None, "2026-11-23T03:00:00Z", resident=dict(CARD))
    event["data"]["resident"]["health_notes"] = "高血压"
    deliver(event)

    stored = store.entries.find_one({"_id": event["event_id"]})
    assert "health_notes" not in stored["data"]["resident"]
    assert stored["data"]["resident"]["name"] == "孙奶奶"
    assert service.verify(READER)["broken"] == []
