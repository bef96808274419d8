"""The register at intake (台账): callers who are vulnerable residents, and the welfare check
a missed check-in calls for.

intake keeps the residents' cards as the register's ``register_changed`` events carry
them (event-carried state: no call to the register while a caller waits). A caller whose
phone is a resident's is answered first (一号专线) and the ticket carries the card. A
check-in nobody answered (callback's ``checkin_missed``) opens one urgent welfare check
for the resident's grid, the resident as its caller. Plain functions, no broker and no
database.
"""
from __future__ import annotations

from services.shared import clock

REGISTERED_RESIDENT = "registered_resident"  # the priority reason: a caller in the register
CHECKIN_CHANNEL = "checkin"  # tickets opened on a missed check-in


def card_for(caller: dict, cards: list[dict]) -> dict | None:
    """The card of the caller among the residents who share their phone: the one of the
    caller's name (a couple on one landline), else the first registered."""
    if not cards:
        return None
    named = [card for card in cards if caller.get("name") and card["name"] == caller["name"]]
    return (named or sorted(cards, key=lambda card: card["resident_id"]))[0]


def contacts_line(card: dict) -> str:
    """The emergency contacts by name and relation. Their phones are on the card, shown in
    full only to the ticket's unit: a description is read by everyone who sees the ticket."""
    named = [f"{contact['name']}（{contact['relation']}）" if contact.get("relation")
             else contact["name"] for contact in card.get("emergency_contacts") or []]
    return "、".join(named) + "，电话见居民卡片" if named else "未登记"


def welfare_description(missed: dict) -> str:
    """What the grid worker reads: when the check-in was, how many calls went unanswered,
    whom to go and see, and whom to tell."""
    card = missed["resident"]
    planned = clock.local(clock.parse_iso(missed["planned_for"]))
    return (f"定时探访电话 {planned.month}月{planned.day}日 {planned:%H:%M} "
            f"{missed['attempts']}次未接通，请网格员立即上门查看{card['name']}的情况。"
            f"紧急联系人：{contacts_line(card)}。")


def welfare_check(missed: dict, external_id: str) -> dict:
    """The request for the welfare check a missed check-in (``checkin_missed`` data) calls
    for, shaped like a validated create_ticket request: urgent, the resident as caller at
    their own address, never merged, numbered once per ``external_id``."""
    card = missed["resident"]
    phones = card.get("phones") or []
    return {
        "channel": CHECKIN_CHANNEL,
        "caller": {"name": card["name"], "phone": phones[0] if phones else None,
                   "anonymous": False},
        "kind": "help",
        "category": "welfare_check",
        "description": welfare_description(missed),
        "address": card["address"],
        "urgency": "urgent",
        "answer": None,
        "external_id": external_id,
        "merge": False,
        "praise": None,
    }
