"""Recording events: the rules that turn an envelope into a ledger entry, say in one
sentence what an entry records, and keep the ``tickets`` read model (with each ticket's
contributions to the indicators, see contributions.py).

Plain functions, no broker and no database: the store and the service do the I/O.

An entry is the event as it was said, never changed once written::

    {"_id": event_id, "ticket_no", "seq", "event_type", "source", "schema_version",
     "occurred_at" (datetime), "recorded_at" (datetime), "actor", "data",
     "caused_by", "ticket_version"}   # the last two only where the event said them

``seq`` numbers one ticket's entries 1, 2, 3… in the order the ledger recorded them;
an event without a ticket has ``ticket_no`` and ``seq`` null, and its place in its own
chain (``chain``, ``chain_seq``). Every entry also carries ``prev_hash`` and ``hash``, the
tamper-evident chain of chain.py.
"""
from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from services.ledger import chain, contributions, search
from services.shared import access, clock
from services.shared.states import (
    ACCEPTED,
    ASSIST_ACCEPTED,
    ASSIST_ADDED,
    ASSIST_OWING,
    ASSIST_RELEASED,
    ASSIST_REPORTED,
    CLOSED,
    CONTACTED,
    DISPATCHED,
    PENDING,
    PRAISE,
    RECEIVED,
    RESOLVED,
)
from services.shared.words import (
    DEADLINE_WORDS,
    OUTCOME_WORDS,
    REGISTER_CHANGE_WORDS,
    ROLE_WORDS,
    SESSION_END_WORDS,
)

# --- entries -----------------------------------------------------------------------------


def entry_of(event: dict, recorded_at: dt.datetime) -> dict:
    """The entry for a validated envelope, before the store numbers it (``seq`` null)."""
    return {
        "_id": event["event_id"],
        "ticket_no": event.get("ticket_no"),
        "seq": None,
        "event_type": event["event_type"],
        "source": event["source"],
        "schema_version": event.get("schema_version"),
        "occurred_at": clock.parse_iso(event["occurred_at"]),
        "recorded_at": recorded_at,
        "actor": event.get("actor"),
        "data": kept_data(event["event_type"], event.get("data") or {}),
        **{name: event[name] for name in chain.CAUSAL_FIELDS if event.get(name) is not None},
    }


HEALTH_NOTES = "health_notes"


def kept_data(event_type: str, data: dict) -> dict:
    """What the ledger keeps of an event's data: all of it but health notes, except a
    register change, of which it keeps who and which resident, the kind of change, the
    version and the grid, not the card. The card (phones, address, birth date, health
    notes, contacts) and its history stay in the register, which answers for who reads
    them; the ledger's record is for good and read more widely. No event carries health
    notes any more; one said by a producer from before that still loses them here."""
    if event_type != "register_changed":
        return without_health_notes(data)
    resident = data.get("resident") or {}
    return {"change": data.get("change"), "version": data.get("version"),
            "resident_id": resident.get("resident_id"),
            "grid_unit_id": resident.get("grid_unit_id"),
            "retired": bool(resident.get("retired"))}


def without_health_notes(data: Any) -> Any:
    """``data`` with every ``health_notes`` taken out, at any depth (a ticket's
    ``resident``, a missed check-in's). Entries recorded before the cards lost them keep
    them, since the chain hashes what was recorded; the ledger serves none of them."""
    if isinstance(data, dict):
        return {key: without_health_notes(value) for key, value in data.items()
                if key != HEALTH_NOTES}
    if isinstance(data, list):
        return [without_health_notes(item) for item in data]
    return data


def chained_after(entry: dict, previous: dict | None) -> dict:
    """The entry numbered to follow ``previous``, the last recorded entry of its chain (its
    ticket's, see chain.py; None for the first), carrying ``prev_hash`` and its ``hash``."""
    return chain.link(entry, previous)


def as_item(entry: dict) -> dict:
    """An entry as timeline and feed callers see it (JSON-ready, times as ISO text)."""
    return {
        "seq": entry.get("seq"),
        "event_id": entry["_id"],
        "caused_by": entry.get("caused_by"),
        "ticket_version": entry.get("ticket_version"),
        "ticket_no": entry.get("ticket_no"),
        "event_type": entry["event_type"],
        "source": entry["source"],
        "occurred_at": clock.iso(entry["occurred_at"]),
        "recorded_at": clock.iso(entry["recorded_at"]),
        "actor": entry.get("actor"),
        "data": without_health_notes(entry.get("data") or {}),
        "summary": summary(entry),
    }


