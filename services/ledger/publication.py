"""What the public may read of a ticket: the Open311 feed (``public_requests``,
``public_request``), read by anyone, with no key.

A ticket is shown by its category, state, times, handling unit and place down to the
community. Its description is shown only where the ticket's kind and channel are ones the
publication policy (the ledger's ``PUBLICATION`` setting, deploy/ledger.yml) lists, and
then with the phones, ID and card numbers and names typed into it redacted
(privacy.redact). Whatever the policy says, these are never published:

- welfare checks (category ``welfare_check``) and the tickets the system writes itself
  from the register and its check-ins (channel ``checkin``): they tell of a vulnerable
  resident, alone at home, and whom to call;
- tickets about a resident of the register (a caller found in it, 一号专线), for the
  same reason;
- tickets of callers who asked to stay anonymous.

Plain functions, no broker and no database: the service reads the rows and entries.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.ledger import record
from services.shared.privacy import redact
from services.shared.schemas import CHANNELS, KINDS, SYSTEM_CHANNELS

NEVER_CATEGORIES = frozenset({"welfare_check"})
NEVER_CHANNELS = frozenset(SYSTEM_CHANNELS)  # written by the system from the register


@dataclass(frozen=True)
class Publication:
    """The kinds and channels whose tickets' descriptions the public may read."""

    kinds: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()


def publication_from(settings: dict | None) -> Publication:
    """The policy of the ``PUBLICATION`` setting, ``{"kinds": [...], "channels": [...]}``.
    Left out, nothing is described: publishing is asked for, never assumed. ValueError for
    an unknown kind or channel, or a channel that is never published (the service does
    not start on it)."""
    settings = settings or {}
    kinds = frozenset(settings.get("kinds") or ())
    channels = frozenset(settings.get("channels") or ())
    unknown_kinds = sorted(kinds - set(KINDS))
    if unknown_kinds:
        raise ValueError(f"PUBLICATION.kinds: unknown kinds {unknown_kinds}")
    never = sorted(channels & NEVER_CHANNELS)
    if never:
        raise ValueError(f"PUBLICATION.channels: {never} are never published (the "
                         "register's tickets)")
    unknown_channels = sorted(channels - set(CHANNELS))
    if unknown_channels:
        raise ValueError(f"PUBLICATION.channels: unknown channels {unknown_channels}")
    return Publication(kinds, channels)


def describable(publication: Publication, received: dict) -> bool:
    """Whether the public may read the description of the ticket ``received`` (its
    ticket_created data). The rules of the module's docstring come first, so no policy
    can publish a welfare check, a register's ticket or an anonymous caller's."""
    caller = received.get("caller") or {}
    if (received.get("category") in NEVER_CATEGORIES
            or received.get("channel") in NEVER_CHANNELS
            or received.get("resident") is not None
            or caller.get("anonymous") or not caller):
        return False
    return received.get("kind") in publication.kinds and \
        received.get("channel") in publication.channels


def known_names(received: dict) -> list[str]:
    """The names the ticket itself gives (the caller's; a resident's and their contacts'
    on an old ticket): redacted wherever they appear in the text."""
    caller = received.get("caller") or {}
    resident = received.get("resident") or {}
    names: Iterable[str | None] = (
        caller.get("name"), resident.get("name"),
        *(contact.get("name") for contact in resident.get("emergency_contacts") or []))
    return [name for name in names if name]


def public_description(publication: Publication, received: dict | None) -> str | None:
    """The description as the public reads it, redacted; None where it is not published
    (or the ledger has not recorded the ticket's creation yet)."""
    if not received or not describable(publication, received):
        return None
    return redact(received.get("description") or "", known_names(received))


def public_media_url(publication: Publication, received: dict | None) -> str | None:
    """The media_url the caller sent (a photo of the broken lamp) as the public reads it:
    under the description's rules, since a photo tells as much as words; None where the
    description is not published or none was sent."""
    if not received or not describable(publication, received):
        return None
    return received.get("media_url")


def public_request(publication: Publication, row: dict, created: dict | None) -> dict:
    """A ticket as the public reads it (PublicRequestSchema): the read-model ``row`` and
    its ticket_created entry ``created``. Nothing of the caller, the address below the
    community, or any free text but the published description."""
    view = record.as_view(row)
    received = (created or {}).get("data")
    return {
        "ticket_no": view["ticket_no"],
        "category": view["category"],
        "state": view["state"],
        "unit_name": view["unit_name"],
        "place": {level: (view["place"] or {}).get(level) for level in record.PLACE_LEVELS},
        "received_at": view["received_at"],
        "updated_at": view["last_event_at"] or view["received_at"],
        "resolve_by": (view["deadlines"] or {}).get("resolve_by"),
        "description": public_description(publication, received),
        "media_url": public_media_url(publication, received),
    }

