"""Joint handling (联勤联动) through the service's entrypoints: the property company leads
the grab-bar ticket of seed 000, the grid workstation and the residents' committee assist."""
import pytest
from dispatch_support import (
    ADMIN,
    COMMITTEE,
    DISPATCHER,
    GRID,
    KAICHEN,
    NO,
    SUPERVISOR,
    assert_refused,
    create,
    published,
    published_types,
)

from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted


def with_grid_assisting(service) -> dict:
    create(service)
    service.accept(NO, KAICHEN)
    service.add_assist(NO, KAICHEN, "grid-1", "请网格员一同上门")
    service.publisher.reset_mock()
    return service.get_status(NO, ADMIN)


def test_the_lead_asks_a_unit_to_assist_and_it_sees_the_ticket(service):
    status = with_grid_assisting(service)

    [assist] = status["assists"]
    assert (assist["unit_id"], assist["unit_name"], assist["status"], assist["note"]) == (
        "grid-1", "殷行街道第一网格工作站", "added", "请网格员一同上门")
    [item] = service.queue("grid-1", GRID)
    assert (item["ticket_no"], item["role"], item["unit_id"]) == (NO, "assist", "kaichen")
    assert "caller" not in item  # a queue lists tickets; the caller is read on the ticket
    # it goes to the door too
    assert service.get_status(NO, GRID)["caller"]["phone"] == "+8613812345678"
    assert [item["role"] for item in service.queue("kaichen", KAICHEN)] == ["lead"]
    with pytest.raises(NotPermitted):  # a unit with no part in it reads nothing of it
        service.get_status(NO, COMMITTEE)


def test_the_lead_resolves_only_once_every_assisting_unit_has_reported(service):
    with_grid_assisting(service)
    service.add_assist(NO, DISPATCHER, "kailu-committee")

    with pytest.raises(IllegalTransition, match="殷行街道第一网格工作站.*开鲁新村居委会"):
        service.resolve(NO, KAICHEN, "扶手已安装")

    service.accept_assist(NO, GRID)
    status = service.report_assist(NO, GRID, "网格员协助入户, 确认安装位置")
    assert [a["status"] for a in status["assists"]] == ["reported", "added"]
    assert service.queue("grid-1", GRID) == []  # its part is done
    with pytest.raises(IllegalTransition, match="开鲁新村居委会"):
        service.resolve(NO, KAICHEN, "扶手已安装")

    service.release_assist(NO, KAICHEN, "kailu-committee", "无需居委会协助")
    assert service.resolve(NO, KAICHEN, "扶手已安装")["state"] == "resolved"

    events = {event_type: event for event_type, event in published(service)}
    assert published_types(service) == [
        "assist_added", "assist_accepted", "assist_reported", "assist_released",
        "ticket_resolved"]
    assert events["assist_added"]["data"] == {"unit_id": "kailu-committee",
                                              "unit_name": "开鲁新村居委会",
                                              "lead_unit_id": "kaichen", "note": None}
    assert events["assist_reported"]["actor"] == GRID
    assert events["assist_reported"]["data"] == {
        "unit_id": "grid-1", "unit_name": "殷行街道第一网格工作站", "lead_unit_id": "kaichen",
        "note": "网格员协助入户, 确认安装位置"}
    assert events["assist_released"]["data"]["note"] == "无需居委会协助"


def test_a_return_or_a_reassignment_keeps_the_assisting_units(service):
    with_grid_assisting(service)
    service.add_assist(NO, KAICHEN, "kailu-committee")
    service.return_ticket(NO, KAICHEN, "非物业管辖范围")
    assert [a["status"] for a in service.get_status(NO, ADMIN)["assists"]] == ["added", "added"]
    assert [item["role"] for item in service.queue("grid-1", GRID)] == ["assist"]

    service.publisher.reset_mock()
    status = service.reassign(NO, DISPATCHER, "grid-1", "由网格站主办")

    # the grid workstation now leads, so it no longer assists; the committee still does
    assert [(a["unit_id"], a["status"]) for a in status["assists"]] == [
        ("grid-1", "released"), ("kailu-committee", "added")]
    assert published_types(service) == ["assist_released", "ticket_dispatched"]
    assert [item["role"] for item in service.queue("grid-1", GRID)] == ["lead"]
    assert [item["role"] for item in service.queue("kailu-committee", COMMITTEE)] == ["assist"]


def test_a_released_unit_may_be_asked_again(service):
    with_grid_assisting(service)
    service.release_assist(NO, SUPERVISOR, "grid-1")
    status = service.add_assist(NO, KAICHEN, "grid-1")
    assert [a["status"] for a in status["assists"]] == ["added"]


ASSIST_REFUSALS = [
    ("another unit adding", lambda s: s.add_assist(NO, COMMITTEE, "kailu-committee"),
     NotPermitted),
    ("an agent adding", lambda s: s.add_assist(NO, {**GRID, "role": "agent"}, "kailu-committee"),
     NotPermitted),
    ("the lead itself", lambda s: s.add_assist(NO, KAICHEN, "kaichen"), InvalidRequest),
    ("the centre", lambda s: s.add_assist(NO, DISPATCHER, "centre"), InvalidRequest),
    ("no such unit", lambda s: s.add_assist(NO, DISPATCHER, "nobody"), NotFound),
    ("a unit assisting already", lambda s: s.add_assist(NO, DISPATCHER, "grid-1"),
     IllegalTransition),
    ("accepted by a unit not assisting", lambda s: s.accept_assist(NO, COMMITTEE), NotPermitted),
    ("accepted by the lead", lambda s: s.accept_assist(NO, KAICHEN), NotPermitted),
    ("reported before accepting", lambda s: s.report_assist(NO, GRID, "已协助"),
     IllegalTransition),
    ("reported without saying what", lambda s: s.report_assist(NO, GRID, " "), InvalidRequest),
    ("released by the assisting unit", lambda s: s.release_assist(NO, GRID, "grid-1"),
     NotPermitted),
    ("released when not assisting", lambda s: s.release_assist(NO, KAICHEN, "kailu-committee"),
     NotFound),
]


@pytest.mark.parametrize("name, step, error", ASSIST_REFUSALS, ids=[r[0] for r in ASSIST_REFUSALS])
def test_a_refused_assist_step_changes_nothing(service, store, name, step, error):
    with_grid_assisting(service)
    assert_refused(service, store, step, error)


def test_assist_steps_are_refused_once_the_ticket_is_resolved(service):
    with_grid_assisting(service)
    service.release_assist(NO, KAICHEN, "grid-1")
    service.resolve(NO, KAICHEN, "扶手已安装")
    with pytest.raises(IllegalTransition):
        service.add_assist(NO, DISPATCHER, "kailu-committee")
    with pytest.raises(IllegalTransition):
        service.accept_assist(NO, GRID)