# --- a ticket's history in causal order -----------------------------------------------


def causal_order(entries: Iterable[dict]) -> list[dict]:
    """A ticket's entries in the order things happened, as far as the events say it
    themselves: an event after the event that caused it (``caused_by``), and one source's
    events in the order of the versions they brought the ticket to (``ticket_version``,
    dispatch's). Events linked neither way follow when they occurred, then the ledger's
    ``seq``. So a clock stepped back, or two machines' clocks that disagree, never put an
    effect before its cause nor a later change of the ticket before an earlier one; the
    wall clock only places events that say nothing of each other (the ledger's arrival
    order alone would not do: after an outage it takes each source's backlog in turn)."""
    entries = list(entries)
    index_of = {entry["_id"]: index for index, entry in enumerate(entries)}
    before: list[set[int]] = [set() for _ in entries]  # what must come before each entry
    versions: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, entry in enumerate(entries):
        cause = index_of.get(entry.get("caused_by"))
        if cause is not None and cause != index:
            before[index].add(cause)
        if entry.get("ticket_version") is not None:
            versions[entry["source"]][entry["ticket_version"]].append(index)
    for by_version in versions.values():
        ordered = sorted(by_version)
        for lower, higher in zip(ordered, ordered[1:], strict=False):
            for index in by_version[higher]:
                before[index].update(by_version[lower])
    after: list[list[int]] = [[] for _ in entries]
    for index, firsts in enumerate(before):
        for first in firsts:
            after[first].append(index)

    def key(index: int) -> tuple:
        entry = entries[index]
        return clock.iso(entry["occurred_at"]), entry.get("seq") or 0, index

    waiting = [len(earlier) for earlier in before]
    ready = [key(index) for index in range(len(entries)) if not waiting[index]]
    heapq.heapify(ready)
    placed: list[dict] = []
    done = [False] * len(entries)
    while len(placed) < len(entries):
        if not ready:  # links that go round in a circle (never said by the services)
            heapq.heappush(ready, min(key(index) for index in range(len(entries))
                                      if not done[index]))
        index = heapq.heappop(ready)[-1]
        if done[index]:
            continue
        done[index] = True
        placed.append(entries[index])
        for later in after[index]:
            waiting[later] -= 1
            if waiting[later] == 0 and not done[later]:
                heapq.heappush(ready, key(later))
    return placed


# --- summaries: one short sentence per entry, for a console ----------------------------

SUMMARY_TEXT_LIMIT = 40


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SUMMARY_TEXT_LIMIT else text[:SUMMARY_TEXT_LIMIT - 1] + "…"


def _word(words: dict[str, str], value: str | None) -> str:
    return words.get(value or "", str(value))


def _with(head: str, detail: str | None) -> str:
    return f"{head}: {_short(detail)}" if detail else head


def _dispatched(data: dict) -> str:
    unit = data.get("unit_name") or data.get("unit_id") or ""
    if not data.get("routed", True):
        return f"待派: 未找到承办单位, 留在 {unit}"
    if data.get("reason") == "reassigned":
        return f"改派至 {unit}"
    return f"派单至 {unit}"


def _callback_completed(data: dict) -> str:
    """The callback's outcome in words; never its note, which is the dialer's own
    ("scripted: default", a gateway's status): kept in the entry's data, not said."""
    outcome = data.get("outcome")
    if outcome == "unreachable" and not data.get("final", True):
        return "回访: 未接通, 将再次拨打"
    return "回访: " + _word(OUTCOME_WORDS, outcome)


def _callback_scheduled(data: dict) -> str:
    attempt = data.get("attempt") or 1
    return "安排回访" if attempt == 1 else f"安排回访: 第{attempt}次"


def _when(text: str | None) -> str:
    """An event's ISO time as a Shanghai wall-clock time, for a summary."""
    return clock.local(clock.parse_iso(text)).strftime("%Y-%m-%d %H:%M") if text else ""


def _warning(data: dict) -> str:
    share = data.get("share")
    spent = f"已过{share:.0%}" if isinstance(share, (int, float)) else "将至"
    return f"临期预警: {_word(DEADLINE_WORDS, data.get('deadline'))}时限{spent}"


