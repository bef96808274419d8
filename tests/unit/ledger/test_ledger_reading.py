"""Reading the ledger: timelines with summaries, the ticket view, the feed and indicators."""
import json

import pytest
from ledger_events import CENTRE, COMMITTEE, DEADLINES, GRID, READER, said

from services.shared import clock
from services.shared.errors import InvalidRequest, NotFound

TICKET = "YP20261123-0001"
DAY = ("2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")


def test_the_timeline_tells_the_story_in_chinese(service, deliver):
    deliver(
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z", unit=COMMITTEE),
        said("ticket_returned", TICKET, "2026-11-23T02:20:00Z", unit=COMMITTEE),
        said("ticket_dispatched", TICKET, "2026-11-23T02:30:00Z", reason="reassigned",
             previous_unit_id=COMMITTEE[0]),
        said("ticket_overdue", TICKET, "2026-11-23T04:00:00Z"),
        said("ticket_accepted", TICKET, "2026-11-23T04:05:00Z"),
        said("ticket_contacted", TICKET, "2026-11-23T04:10:00Z"),
        said("ticket_resolved", TICKET, "2026-11-23T05:00:00Z"),
        said("callback_scheduled", TICKET, "2026-11-23T05:00:01Z"),
        said("callback_completed", TICKET, "2026-11-23T06:00:00Z", outcome="unreachable",
             final=False),
        said("callback_completed", TICKET, "2026-11-23T07:00:00Z", outcome="unsatisfied",
             attempt=2, note="scripted: attempt 2"),
        said("ticket_reopened", TICKET, "2026-11-23T07:00:01Z", note="scripted: attempt 2"),
        said("ticket_resolved", TICKET, "2026-11-23T08:00:00Z", resolution="线路已修复"),
        said("callback_completed", TICKET, "2026-11-23T09:00:00Z"),
        said("ticket_closed", TICKET, "2026-11-23T09:00:01Z"),
    )
    timeline = service.timeline(TICKET, READER)

    assert [item["summary"] for item in timeline] == [
        "受理: 路灯不亮",
        "派单至 开鲁新村居委会",
        "退单: 不属于本单位职责",
        "改派至 殷行街道第一网格工作站",
        "超时: 签收",
        "签收",
        "联系市民",
        "办结: 已更换灯泡",
        "安排回访",
        "回访: 未接通, 将再次拨打",
        "回访: 不满意",  # never the dialer's note
        "重办: 回访不满意",
        "办结: 线路已修复",
        "回访: 满意",
        "结案: 满意",
    ]
    first = timeline[0]
    assert first["occurred_at"] == "2026-11-23T02:00:00.000Z"
    assert (first["event_type"], first["source"], first["seq"]) == ("ticket_created", "intake", 1)
    assert first["data"]["category"] == "street_light"
    json.dumps(timeline)  # nameko RPC answers are JSON


def test_an_unrouted_ticket_says_it_waits_at_the_centre(service, deliver):
    deliver(said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z", unit=CENTRE, routed=False,
                 route=None))
    [item] = service.timeline(TICKET, READER)
    assert item["summary"] == "待派: 未找到承办单位, 留在 12345派单中心"
    assert service.ticket_view(TICKET, READER)["state"] == "pending"


def test_events_at_the_same_moment_keep_the_order_they_were_recorded_in(service, deliver):
    deliver(
        said("ticket_resolved", TICKET, "2026-11-23T05:00:00Z"),
        said("callback_scheduled", TICKET, "2026-11-23T05:00:00Z"),
    )
    assert [item["event_type"] for item in service.timeline(TICKET, READER)] == [
        "ticket_resolved", "callback_scheduled"]


def test_timeline_of_an_unknown_ticket_is_not_found(service, deliver):
    deliver(said("ticket_created", TICKET, "2026-11-23T02:00:00Z"))
    with pytest.raises(NotFound):
        service.timeline("YP20000101-9999", READER)
    with pytest.raises(NotFound):
        service.ticket_view("YP20000101-9999", READER)


@pytest.mark.parametrize("ticket_no", [None, 42, "", "   ", "x" * 101, ["YP20261123-0001"]])
def test_a_malformed_ticket_number_is_refused(service, ticket_no):
    with pytest.raises(InvalidRequest) as raised:
        service.timeline(ticket_no, READER)
    assert "ticket_no" in raised.value.errors
    with pytest.raises(InvalidRequest):
        service.ticket_view(ticket_no, READER)


def test_ticket_view_is_the_read_model_as_json(service, deliver):
    deliver(
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_dispatched", TICKET, "2026-11-23T02:01:00Z"),
    )
    view = service.ticket_view(TICKET, READER)
    assert json.loads(json.dumps(view)) == view
    assert view == {
        "ticket_no": TICKET, "state": "dispatched", "state_at": "2026-11-23T02:01:00.000Z",
        "unit_id": GRID[0], "unit_name": GRID[1], "category": "street_light", "kind": "help",
        "channel": "hotline", "urgency": "normal", "priority": "normal",
        "place": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村"},
        "received_at": "2026-11-23T02:00:00.000Z", "outcome": None, "closed_at": None,
        "reopen_count": 0, "overdue": [], "last_event_at": "2026-11-23T02:01:00.000Z",
        "calls": 1, "praise": None, "praise_count": 0, "deadlines": DEADLINES, "warnings": [],
        "urge_count": 0, "extension": None, "pause": None, "resume_on": None,
        "paused_hours": 0.0, "assists": [], "assignee": None, "assignee_name": None,
    }


