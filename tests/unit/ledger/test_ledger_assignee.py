"""The ledger records who answers for a ticket (承办人): the read model keeps the person,
the timeline says it in a sentence, and the indicators count each person's facts, shown
grouped by person to supervisors and admins only."""
import pytest
from ledger_events import GRID, PROPERTY, READER, said

from services.shared.errors import NotPermitted

TICKET = "YP20261123-0001"
DAY = ("2026-11-23", "2026-11-24")
ZHOU, WU = ("zhou", "周伟"), ("wu", "吴敏")
HEAD = {"id": "head", "name": "站长 王强", "role": "unit_staff", "unit_id": GRID[0]}
DISPATCHER = {"id": "disp", "name": "派单员", "role": "dispatcher", "unit_id": "centre"}
SUPERVISOR = {"id": "sup", "name": "督办员", "role": "supervisor", "unit_id": None}


def at(time: str) -> str:
    return f"2026-11-23T{time}:00+08:00"


def given_to(person, by=("head", "站长 王强"), when="09:05", version=None):
    extra = {"ticket_version": version} if version else {}
    event = said("ticket_assigned", TICKET, at(when), assignee=person[0],
                 assignee_name=person[1], by=by[0], by_name=by[1], taken=person == by,
                 actor=HEAD)
    return {**event, **extra}


def handled_by_zhou():
    """Given to 周伟 by the station head; 周伟 signs for it, resolves it; satisfied."""
    return [
        said("ticket_created", TICKET, at("09:00")),
        said("ticket_dispatched", TICKET, at("09:01")),
        given_to(ZHOU),
        said("ticket_accepted", TICKET, at("09:10"), on_time=True),
        said("ticket_resolved", TICKET, at("10:00"), on_time=True),
        said("callback_completed", TICKET, at("11:00"), outcome="satisfied"),
        said("ticket_closed", TICKET, at("11:01"), outcome="satisfied"),
    ]


def test_the_timeline_says_who_was_given_it_and_who_took_it(service, deliver):
    deliver(said("ticket_created", TICKET, at("09:00")),
            said("ticket_dispatched", TICKET, at("09:01")),
            given_to(ZHOU), given_to(WU, by=WU, when="09:06"))
    summaries = [item["summary"] for item in service.timeline(TICKET, READER)]
    assert summaries[-2:] == ["指派给 周伟", "吴敏 接单"]


def test_the_read_model_keeps_the_person_until_the_ticket_goes_elsewhere(service, deliver):
    deliver(said("ticket_created", TICKET, at("09:00")),
            said("ticket_dispatched", TICKET, at("09:01")), given_to(ZHOU))
    view = service.ticket_view(TICKET, READER)
    assert (view["assignee"], view["assignee_name"]) == ("zhou", "周伟")

    deliver(said("ticket_dispatched", TICKET, at("09:30"), unit=PROPERTY, reason="reassigned"))
    assert service.ticket_view(TICKET, READER)["assignee"] is None


def test_an_assignment_arriving_after_a_later_dispatch_does_not_bring_the_person_back(
        service, deliver):
    deliver(said("ticket_created", TICKET, at("09:00")),
            {**said("ticket_dispatched", TICKET, at("09:30"), unit=PROPERTY,
                    reason="reassigned"), "ticket_version": 4},
            given_to(ZHOU, version=2))
    assert service.ticket_view(TICKET, READER)["assignee"] is None


def test_indicators_by_person_count_each_persons_work(service, deliver):
    deliver(*handled_by_zhou())
    answer = service.indicators(SUPERVISOR, *DAY, ["assignee"])
    rows = {row["assignee"]: row for row in answer["rows"]}
    assert rows["zhou"]["assignee_name"] == "周伟"
    assert (rows["zhou"]["accepted"], rows["zhou"]["resolved"], rows["zhou"]["satisfied"],
            rows["zhou"]["closed_satisfied"]) == (1, 1, 1, 1)
    assert rows[None]["received"] == 1 and rows[None]["resolved"] == 0  # nobody's facts
    # the unit's figures are as they were before people were counted
    assert answer["units"][GRID[0]]["resolved"] == 1
    by_unit = service.indicators(READER, *DAY, ["unit", "assignee"])["rows"]
    assert [(row["unit_id"], row["assignee"]) for row in by_unit] == [
        (GRID[0], "zhou"), (GRID[0], None)]


def test_facts_of_someone_given_it_later_go_to_each_in_turn(service, deliver):
    deliver(said("ticket_created", TICKET, at("09:00")),
            said("ticket_dispatched", TICKET, at("09:01")), given_to(ZHOU),
            said("ticket_accepted", TICKET, at("09:10"), on_time=True),
            given_to(WU, when="09:20"),
            said("ticket_resolved", TICKET, at("10:00"), on_time=True))
    rows = {row["assignee"]: row
            for row in service.indicators(READER, *DAY, ["assignee"])["rows"]}
    assert (rows["zhou"]["accepted"], rows["zhou"]["resolved"]) == (1, 0)
    assert (rows["wu"]["accepted"], rows["wu"]["resolved"]) == (0, 1)


@pytest.mark.parametrize("method", ["indicators", "indicators_xlsx"])
def test_only_supervisors_and_admins_group_by_person(service, deliver, method):
    deliver(*handled_by_zhou())
    with pytest.raises(NotPermitted):
        getattr(service, method)(DISPATCHER, *DAY, ["unit", "assignee"])
    assert getattr(service, method)(DISPATCHER, *DAY, ["unit"])  # by unit, as before
    assert getattr(service, method)(SUPERVISOR, *DAY, ["assignee"])