def _extension_requested(data: dict) -> str:
    deadline = _word(DEADLINE_WORDS, data.get("deadline"))
    return _with(f"申请延期{deadline}时限至 {_when(data.get('until'))}", data.get("reason"))


def _extension_decided(data: dict) -> str:
    deadline, due_at = _word(DEADLINE_WORDS, data.get("deadline")), _when(data.get("due_at"))
    head = f"同意延期{deadline}时限至 {due_at}" if data.get("approved") else \
        f"不同意延期{deadline}时限, 仍为 {due_at}"
    return _with(head, data.get("note"))


def _pause_decided(data: dict) -> str:
    if not data.get("approved"):
        return _with("不同意挂起", data.get("note"))
    head = f"同意挂起至 {_when(data['resume_on'])}" if data.get("resume_on") else "同意挂起"
    return _with(head, data.get("note"))


def _resumed(data: dict) -> str:
    how = "挂起到期恢复办理" if data.get("by") == "date" else "恢复办理"
    return (f"{how}, 挂起 {data.get('paused_hours') or 0:.1f} 小时, "
            f"办结时限 {_when(data.get('due_at'))}")


def _assist(doing: str):
    """An assist event's summary: ``doing`` says what the assisting unit did."""
    return lambda data: _with(doing.format(unit=data.get("unit_name") or data.get("unit_id")),
                              data.get("note"))


def _assigned(data: dict) -> str:
    """"李四 接单" when they took it themselves, "指派给 张三" when given it."""
    name = data.get("assignee_name") or data.get("assignee") or ""
    return f"{name} 接单" if data.get("taken") else f"指派给 {name}"


def _merged(data: dict) -> str:
    return _with(f"重复来电并入 (第{data.get('calls')}次来电)", data.get("description"))


def _praise(data: dict) -> str:
    praised = "、".join(filter(None, (data.get("praised_unit_id"), data.get("praised_ticket_no"))))
    return _with(f"表扬 {praised}" if praised else "表扬", data.get("description"))


ACCOUNT_FIELD_WORDS = {"name": "姓名", "role": "角色", "unit_id": "所属单位",
                       "active": "启用状态", "password": "密码"}


def _account(data: dict) -> str:
    """An account_changed entry (no password or token in it: only what changed)."""
    who, change = f"账号 {data.get('username')}", data.get("change")
    if change == "created":
        return f"新建{who} ({_word(ROLE_WORDS, data.get('role'))})"
    if change == "password_changed":
        return f"修改{who} 的密码"
    if change == "token_issued":
        return f"为{who} 签发 API 令牌 {data.get('token_id')}"
    if change == "token_revoked":
        return f"撤销{who} 的 API 令牌 {data.get('token_id')}"
    if change == "locked":
        return f"{who} 登录失败次数过多, 已临时锁定"
    if data.get("fields") == ["active"] and data.get("active") is not None:
        return f"{'启用' if data['active'] else '停用'}{who}"
    named = "、".join(_word(ACCOUNT_FIELD_WORDS, name) for name in data.get("fields") or [])
    return f"修改{who}: {named}" if named else f"修改{who}"


def _session_ended(data: dict) -> str:
    ended = len(data.get("session_ids") or [])
    return (f"账号 {data.get('username')} 的 {ended} 个登录会话已结束: "
            f"{_word(SESSION_END_WORDS, data.get('reason'))}")


