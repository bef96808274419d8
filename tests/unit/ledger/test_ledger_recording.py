"""Recording: every event written once, numbered per ticket, and the read model right
whatever order the events arrive in."""
import itertools

import pytest
from ledger_events import COMMITTEE, DEADLINES, GRID, PROPERTY, READER, SOURCE_OF, said

from services.ledger import record
from services.ledger.service import LedgerService
from services.shared import clock
from services.shared.events import EVENTS_BY_SOURCE

TICKET = "YP20261123-0001"
GRID_WORKER = {"id": "zhou", "name": "网格员 周伟", "role": "unit_staff",
               "unit_id": "yinhang-grid-1"}


LIFE = [  # every event type of the contract, in an order they may happen in
    ("ticket_created", {}), ("ticket_answered", {}), ("ticket_dispatched", {}),
    ("ticket_merged", {}), ("ticket_warning", {"deadline": "accept"}), ("ticket_overdue", {}),
    ("ticket_urged", {}), ("ticket_accepted", {"on_time": False}), ("ticket_assigned", {}),
    ("ticket_contacted", {}),
    ("assist_added", {}), ("assist_accepted", {}), ("extension_requested", {}),
    ("extension_decided", {}), ("pause_requested", {}), ("pause_decided", {}),
    ("ticket_resumed", {}), ("assist_reported", {}), ("assist_released", {}),
    ("note_added", {}), ("attachment_added", {}), ("ticket_returned", {}),
    ("ticket_resolved", {}), ("callback_scheduled", {}),
    ("callback_completed", {"outcome": "unsatisfied"}), ("ticket_reopened", {}),
    ("ticket_closed", {}), ("praise_received", {}),
    # check-ins concern residents, not tickets; the ledger records them all the same
    ("checkin_scheduled", {}), ("checkin_answered", {}), ("checkin_missed", {}),
    # and so do changes to the console's accounts and to the register
    ("account_changed", {}), ("session_ended", {}), ("register_changed", {}),
    # and who looked at a resident's card on a ticket
    ("card_shown", {}),
]


def whole_life(ticket_no=TICKET):
    """One ticket through every event type, a minute apart, in the order they happen."""
    return [said(event_type, ticket_no, f"2026-11-23T02:{minute:02d}:00Z", **data)
            for minute, (event_type, data) in enumerate(LIFE)]


def test_the_whole_life_covers_the_contract():
    assert sorted(event_type for event_type, _ in LIFE) == sorted(SOURCE_OF)


def test_every_event_type_of_every_service_has_a_recording_handler_and_a_summary():
    handled = {}
    for name in dir(LedgerService):
        for entrypoint in getattr(getattr(LedgerService, name), "nameko_entrypoints", ()):
            if hasattr(entrypoint, "event_type"):
                handled[entrypoint.event_type] = entrypoint.source_service
    assert handled == SOURCE_OF
    assert len(handled) == sum(len(types) for types in EVENTS_BY_SOURCE.values())
    assert set(record.SUMMARIES) == set(SOURCE_OF)


def test_every_event_is_recorded_in_order_with_seq_one_to_n(service, store, deliver):
    life = whole_life()
    deliver(*life)

    entries = list(store.entries.find({"ticket_no": TICKET}, sort=[("seq", 1)]))
    assert [entry["seq"] for entry in entries] == list(range(1, len(LIFE) + 1))
    assert [entry["_id"] for entry in entries] == [event["event_id"] for event in life]
    assert {entry["event_type"] for entry in entries} == set(SOURCE_OF)
    first = entries[0]
    assert first["source"] == "intake"
    assert first["occurred_at"] == clock.parse_iso("2026-11-23T02:00:00Z")
    assert first["actor"]["role"] == "system"
    assert first["data"]["description"] == "路灯不亮"
    assert [item["seq"] for item in service.timeline(TICKET, READER)] == list(
        range(1, len(LIFE) + 1))


def test_each_ticket_has_its_own_sequence(store, deliver):
    first, second = whole_life("YP20261123-0001"), whole_life("YP20261123-0002")
    deliver(*[event for pair in zip(first, second, strict=True) for event in pair])  # interleaved

    for ticket_no in ("YP20261123-0001", "YP20261123-0002"):
        seqs = [entry["seq"] for entry in store.entries.find({"ticket_no": ticket_no})]
        assert sorted(seqs) == list(range(1, len(LIFE) + 1))


