"""The register at intake: a caller in the register is answered first and the ticket carries
their card; a missed check-in opens exactly one urgent welfare check."""
import pytest
from intake_support import CALL_CENTRE, lamp_request, published

from services.intake import residents
from services.shared.events import new_event
from services.shared.payloads import event_data
from services.shared.schemas import SYSTEM_ACTOR

PHONE = "+8613800000009"
HOME = {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村",
        "estate": "开鲁新村", "building": "15号", "room": "502", "detail": None}


def card(**changes) -> dict:
    resident = {
        "resident_id": "r-0001", "name": "周奶奶", "phones": [PHONE, "+862165430000"],
        "address": dict(HOME), "birth_date": "1927-03-08", "living_status": "alone",
        "groups": ["childless"],
        "emergency_contacts": [
            {"name": "周建国", "relation": "儿子", "phone": "+8613900000001"},
            {"name": "王芳", "relation": None, "phone": "+8613900000002"}],
        "grid_unit_id": "yinhang-grid-1", "grid_worker": "李琳",
        "checkin_plan": {"days": [1, 2, 3, 4, 5, 6, 7], "times": ["10:00", "15:00"],
                         "paused": False, "paused_until": None},
        "retired": False,
    }
    resident.update(changes)
    return resident


def register_changed(version: int, change: str = "changed", **changes) -> dict:
    return new_event("register", "register_changed", event_data(
        "register_changed", change=change, resident=card(**changes), version=version))


def checkin_missed(**changes) -> dict:
    return new_event("callback", "checkin_missed", event_data(
        "checkin_missed", task_id="task-1", resident_id="r-0001", attempts=3,
        planned_for="2026-11-23T02:00:00.000Z", resident=card(**changes)))


def resident_call(**changes) -> dict:
    return lamp_request(**{"caller": {"name": "周奶奶", "phone": "13800000009"},
                           "category": "home_repair", "description": "卫生间水龙头漏水",
                           **changes})


# A caller in the register (一号专线)

def test_a_caller_in_the_register_is_answered_first_with_their_card(service):
    service.keep_resident(register_changed(1, "added"))

    ticket = service.create_ticket(resident_call(), CALL_CENTRE)

    assert (ticket["priority"], ticket["priority_reasons"]) == ("high", ["registered_resident"])
    assert ticket["resident"]["resident_id"] == "r-0001"
    assert ticket["resident"]["emergency_contacts"][0]["name"] == "周建国"
    [(_, created)] = published(service)
    assert created["data"]["resident"] == ticket["resident"]
    # a reader of the ticket as received learns who it is about; the card itself is read
    # from dispatch's ticket view or the register, which record each read
    assert service.get_ticket(ticket["ticket_no"], SYSTEM_ACTOR)["resident"] == {
        "resident_id": ticket["resident"]["resident_id"], "name": ticket["resident"]["name"]}


def test_any_of_the_residents_phones_finds_them(service):
    service.keep_resident(register_changed(1, "added"))
    ticket = service.create_ticket(
        resident_call(caller={"name": "周奶奶", "phone": "021-65430000"}), CALL_CENTRE)
    assert ticket["resident"]["resident_id"] == "r-0001"


def test_other_callers_are_not_in_the_register(service):
    service.keep_resident(register_changed(1, "added"))
    ticket = service.create_ticket(lamp_request(), CALL_CENTRE)
    assert (ticket["priority"], ticket["resident"]) == ("normal", None)
    anonymous = service.create_ticket(lamp_request(caller={"anonymous": True},
                                                   description="路口垃圾没人清运"), CALL_CENTRE)
    assert anonymous["resident"] is None


def test_a_couple_on_one_phone_each_get_their_own_card(service):
    service.keep_resident(register_changed(1, "added"))
    service.keep_resident(new_event("register", "register_changed", event_data(
        "register_changed", change="added", version=1,
        resident=card(resident_id="r-0002", name="周爷爷"))))

    grandpa = service.create_ticket(resident_call(caller={"name": "周爷爷", "phone": PHONE}),
                                    CALL_CENTRE)
    unnamed = service.create_ticket(resident_call(caller={"phone": PHONE}, merge=False),
                                    CALL_CENTRE)

    assert grandpa["resident"]["resident_id"] == "r-0002"
    assert unnamed["resident"]["resident_id"] == "r-0001"  # the first registered


def test_a_retired_resident_is_no_longer_found(service):
    service.keep_resident(register_changed(1, "added"))
    service.keep_resident(register_changed(2, "retired", retired=True))
    service.keep_resident(register_changed(1, "added"))  # older, arriving late

    ticket = service.create_ticket(resident_call(), CALL_CENTRE)
    assert (ticket["priority"], ticket["resident"]) == ("normal", None)


def test_the_latest_version_of_the_card_wins_and_a_redelivery_changes_nothing(service, store):
    service.keep_resident(register_changed(2, phones=["+8613800000010"]))
    first = register_changed(1, "added")
    service.keep_resident(first)
    service.keep_resident(dict(first))

    assert service.create_ticket(resident_call(), CALL_CENTRE)["resident"] is None  # the old phone
    moved = service.create_ticket(resident_call(caller={"name": "周奶奶",
                                                        "phone": "13800000010"}, merge=False),
                                  CALL_CENTRE)
    assert moved["resident"]["phones"] == ["+8613800000010"]
    assert store.residents.count_documents({}) == 1