SUMMARIES = {
    "ticket_created": lambda d: _with("受理", d.get("description")),
    "ticket_answered": lambda d: _with("直接答复", d.get("answer")),
    "ticket_merged": _merged,
    "praise_received": _praise,
    "ticket_dispatched": _dispatched,
    "ticket_accepted": lambda d: "签收",
    "ticket_returned": lambda d: _with("退单", d.get("reason")),
    "ticket_contacted": lambda d: _with("联系市民", d.get("note")),
    "ticket_resolved": lambda d: _with("办结", d.get("resolution")),
    "ticket_overdue": lambda d: "超时: " + _word(DEADLINE_WORDS, d.get("deadline")),
    "ticket_closed": lambda d: "结案: " + _word(OUTCOME_WORDS, d.get("outcome")),
    "ticket_reopened": lambda d: "重办: 回访不满意",  # its note is the callback's dialer's
    "ticket_warning": _warning,
    "ticket_urged": lambda d: _with("督办", d.get("note")),
    "extension_requested": _extension_requested,
    "extension_decided": _extension_decided,
    "pause_requested": lambda d: _with("申请挂起", d.get("reason")),
    "pause_decided": _pause_decided,
    "ticket_resumed": _resumed,
    "assist_added": _assist("联勤联动: 增加协办单位 {unit}"),
    "assist_accepted": _assist("协办单位 {unit} 签收"),
    "assist_reported": _assist("协办单位 {unit} 反馈"),
    "assist_released": _assist("协办单位 {unit} 结束协办"),
    "ticket_assigned": _assigned,
    # what a note says and a file's name stay on the ticket page, for its staff (access:
    # evidence): a list, an export or a caller's earlier tickets say only that one came
    "note_added": lambda d: "添加内部备注",
    "attachment_added": lambda d: "上传附件",
    "callback_scheduled": _callback_scheduled,
    "callback_completed": _callback_completed,
    "checkin_scheduled": lambda d: "安排探访电话" + (
        f": 第{d['attempt']}次" if (d.get("attempt") or 1) > 1 else ""),
    "checkin_answered": lambda d: _with("探访电话已接通", d.get("note")),
    "checkin_missed": lambda d: f"探访电话{d.get('attempts') or ''}次未接通, 转网格上门",
    "account_changed": _account,
    "session_ended": _session_ended,
    "register_changed": lambda d: f"台账{_word(REGISTER_CHANGE_WORDS, d.get('change'))}: "
                                  f"{d.get('resident_id')}",
    "card_shown": lambda d: f"查看台账卡片: {d.get('resident_id')} (工单 {d.get('ticket_no')})",
}


def summary(entry: dict) -> str:
    """A short Chinese sentence saying what the entry records ("派单至 …", "退单: 原因").
    Worded when read, not stored, so the wording can change without touching the record."""
    describe = SUMMARIES.get(entry["event_type"])
    return describe(entry.get("data") or {}) if describe else entry["event_type"]


# --- the tickets read model ----------------------------------------------------------------
#
# One row per ticket (_id = ticket_no): its current state, unit, category, received time,
# outcome and reopen count, as the entries so far say. Events of one ticket reach the
# ledger out of order across sources, so every field is decided by the events' own
# order, never by arrival: the state is the one said by the latest event (order_key: the
# ticket's version at dispatch, then occurred_at, then seq), the unit by the latest
# dispatch, the ticket's particulars by ticket_created whenever it arrives. Applying an
# event twice gives the same row.

STATE_OF = {
    "ticket_dispatched": lambda d: DISPATCHED if d.get("routed", True) else PENDING,
    "ticket_accepted": lambda d: ACCEPTED,
    "ticket_returned": lambda d: PENDING,
    "ticket_contacted": lambda d: CONTACTED,
    "ticket_resolved": lambda d: RESOLVED,
    "ticket_closed": lambda d: CLOSED,
    "ticket_reopened": lambda d: DISPATCHED,
    # Before dispatch says anything, the ticket is as intake received it.
    "ticket_created": lambda d: d.get("status") or RECEIVED,
    # A praise call is numbered but never handled: it says only this.
    "praise_received": lambda d: PRAISE,
}
"""The state each event puts a ticket in (dispatch's states, and intake's ``received`` /
``answered`` / ``praise`` until dispatch speaks). Events not listed leave the state alone:
a pause, an extension or an assisting unit are kept beside the state, not in it."""

PARTICULARS = ("category", "kind", "channel", "urgency", "priority")
PLACE_LEVELS = ("district", "subdistrict", "community")  # no building or room: personal
DEADLINE_FIELDS = {"accept": "accept_by", "contact": "contact_by", "resolve": "resolve_by"}
PAUSE_OF = {
    "pause_requested": lambda d: "requested",
    "pause_decided": lambda d: "paused" if d.get("approved") else "refused",
    "ticket_resumed": lambda d: "resumed",
}
"""The word ``pause`` takes from each pause event: requested (申请挂起), paused (the clock
stands still), refused, resumed."""
ASSIST_STATUS = {"assist_added": ASSIST_ADDED, "assist_accepted": ASSIST_ACCEPTED,
                 "assist_reported": ASSIST_REPORTED, "assist_released": ASSIST_RELEASED}