def test_a_redelivered_event_is_recorded_once(service, store, deliver):
    created = said("ticket_created", TICKET, "2026-11-23T02:00:00Z")
    dispatched = said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z")
    deliver(created, dispatched)
    row_before = store.ticket(TICKET)

    deliver(dispatched, created, dispatched)

    assert store.entries.count_documents({}) == 2
    assert [item["event_type"] for item in service.timeline(TICKET, READER)] == [
        "ticket_created", "ticket_dispatched"]
    assert store.ticket(TICKET) == row_before


def test_an_event_recorded_before_a_crash_still_reaches_the_read_model(service, store, deliver):
    dispatched = said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z")
    # The entry was written, then the process died before the read model was updated.
    store.append(record.entry_of(dispatched, clock.now()))
    assert store.ticket(TICKET) is None

    deliver(dispatched)  # redelivered

    assert store.entries.count_documents({}) == 1
    assert service.ticket_view(TICKET, READER)["state"] == "dispatched"


def test_an_event_without_a_ticket_is_recorded_without_seq(service, store, deliver):
    scheduled = said("callback_scheduled", None, "2026-11-23T02:00:00Z")
    deliver(scheduled, scheduled)

    [entry] = store.entries.find()
    assert (entry["ticket_no"], entry["seq"]) == (None, None)
    assert store.tickets.count_documents({}) == 0
    assert [item["event_id"] for item in service.recent(READER)] == [scheduled["event_id"]]


def test_account_changes_are_recorded_with_who_made_them_and_worded(service, deliver):
    admin = {"id": "admin", "name": "系统管理员", "role": "admin", "unit_id": None}
    made = said("account_changed", None, "2026-11-23T02:00:00Z", actor=admin, change="created",
                fields=["name", "role", "unit_id", "password"])
    moved = said("account_changed", None, "2026-11-23T02:01:00Z", actor=admin)
    issued = said("account_changed", None, "2026-11-23T02:02:00Z", actor=admin,
                  change="token_issued", fields=["tokens"], token_id="0a1b2c3d4e5f6071")
    locked = said("account_changed", None, "2026-11-23T02:03:00Z", change="locked",
                  fields=["locked_until"])
    stopped = said("account_changed", None, "2026-11-23T02:04:00Z", actor=admin,
                   fields=["active"], active=False)
    restarted = said("account_changed", None, "2026-11-23T02:05:00Z", actor=admin,
                     fields=["active"], active=True)
    ended = said("session_ended", None, "2026-11-23T02:06:00Z", actor=admin,
                 session_ids=["0a1b2c3d4e5f6071", "1a1b2c3d4e5f6071"], reason="deactivated")
    idle = said("session_ended", None, "2026-11-23T02:07:00Z", reason="idle")
    deliver(made, moved, issued, locked, stopped, restarted, ended, idle)

    feed = sorted(service.recent(READER), key=lambda item: item["occurred_at"])
    assert [item["summary"] for item in feed] == [
        "新建账号 wang.li (承办单位人员)", "修改账号 wang.li: 角色、所属单位",
        "为账号 wang.li 签发 API 令牌 0a1b2c3d4e5f6071",
        "账号 wang.li 登录失败次数过多, 已临时锁定",
        "停用账号 wang.li", "启用账号 wang.li",
        "账号 wang.li 的 2 个登录会话已结束: 账号已停用",
        "账号 wang.li 的 1 个登录会话已结束: 长时间未操作"]
    assert [item["actor"]["id"] for item in feed] == (
        ["admin"] * 3 + ["system"] + ["admin"] * 3 + ["system"])
    assert ended["data"]["session_ids"] == feed[6]["data"]["session_ids"]
    assert {item["ticket_no"] for item in feed} == {None}