def test_recent_is_the_newest_recorded_first(service, deliver, monkeypatch):
    # recorded in the order 0002, 0003, 0001, whatever their occurred_at
    events = [said("ticket_created", f"YP20261123-{n:04d}", f"2026-11-23T01:0{n}:00Z")
              for n in (2, 3, 1)]
    # The ledger stamps recorded_at with its own clock: make it tick a second per event.
    ticks = iter(clock.parse_iso(f"2026-11-23T02:00:0{n}Z") for n in range(3))
    monkeypatch.setattr(clock, "now", lambda: next(ticks))
    deliver(*events)
    # recent looks back from the ledger's clock, minute by minute
    monkeypatch.setattr(clock, "now", lambda: clock.parse_iso("2026-11-23T02:00:03Z"))

    feed = service.recent(READER, limit=2)
    assert [item["ticket_no"] for item in feed] == ["YP20261123-0001", "YP20261123-0003"]
    assert feed[0]["recorded_at"] == "2026-11-23T02:00:02.000Z"
    assert len(service.recent(READER)) == 3


@pytest.mark.parametrize("limit", [0, -1, 501, "10", 2.5, None])
def test_recent_refuses_a_bad_limit(service, limit):
    with pytest.raises(InvalidRequest):
        service.recent(READER, limit)


def test_supervision_joint_handling_repeats_and_praise_read_in_chinese(service, deliver):
    deliver(
        said("ticket_created", TICKET, "2026-11-23T02:00:00Z"),
        said("ticket_merged", TICKET, "2026-11-23T02:30:00Z", calls=3, description="还是不亮"),
        said("ticket_warning", TICKET, "2026-11-23T03:00:00Z", deadline="accept", share=0.8),
        said("ticket_urged", TICKET, "2026-11-23T03:10:00Z", note="请今天内签收"),
        said("extension_requested", TICKET, "2026-11-24T01:00:00Z"),
        said("extension_decided", TICKET, "2026-11-24T02:00:00Z"),
        said("extension_decided", TICKET, "2026-11-24T02:05:00Z", approved=False,
             due_at=DEADLINES["resolve_by"], note="材料不足"),
        said("pause_requested", TICKET, "2026-11-24T03:00:00Z"),
        said("pause_decided", TICKET, "2026-11-24T04:00:00Z",
             resume_on="2026-11-25T02:00:00.000Z"),
        said("pause_decided", TICKET, "2026-11-24T04:05:00Z", approved=False),
        said("ticket_resumed", TICKET, "2026-11-25T02:00:00Z", by="date", paused_hours=22.0),
        said("assist_added", TICKET, "2026-11-25T03:00:00Z"),
        said("assist_accepted", TICKET, "2026-11-25T03:10:00Z"),
        said("assist_reported", TICKET, "2026-11-25T05:00:00Z"),
        said("assist_released", TICKET, "2026-11-25T05:10:00Z"),
        said("praise_received", "YP20261126-0001", "2026-11-26T02:00:00Z",
             praised_ticket_no=TICKET, praised_unit_id=None),
    )
    assert [item["summary"] for item in service.timeline(TICKET, READER)] == [
        "受理: 路灯不亮",
        "重复来电并入 (第3次来电): 还是不亮",
        "临期预警: 签收时限已过80%",
        "督办: 请今天内签收",
        "申请延期办结时限至 2026-12-01 10:00: 需等待配件",
        "同意延期办结时限至 2026-12-01 10:00",
        "不同意延期办结时限, 仍为 2026-11-28 10:00: 材料不足",
        "申请挂起: 市民外出, 约定下周上门",
        "同意挂起至 2026-11-25 10:00",
        "不同意挂起",
        "挂起到期恢复办理, 挂起 22.0 小时, 办结时限 2026-12-02 10:00",
        "联勤联动: 增加协办单位 kaichen-property: 安装扶手需物业配合",
        "协办单位 kaichen-property 签收",
        "协办单位 kaichen-property 反馈: 扶手已安装",
        "协办单位 kaichen-property 结束协办",
    ]
    assert [item["summary"] for item in service.timeline("YP20261126-0001", READER)] == [
        "表扬 YP20261123-0001: 网格员上门很及时"]


def test_recent_finds_entries_of_any_age_and_those_recorded_without_their_minute(
        service, store, deliver, monkeypatch):
    from services.ledger.store import RECORDED_MINUTE

    events = [said("ticket_created", f"YP20261123-{n:04d}", f"2026-11-23T01:0{n}:00Z")
              for n in (1, 2, 3, 4)]
    recorded = iter(clock.parse_iso(text) for text in (
        "2026-09-01T02:00:00Z",   # long before the windows
        "2026-11-20T02:00:00Z",   # days before
        "2026-11-23T01:30:00Z",   # in the last hour
        "2026-11-23T01:59:30Z"))  # in the last minutes
    monkeypatch.setattr(clock, "now", lambda: next(recorded))
    deliver(*events)
    # as an entry recorded before the ledger kept the minute
    store.entries.update_one({"ticket_no": "YP20261123-0002"}, {"$unset": {RECORDED_MINUTE: ""}})
    monkeypatch.setattr(clock, "now", lambda: clock.parse_iso("2026-11-23T02:00:00Z"))

    assert [item["ticket_no"] for item in service.recent(READER, limit=10)] == [
        "YP20261123-0004", "YP20261123-0003", "YP20261123-0002", "YP20261123-0001"]
    assert [item["ticket_no"] for item in service.recent(READER, limit=1)] == ["YP20261123-0004"]
    assert [item["ticket_no"] for item in service.recent(READER, limit=3)] == [
        "YP20261123-0004", "YP20261123-0003", "YP20261123-0002"]