def order_key(entry: dict) -> list:
    """Where an entry stands among the events that decide one field of the read model (all
    dispatch's but intake's first word on the state, which comes before dispatch says
    anything): the version its change brought the ticket to, then occurred_at, then the
    ledger's seq. So a clock stepped back cannot make an earlier change win."""
    return [entry.get("ticket_version") or 0, clock.iso(entry["occurred_at"]),
            entry.get("seq") or 0]


def time_key(entry: dict) -> list:
    """Where an entry stands among the events of every source that the indicators weigh
    against each other (a callback's outcome after the resolution it rates): occurred_at,
    then the ledger's seq. Versions are one source's and do not compare across sources."""
    return [clock.iso(entry["occurred_at"]), entry.get("seq") or 0]


def _kept_key(key: Any) -> list:
    """A key as the row keeps it; one kept before keys led with the version has none."""
    key = list(key)
    return [0, *key] if len(key) == 2 else key


def _later(entry: dict, row: dict, key_field: str) -> bool:
    current = row.get(key_field)
    return current is None or order_key(entry) > _kept_key(current)


def _missed(row: dict, field: str, data: dict) -> list[dict] | None:
    """The row's list of deadlines ``field`` (overdue, warnings) with this one added; None
    when it is there already."""
    missed = {"deadline": data.get("deadline"), "due_at": data.get("due_at")}
    listed = list(row.get(field) or [])
    if missed in listed:
        return None
    return sorted(listed + [missed], key=lambda m: (m["due_at"] or "", m["deadline"] or ""))


def _deadline_changes(row: dict, entry: dict, deadlines: dict[str, str | None]) -> dict:
    """Each deadline set by the latest event that speaks of it (dispatch, reopen, extension
    decided, resumption after a pause)."""
    keys = dict(row.get("deadline_keys") or {})
    current = dict(row.get("deadlines") or {name: None for name in DEADLINE_FIELDS.values()})
    moved = False
    for name, due_at in deadlines.items():
        if keys.get(name) is None or order_key(entry) > _kept_key(keys[name]):
            current[name], keys[name], moved = due_at, order_key(entry), True
    return {"deadlines": current, "deadline_keys": keys} if moved else {}