def test_a_malformed_register_change_is_dropped(service, store):
    event = register_changed(1, "added")
    del event["data"]["resident"]["name"]
    service.keep_resident(event)
    assert store.residents.count_documents({}) == 0


# A missed check-in

def test_a_missed_check_in_opens_one_urgent_welfare_check(service, store):
    service.open_welfare_check(checkin_missed())

    [ticket] = [t for t in store.tickets.find()]
    assert ticket["ticket_no"].startswith("YP")
    assert (ticket["channel"], ticket["kind"], ticket["category"]) == (
        "checkin", "help", "welfare_check")
    assert (ticket["urgency"], ticket["priority"]) == ("urgent", "high")
    assert ticket["priority_reasons"] == ["urgent", "welfare_check", "registered_resident"]
    assert ticket["caller"] == {"name": "周奶奶", "phone": PHONE, "anonymous": False}
    assert ticket["address"] == HOME
    assert ticket["resident"]["emergency_contacts"][1]["phone"] == "+8613900000002"
    assert ticket["description"] == (
        "定时探访电话 11月23日 10:00 3次未接通，请网格员立即上门查看周奶奶的情况。"
        "紧急联系人：周建国（儿子）、王芳，电话见居民卡片。")
    assert ticket["external_id"].startswith("checkin-missed:")
    [(event_type, created)] = published(service)
    assert event_type == "ticket_created" and created["actor"] == SYSTEM_ACTOR
    assert created["data"]["resident"]["resident_id"] == "r-0001"


def test_a_redelivered_missed_check_in_opens_no_second_ticket(service, store):
    event = checkin_missed()
    service.open_welfare_check(event)
    service.open_welfare_check(dict(event))
    assert store.tickets.count_documents({}) == 1
    assert len(published(service)) == 1


def test_each_missed_check_in_gets_its_own_ticket_never_merged(service, store):
    service.open_welfare_check(checkin_missed())
    service.open_welfare_check(checkin_missed())
    assert store.tickets.count_documents({"category": "welfare_check"}) == 2
    # nor does a later call merge into a welfare check
    call = service.create_ticket(lamp_request(
        caller={"name": "周奶奶", "phone": PHONE}, category="welfare_check", address=dict(HOME),
        description="定时探访电话 11月23日 10:00 3次未接通，请网格员立即上门查看周奶奶的情况。"),
                                 CALL_CENTRE)
    assert call["calls"] == 1
    assert store.tickets.count_documents({"category": "welfare_check"}) == 3


def test_a_resident_without_contacts_or_phone_still_gets_a_visit(service, store):
    service.open_welfare_check(checkin_missed(emergency_contacts=[], phones=[]))
    [ticket] = list(store.tickets.find())
    assert ticket["caller"]["phone"] is None
    assert ticket["description"].endswith("紧急联系人：未登记。")


def test_a_malformed_missed_check_in_is_dropped(service, store):
    event = checkin_missed()
    del event["data"]["resident"]
    service.open_welfare_check(event)
    assert store.tickets.count_documents({}) == 0


@pytest.mark.parametrize("caller, expected", [
    ({"name": "周爷爷"}, "r-0002"), ({"name": "别人"}, "r-0001"), ({}, "r-0001")])
def test_card_for_prefers_the_callers_name(caller, expected):
    cards = [card(resident_id="r-0002", name="周爷爷"), card()]
    assert residents.card_for(caller, cards)["resident_id"] == expected
    assert residents.card_for(caller, []) is None


def test_every_reason_to_answer_first_has_its_word_for_the_console():
    from services.intake import reception
    from services.shared.words import PRIORITY_REASON_WORDS

    card = {"resident_id": "r-0001"}
    urgent_welfare = {**lamp_request(), "urgency": "urgent", "category": "welfare_check"}
    _, reasons = reception.priority_of(urgent_welfare, card)
    assert set(reasons) == {"urgent", "welfare_check", "registered_resident"}
    assert set(reasons) <= set(PRIORITY_REASON_WORDS)


# Health notes stay in the register

def test_health_notes_said_by_an_older_register_are_not_kept_nor_passed_on(service, store):
    event = register_changed(1, "added")
    event["data"]["resident"]["health_notes"] = "高血压，行动不便"  # said before they left
    service.keep_resident(event)
    missed = checkin_missed()
    missed["data"]["resident"]["health_notes"] = "高血压，行动不便"
    service.open_welfare_check(missed)
    call = service.create_ticket(resident_call(), CALL_CENTRE)

    # read, kept and acted on, without them
    assert call["resident"]["resident_id"] == "r-0001"
    assert store.tickets.count_documents({"category": "welfare_check"}) == 1
    assert "高血压" not in str(list(store.residents.find()))
    assert "高血压" not in str(list(store.tickets.find()))
    assert "health_notes" not in str(published(service))


def test_a_card_kept_before_health_notes_left_it_still_makes_a_ticket(service, store):
    service.keep_resident(register_changed(1, "added"))
    store.residents.update_one({"_id": "r-0001"}, {"$set": {"card.health_notes": "高血压"}})

    ticket = service.create_ticket(resident_call(), CALL_CENTRE)

    assert ticket["resident"]["resident_id"] == "r-0001"
    assert "health_notes" not in ticket["resident"]
    assert "health_notes" not in store.get(ticket["ticket_no"])["resident"]
    [(_, created)] = published(service)
    assert "health_notes" not in created["data"]["resident"]
