"""Personal information (个人信息): callers' phone numbers and rooms are shown in full only
to those who need them for the ticket in hand, and masked everywhere else, logs included.
"""
from __future__ import annotations

from typing import Any

import phonenumbers

HIDDEN_ADDRESS_LEVELS = ("room", "detail")


def mask_phone(phone: str | None) -> str | None:
    """138****5678: the national number with its first 3 and last 4 digits kept."""
    if not phone:
        return phone
    try:
        number = phonenumbers.parse(phone, "CN")
        # as dialled at home: 13812345678, 02112345678 (a landline keeps its 0)
        digits = "".join(ch for ch in phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL) if ch.isdigit())
    except phonenumbers.NumberParseException:
        digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 8:  # too short to keep 7 digits and still hide anything
        return "*" * max(len(digits) - 2, 0) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_caller(caller: dict | None) -> dict | None:
    """The caller with the phone masked (the name stays: the handler greets them by it)."""
    if not caller:
        return caller
    return {**caller, "phone": mask_phone(caller.get("phone"))}


def mask_address(address: dict | None) -> dict | None:
    """The address down to the building; room and free-text detail hidden."""
    if not address:
        return address
    return {**address, **{level: "***" for level in HIDDEN_ADDRESS_LEVELS if address.get(level)}}


def mask_payload(data: Any) -> Any:
    """Any event data or answer with every ``caller``, ``address`` and ``phone`` in it masked
    (for timelines and feeds shown to people who may not see them)."""
    if isinstance(data, list):
        return [mask_payload(item) for item in data]
    if not isinstance(data, dict):
        return data
    masked: dict[str, Any] = {}
    for key, value in data.items():
        if key == "caller" and isinstance(value, dict):
            masked[key] = mask_caller(value)
        elif key == "address" and isinstance(value, dict):
            masked[key] = mask_address(value)
        elif key in ("phone", "phones") and value:
            masked[key] = [mask_phone(v) for v in value] if isinstance(value, list) \
                else mask_phone(value)
        else:
            masked[key] = mask_payload(value)
    return masked