def ticket_changes(row: dict | None, entry: dict) -> dict:
    """The fields of the ticket's read-model ``row`` (None before its first event) that
    ``entry`` changes, as a ``$set`` document. Order-independent and idempotent."""
    row = row or {}
    data = entry.get("data") or {}
    event_type = entry["event_type"]
    occurred_at = entry["occurred_at"]
    changes: dict = {}

    last = row.get("last_event_at")
    if last is None or occurred_at > clock.as_utc(last):
        changes["last_event_at"] = occurred_at

    if event_type in STATE_OF and _later(entry, row, "state_key"):
        changes.update(state=STATE_OF[event_type](data), state_at=occurred_at,
                       state_key=order_key(entry))

    if event_type == "ticket_created":
        # The ticket as received: these are facts of the ticket, whenever they arrive.
        changes.update({name: data.get(name) for name in PARTICULARS})
        changes["place"] = {level: (data.get("address") or {}).get(level)
                            for level in PLACE_LEVELS}
        changes["received_at"] = clock.parse_iso(data["received_at"]) \
            if data.get("received_at") else occurred_at
        changes[search.RECEIVED_HOUR] = search.received_hour(changes["received_at"])
        changes[search.RECEIVED_DAY] = search.received_day(changes["received_at"])
        changes[search.PLACES] = search.places(changes["place"])
        changes["calls"] = max(row.get("calls") or 1, data.get("calls") or 1)
        changes["praise"] = data.get("praise")
        changes.update(search.created_changes(row, data, entry.get("actor")))
    elif event_type == "ticket_merged":
        # calls counts the first call too; merges may arrive in any order
        changes["calls"] = max(row.get("calls") or 1, data.get("calls") or 1)
        changes.update(search.merged_changes(row, data))
    elif event_type == "praise_received":
        changes["praise"] = {"ticket_no": data.get("praised_ticket_no"),
                             "unit_id": data.get("praised_unit_id")}
    elif event_type == "ticket_dispatched":
        if row.get("received_at") is None:
            # Until ticket_created arrives, dispatch's word for these is the best we have.
            changes.update(category=data.get("category"), priority=data.get("priority"))
        if _later(entry, row, "unit_key"):
            changes.update(unit_id=data.get("unit_id"), unit_name=data.get("unit_name"),
                           unit_key=order_key(entry))
        changes.update(_assignee_changes(row, entry, None, None))
        changes.update(_deadline_changes(row, entry, data.get("deadlines") or {}))
    elif event_type == "ticket_returned":
        changes.update(_assignee_changes(row, entry, None, None))
    elif event_type == "ticket_assigned":
        changes.update(_assignee_changes(row, entry, data.get("assignee"),
                                         data.get("assignee_name")))
    elif event_type == "ticket_closed":
        if _later(entry, row, "outcome_key"):  # a ticket closed again ends as last closed
            changes.update(outcome=data.get("outcome"), closed_at=occurred_at,
                           outcome_key=order_key(entry))
    elif event_type == "ticket_reopened":
        count = data.get("reopen_count") or 0
        if count > (row.get("reopen_count") or 0):
            changes["reopen_count"] = count
        changes.update(_deadline_changes(row, entry, data.get("deadlines") or {}))
    elif event_type in ("ticket_overdue", "ticket_warning"):
        field = "overdue" if event_type == "ticket_overdue" else "warnings"
        listed = _missed(row, field, data)
        if listed is not None:
            changes[field] = listed
    elif event_type == "ticket_urged":
        changes["urge_count"] = (row.get("urge_count") or 0) + 1  # applied once (events.APPLIED)
    elif event_type in ("extension_requested", "extension_decided"):
        if _later(entry, row, "extension_key"):
            status = "requested" if event_type == "extension_requested" else \
                "approved" if data.get("approved") else "refused"
            changes.update(extension={"deadline": data.get("deadline"), "status": status,
                                      "until": data.get("until"), "due_at": data.get("due_at")},
                           extension_key=order_key(entry))
        if event_type == "extension_decided":
            moved = DEADLINE_FIELDS.get(data.get("deadline") or "")
            if moved:
                changes.update(_deadline_changes(row, entry, {moved: data.get("due_at")}))
    elif event_type in PAUSE_OF:
        if _later(entry, row, "pause_key"):
            changes.update(pause=PAUSE_OF[event_type](data), pause_key=order_key(entry),
                           resume_on=data.get("resume_on"))
        if event_type == "ticket_resumed":
            # each pause once (events.APPLIED), so its hours add up in any order
            changes["paused_hours"] = (row.get("paused_hours") or 0.0) + \
                (data.get("paused_hours") or 0.0)
            changes.update(_deadline_changes(row, entry, {"resolve_by": data.get("due_at")}))
    elif event_type in ASSIST_STATUS:
        changes["assists"] = _assist_changes(row, entry, ASSIST_STATUS[event_type])
    if row.get(search.RECEIVED_HOUR) is None and search.RECEIVED_HOUR not in changes:
        changes[search.RECEIVED_HOUR] = changes[search.RECEIVED_DAY] = ""  # until created
    units = search.scope_units({**row, **changes})
    if units != row.get(search.SCOPE_UNITS):
        changes[search.SCOPE_UNITS] = units
    return changes


def _assignee_changes(row: dict, entry: dict, username: str | None,
                      name: str | None) -> dict:
    """The person answering for the ticket (承办人), as the latest event that speaks of it
    says: ticket_assigned names them, a dispatch (to a unit, afresh) or a return to the
    centre leaves it with nobody."""
    if not _later(entry, row, "assignee_key"):
        return {}
    return {"assignee": username, "assignee_name": name, "assignee_key": order_key(entry)}


def _assist_changes(row: dict, entry: dict, status: str) -> list[dict]:
    """Each assisting unit (联勤联动) with the status its latest assist event gave it."""
    unit_id = (entry.get("data") or {}).get("unit_id")
    assists = [dict(assist) for assist in row.get("assists") or []]
    mine = next((assist for assist in assists if assist["unit_id"] == unit_id), None)
    if mine is None:
        assists.append({"unit_id": unit_id, "status": status, "key": order_key(entry)})
    elif order_key(entry) > _kept_key(mine["key"]):
        mine.update(status=status, key=order_key(entry))
    return assists