def test_a_writer_that_lost_the_race_for_a_seq_takes_the_next(store, deliver):
    deliver(said("ticket_created", TICKET, "2026-11-23T02:00:00Z"))
    # This writer read the ticket's last entry before a rival recorded seq 1.
    stale_reads = [None]
    fresh_read = store.last_entry
    store.last_entry = lambda ticket_no: stale_reads.pop() if stale_reads else fresh_read(ticket_no)

    deliver(said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z"))

    assert stale_reads == []  # the stale read was used, and failed on the unique index
    assert sorted(entry["seq"] for entry in store.entries.find()) == [1, 2]


def test_a_malformed_envelope_is_dropped_unrecorded(service, store):
    service.on_ticket_created({"event_type": "ticket_created", "data": {}})
    service.on_ticket_created("not an event")
    assert store.entries.count_documents({}) == 0


def test_out_of_order_arrival_gives_the_right_read_model_and_timeline(service, deliver):
    created = said("ticket_created", TICKET, "2026-11-23T02:00:00Z", category="elevator",
                   priority="high", priority_reasons=["urgent"], urgency="urgent")
    dispatched = said("ticket_dispatched", TICKET, "2026-11-23T02:00:05Z",
                      category="elevator", priority="high")
    accepted = said("ticket_accepted", TICKET, "2026-11-23T02:10:00Z")
    # dispatch's events overtake intake's, and the later dispatch event comes first
    deliver(accepted, dispatched, created)

    view = service.ticket_view(TICKET, READER)
    assert view["state"] == "accepted"
    assert view["state_at"] == "2026-11-23T02:10:00.000Z"
    assert (view["unit_id"], view["unit_name"]) == GRID
    assert (view["category"], view["urgency"], view["priority"]) == ("elevator", "urgent", "high")
    assert view["received_at"] == "2026-11-23T02:00:00.000Z"
    assert view["place"] == {"district": "杨浦区", "subdistrict": "殷行街道",
                             "community": "开鲁新村"}

    timeline = service.timeline(TICKET, READER)
    assert [item["event_type"] for item in timeline] == [
        "ticket_created", "ticket_dispatched", "ticket_accepted"]
    assert [item["seq"] for item in timeline] == [3, 2, 1]  # seq: the order recorded


def test_the_latest_reassignment_decides_the_unit_whatever_arrives_last(service, deliver):
    to_committee = said("ticket_dispatched", TICKET, "2026-11-23T02:00:00Z", unit=COMMITTEE)
    to_property = said("ticket_dispatched", TICKET, "2026-11-23T03:00:00Z", unit=PROPERTY,
                       reason="reassigned", previous_unit_id=COMMITTEE[0])
    accepted = said("ticket_accepted", TICKET, "2026-11-23T03:30:00Z", unit=PROPERTY)
    deliver(accepted, to_property, to_committee)

    view = service.ticket_view(TICKET, READER)
    assert (view["state"], view["unit_id"], view["unit_name"]) == ("accepted", *PROPERTY)


def test_returns_reopens_closures_and_overdue_deadlines_in_the_read_model(service, deliver):
    deliver(
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z"),
        said("ticket_returned", TICKET, "2026-11-23T02:30:00Z"),
    )
    assert service.ticket_view(TICKET, READER)["state"] == "pending"

    closed = said("ticket_closed", TICKET, "2026-11-23T09:00:00Z", unit=PROPERTY,
                  outcome="basically_satisfied")
    overdue = said("ticket_overdue", TICKET, "2026-11-23T04:00:00Z")
    deliver(
        closed,
        said("ticket_reopened", TICKET, "2026-11-23T08:00:00Z", unit=PROPERTY, reopen_count=2),
        said("ticket_reopened", TICKET, "2026-11-23T07:00:00Z", unit=PROPERTY, reopen_count=1),
        overdue, said("ticket_overdue", TICKET, "2026-11-23T04:00:00Z"),  # said twice
        said("ticket_dispatched", TICKET, "2026-11-23T03:00:00Z", unit=PROPERTY,
             reason="reassigned", previous_unit_id=GRID[0]),
    )
    view = service.ticket_view(TICKET, READER)
    assert (view["state"], view["outcome"], view["closed_at"]) == (
        "closed", "basically_satisfied", "2026-11-23T09:00:00.000Z")
    assert view["reopen_count"] == 2
    assert view["unit_id"] == PROPERTY[0]
    assert view["overdue"] == [{"deadline": "accept", "due_at": "2026-11-23T04:00:00.000Z"}]
    assert view["last_event_at"] == "2026-11-23T09:00:00.000Z"


def test_a_consultation_answered_on_the_spot_ends_closed_as_answered(service, deliver):
    created = said("ticket_created", TICKET, "2026-11-23T02:00:00Z", kind="consult",
                   category="veteran_services", status="answered", answer="请到服务站办理")
    deliver(created, said("ticket_answered", TICKET, "2026-11-23T02:00:00Z"))
    assert service.ticket_view(TICKET, READER)["state"] == "answered"

    deliver(said("ticket_closed", TICKET, "2026-11-23T02:00:01Z", unit_id=None, outcome="answered"))
    view = service.ticket_view(TICKET, READER)
    assert (view["state"], view["outcome"], view["unit_id"]) == ("closed", "answered", None)


def test_read_model_changes_do_not_depend_on_arrival_order():
    """The rule alone: every arrival order of the same entries gives the same row."""
    events = [
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z"),
        said("ticket_accepted", TICKET, "2026-11-23T02:02:00Z"),
        said("ticket_resolved", TICKET, "2026-11-23T02:03:00Z"),
    ]
    rows = set()
    for order in itertools.permutations(events):
        row = None
        for seq, event in enumerate(order, start=1):
            entry = {**record.entry_of(event, clock.now()), "seq": seq}
            row = {**(row or record.new_row(TICKET)), **record.ticket_changes(row, entry)}
        rows.add((row["state"], row["unit_id"], row["category"], row["received_at"]))
    assert rows == {("resolved", GRID[0], "street_light", clock.parse_iso("2026-11-23T02:00:00Z"))}


EXTENDED_TO = "2026-12-01T02:00:00.000Z"


def supervised_life():
    """Repeat calls, a warning, two urgings, an extension, two assisting units, a pause and
    resumption, a second pause, and praise: nothing that moves the ticket's state."""
    return [
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z"),
        said("ticket_merged", TICKET, "2026-11-23T03:00:00Z", calls=2),
        said("ticket_merged", TICKET, "2026-11-23T04:00:00Z", calls=3),
        said("ticket_warning", TICKET, "2026-11-23T03:30:00Z", deadline="accept",
             due_at=DEADLINES["accept_by"]),
        said("ticket_urged", TICKET, "2026-11-23T03:40:00Z"),
        said("ticket_urged", TICKET, "2026-11-23T03:50:00Z"),
        said("extension_requested", TICKET, "2026-11-24T01:00:00Z", until=EXTENDED_TO),
        said("extension_decided", TICKET, "2026-11-24T02:00:00Z", due_at=EXTENDED_TO),
        said("assist_added", TICKET, "2026-11-24T03:00:00Z"),
        said("assist_accepted", TICKET, "2026-11-24T03:30:00Z"),
        said("assist_added", TICKET, "2026-11-24T03:10:00Z", unit=COMMITTEE),
        said("pause_requested", TICKET, "2026-11-25T01:00:00Z"),
        said("pause_decided", TICKET, "2026-11-25T02:00:00Z",
             resume_on="2026-11-26T02:00:00.000Z"),
        said("ticket_resumed", TICKET, "2026-11-26T02:00:00Z", paused_hours=24.0, by="date",
             due_at="2026-12-02T02:00:00.000Z"),
        said("pause_requested", TICKET, "2026-11-27T01:00:00Z"),
        said("pause_decided", TICKET, "2026-11-27T02:00:00Z"),
        said("praise_received", "YP20261201-0009", "2026-12-01T02:00:00Z",
             praised_ticket_no=TICKET, praised_unit_id=None),
    ]


@pytest.mark.parametrize("arrival", ["in order", "reversed"])
def test_supervision_and_joint_handling_in_the_read_model(service, deliver, arrival):
    events = supervised_life()
    deliver(*(events if arrival == "in order" else reversed(events)))

    view = service.ticket_view(TICKET, READER)
    assert view["calls"] == 3
    assert view["warnings"] == [{"deadline": "accept", "due_at": DEADLINES["accept_by"]}]
    assert view["urge_count"] == 2
    assert view["extension"] == {"deadline": "resolve", "status": "approved",
                                 "until": EXTENDED_TO, "due_at": EXTENDED_TO}
    # the resolve deadline moved by the extension, then by the pause
    assert view["deadlines"] == {**DEADLINES, "resolve_by": "2026-12-02T02:00:00.000Z"}
    assert (view["pause"], view["paused_hours"]) == ("paused", 24.0)  # paused again
    assert view["assists"] == [{"unit_id": PROPERTY[0], "status": "accepted"},
                               {"unit_id": COMMITTEE[0], "status": "added"}]
    assert view["praise_count"] == 1
    assert view["state"] == "dispatched"


def test_a_praise_call_is_its_own_row_in_state_praise(service, deliver):
    deliver(said("praise_received", "YP20261201-0009", "2026-12-01T02:00:00Z", unit=COMMITTEE))
    view = service.ticket_view("YP20261201-0009", READER)
    assert (view["state"], view["praise"]) == ("praise", {"ticket_no": None,
                                                         "unit_id": COMMITTEE[0]})


def test_of_a_register_change_the_ledger_keeps_who_and_which_resident_not_the_card(
        service, store, deliver):
    changed = said("register_changed", None, "2026-11-23T02:00:00Z", actor=GRID_WORKER)
    deliver(changed)

    entry = store.entries.find_one({"_id": changed["event_id"]})
    assert entry["data"] == {"change": "changed", "version": 2, "resident_id": "r-1",
                             "grid_unit_id": "yinhang-grid-1", "retired": False}
    assert entry["actor"]["id"] == "zhou"
    assert entry["chain"] == "resident:r-1"
    assert "孙奶奶" not in repr(entry) and "高血压" not in repr(entry)
    assert record.summary(entry) == "台账修改: r-1"
