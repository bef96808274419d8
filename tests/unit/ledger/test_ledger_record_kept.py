"""A ticket's record (内部备注, 现场照片) in the ledger: the staff who may read it (access:
evidence) read what a note says and a file's name in the timeline; an agent, who reads
the ticket, learns only that a note or a file came; and no list, export or caller's
earlier tickets ever carries a note's words (their summary is the latest entry's)."""
import json

from ledger_events import GRID, READER, said

TICKET = "YP20261123-0001"
NOTE = "王阿姨家门锁密码 4321，钥匙在门卫室"
AGENT = {"id": "agent-1", "name": "话务员", "role": "agent", "unit_id": None, "district": None}
GRID_STAFF = {"id": "grid-1", "name": "网格员", "role": "unit_staff", "unit_id": GRID[0],
              "district": None}


def with_a_note_and_a_photo(deliver) -> None:
    deliver(said("ticket_created", TICKET, "2026-11-23T01:00:00Z"),
            said("ticket_dispatched", TICKET, "2026-11-23T01:01:00Z"),
            said("note_added", TICKET, "2026-11-23T01:02:00Z", note=NOTE),
            said("attachment_added", TICKET, "2026-11-23T01:03:00Z", name="门卫室钥匙.jpg"))


def test_the_units_staff_read_the_note_and_an_agent_only_that_one_came(service, deliver):
    with_a_note_and_a_photo(deliver)
    staff = {item["event_type"]: item for item in service.timeline(TICKET, GRID_STAFF)}
    assert staff["note_added"]["data"]["note"] == NOTE
    assert staff["attachment_added"]["data"]["name"] == "门卫室钥匙.jpg"
    agent = service.timeline(TICKET, AGENT)
    said_to_agent = {item["event_type"]: item for item in agent}
    assert said_to_agent["note_added"]["summary"] == "添加内部备注"
    assert said_to_agent["attachment_added"]["summary"] == "上传附件"
    text = json.dumps(agent, ensure_ascii=False)
    assert "门锁" not in text and "钥匙" not in text


def test_a_list_says_a_note_came_never_what_it_says(service, deliver):
    with_a_note_and_a_photo(deliver)
    [listed] = service.tickets(READER, ticket_nos=[TICKET])
    assert listed["summary"] == "上传附件"
    found = service.search(READER, {"ticket_no": TICKET})
    assert "钥匙" not in json.dumps(found, ensure_ascii=False)