def new_row(ticket_no: str) -> dict:
    """The read-model fields every ticket has before its events fill them in."""
    return {
        "ticket_no": ticket_no, "state": None, "state_at": None, "unit_id": None,
        "unit_name": None, **{name: None for name in PARTICULARS}, "place": None,
        "received_at": None, "outcome": None, "closed_at": None, "reopen_count": 0,
        "overdue": [], "last_event_at": None,
        "calls": 1, "praise": None, "praise_count": 0, "deadlines": None, "warnings": [],
        "urge_count": 0, "extension": None, "pause": None, "resume_on": None,
        "paused_hours": 0.0, "assists": [], "assignee": None, "assignee_name": None,
    }


def as_view(row: dict) -> dict:
    """A read-model row as callers see it (JSON-ready; bookkeeping fields left out)."""
    view = {name: row.get(name, value) for name, value in new_row(row["_id"]).items()}
    for name in ("state_at", "received_at", "closed_at", "last_event_at"):
        view[name] = clock.iso(view[name])
    view["assists"] = [{"unit_id": assist["unit_id"], "status": assist["status"]}
                       for assist in sorted(view["assists"], key=lambda a: a["unit_id"] or "")]
    return view


def facts(row: dict | None, created: dict | None) -> access.Facts:
    """What the access rule needs of a ticket, as the record says it: its district and
    units from the read model (``row``), the agent who took the call and the resident's
    grid unit from its ticket_created entry (``created``)."""
    row = row or {}
    data = (created or {}).get("data") or {}
    place = row.get("place") or data.get("address") or {}
    assists = row.get("assists") or []
    lead = [row["unit_id"]] if row.get("unit_id") else []
    return {"district": place.get("district"),
            "units": lead + [assist["unit_id"] for assist in assists],
            "units_now": lead + [assist["unit_id"] for assist in assists
                                 if assist["status"] in ASSIST_OWING],
            "taken_by": ((created or {}).get("actor") or {}).get("id"),
            "grid_unit_id": (data.get("resident") or {}).get("grid_unit_id")}


def scope_query(actor: dict) -> dict:
    """The read-model filter of the tickets this actor may see (access.py): their
    district's for the centre and agents, their unit's (leading or assisting, now or
    before) for unit staff, the calls they took for the call centre's software."""
    scope = access.require(actor, "ticket")
    query: dict = {}
    if actor.get("district") is not None:
        query["place.district"] = actor["district"]
    if scope == access.HANDLED:  # the lead and assisting units, kept as one list
        query[search.SCOPE_UNITS] = actor.get("unit_id")
    elif scope == access.TAKEN:  # the calls they took (kept by the search index)
        query[search.TAKEN_BY] = actor.get("id")
    return query


def as_listed(row: dict, created: dict | None, latest: dict | None) -> dict:
    """A ticket as ``tickets`` lists it: ``as_view`` plus ``description`` (from its
    ticket_created entry, ``created``) and ``summary`` (of its latest entry, ``latest``)."""
    return {**as_view(row),
            "description": (created or {}).get("data", {}).get("description"),
            "summary": summary(latest) if latest else None}


# --- one event's whole change to a row: read model and figures ----------------------------

def row_changes(row: dict | None, entry: dict, ticket_no: str) -> tuple[dict, list[dict]]:
    """What ``entry`` changes in the row of ticket ``ticket_no`` (its own ticket, or the
    ticket it praises): the ``$set`` document, and the facts to apply to the indicators'
    buckets (services/ledger/contributions.py). Idempotent on the row: applying the same
    entry again changes nothing and yields no facts."""
    changes = ticket_changes(row, entry) if ticket_no == entry.get("ticket_no") else {}
    after = {**new_row(ticket_no), **(row or {}), **changes}
    if contributions.counting_ticket(entry) == ticket_no:
        item = contributions.counted_item(entry, time_key(entry))
        if item is not None:
            counted = [kept for kept in after.get("counted") or [] if kept["id"] != item["id"]]
            after["counted"] = changes["counted"] = counted + [item]
            changes["praise_count"] = contributions.praise_count(after["counted"])
    settled, facts = contributions.settle(
        after.get("contributions") or [], contributions.contributions_of(after),
        fact_prefix=f"{entry['_id']}:{ticket_no}")
    if facts:
        changes["contributions"] = settled
    return changes, facts
