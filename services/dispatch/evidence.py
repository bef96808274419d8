"""A ticket's record beside its state: internal notes between staff (内部备注) and the
photos and documents attached to it (现场照片), at any step or on their own.

Whoever may work the ticket adds to it (steps.ADD_NOTE, steps.ATTACH: its unit, assisting
units, the centre, supervisors, admins); whoever may read the ticket reads it
(access.py). A note is said as ``note_added`` and an attachment as ``attachment_added``
(its name, type and size, never its bytes): the ledger records both; the public feed
carries neither, and nothing here is told to the caller.

Plain functions, no broker and no database: the bytes are kept by the service's files
(services/shared/files.py) before the change is applied, and forgotten if it is refused.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.dispatch import steps
from services.dispatch.steps import ADD_NOTE, ATTACH, Change
from services.dispatch.ticket_state import Attachment, Event, Note, TicketState
from services.shared.errors import InvalidRequest
from services.shared.evidence import Prepared


def add_note(state: TicketState, actor: dict, text: str, now: dt.datetime) -> Change:
    """An internal note on the ticket, by someone who may work it."""
    steps.check(ADD_NOTE, state, actor)
    if not text or not text.strip():
        raise InvalidRequest({"note": ["Write the note."]})
    note: Note = {"note_id": uuid.uuid4().hex, "at": now, "by": _by(actor), "text": text}
    return steps.change(state, now, {"notes": [*state.get("notes", []), note]}, [
        steps.event("note_added", state, actor, unit_id=state["unit_id"],
                    note_id=note["note_id"], note=text)])


def attachment(prepared: Prepared, file_id: str, thumb_id: str | None, actor: dict,
               now: dt.datetime, step: str | None, ticket_state: str) -> Attachment:
    """The record of a file kept under ``file_id`` (and its thumbnail under ``thumb_id``)."""
    return {"attachment_id": uuid.uuid4().hex, "file_id": file_id, "thumb_id": thumb_id,
            "name": prepared.name, "content_type": prepared.content_type,
            "size": len(prepared.data), "width": prepared.width, "height": prepared.height,
            "at": now, "by": _by(actor), "step": step, "state": ticket_state}


def attach(state: TicketState, actor: dict, attachments: list[Attachment],
           now: dt.datetime) -> Change:
    """Photos or documents attached on their own (not with a step)."""
    steps.check(ATTACH, state, actor)
    if not attachments:
        raise InvalidRequest({"files": ["Attach at least one file."]})
    return steps.change(state, now, {"attachments": [*state.get("attachments", []),
                                                     *attachments]},
                        attached_events(state, actor, attachments))


def attached_events(state: TicketState, actor: dict,
                    attachments: list[Attachment]) -> list[Event]:
    """``attachment_added`` for each attachment: what it is, never its bytes."""
    return [steps.event("attachment_added", state, actor, unit_id=state["unit_id"],
                        attachment_id=item["attachment_id"], name=item["name"],
                        content_type=item["content_type"], size=item["size"],
                        step=item["step"]) for item in attachments]


def find(state: TicketState, attachment_id: str) -> Attachment | None:
    return next((item for item in state.get("attachments", [])
                 if item["attachment_id"] == attachment_id), None)


def notes_view(state: TicketState) -> list[dict[str, Any]]:
    """The notes as a reader of the ticket sees them, oldest first."""
    return [dict(note) for note in state.get("notes", [])]


def attachments_view(state: TicketState) -> list[dict[str, Any]]:
    """The attachments as a reader of the ticket sees them (no file ids), oldest first."""
    return [{"attachment_id": item["attachment_id"], "name": item["name"],
             "content_type": item["content_type"], "size": item["size"],
             "width": item["width"], "height": item["height"],
             "thumbnail": item["thumb_id"] is not None, "at": item["at"], "by": item["by"],
             "step": item["step"], "state": item["state"]}
            for item in state.get("attachments", [])]


def _by(actor: dict) -> dict[str, Any]:
    return {"id": actor["id"], "name": actor["name"], "role": actor["role"],
            "unit_id": actor.get("unit_id")}
