"""The public view of tickets (the Open311 feed, no key): what the ledger lets out of its
record for anyone to read, and the publication policy that decides which descriptions."""
import json
from pathlib import Path

import pytest
import yaml
from ledger_events import CALLER, said
from nameko.testing.services import worker_factory

from services.ledger import publication
from services.ledger.publication import Publication, publication_from
from services.ledger.service import LedgerService
from services.shared.errors import InvalidRequest, NotFound
from services.shared.schemas import CHANNELS, KINDS, SYSTEM_CHANNELS

SHIPPED = yaml.safe_load(
    (Path(__file__).resolve().parents[3] / "deploy" / "ledger.yml").read_text("utf-8")
)["PUBLICATION"]
EVERYTHING = Publication(kinds=frozenset(KINDS), channels=frozenset(CHANNELS + SYSTEM_CHANNELS))
AT = "2026-11-23T02:00:00Z"
NO = "YP20261123-0001"
ID_NUMBER = "11010519491231002X"  # the standard's example: its check digit holds


@pytest.fixture
def public_service(store):
    return worker_factory(LedgerService, store=store,
                          publication=publication_from(SHIPPED))


@pytest.fixture
def record(public_service):
    def record(ticket_no: str, **data) -> dict:
        public_service.on_ticket_created(said("ticket_created", ticket_no, AT, **data))
        return public_service.public_request(ticket_no)
    return record


def test_a_published_description_has_phones_id_numbers_and_names_redacted(record):
    public = record(NO, description=(
        f"王阿姨反映楼下路灯不亮，儿子李明也看到了，回电13912345678，身份证{ID_NUMBER}"))

    assert public["description"] == \
        "[姓名]反映楼下路灯不亮，儿子[姓名]也看到了，回电[电话]，身份证[身份证号]"


def test_the_public_view_says_nothing_of_the_caller_or_the_building(record, public_service):
    public_service.on_ticket_dispatched(said("ticket_dispatched", NO, "2026-11-23T02:01:00Z"))
    record(NO)
    [public] = public_service.public_requests(ticket_nos=[NO])

    assert public == {
        "ticket_no": NO, "category": "street_light", "state": "dispatched",
        "unit_name": "殷行街道第一网格工作站",
        "place": {"district": "杨浦区", "subdistrict": "殷行街道", "community": "开鲁新村"},
        "received_at": "2026-11-23T02:00:00.000Z", "updated_at": "2026-11-23T02:01:00.000Z",
        "resolve_by": "2026-11-28T02:00:00.000Z", "description": "路灯不亮",
        "media_url": None}
    text = json.dumps(public, ensure_ascii=False)
    for personal in (CALLER["name"], "13812345678", "12号"):
        assert personal not in text


def test_a_welfare_check_from_the_register_is_listed_without_description(record):
    welfare = record(NO, channel="checkin", category="welfare_check", urgency="urgent",
                     description="定时探访电话 11月23日 10:00 3次未接通，请网格员立即上门查看"
                                 "吴大娘的情况。紧急联系人：吴建国（儿子），电话见居民卡片。")
    assert welfare["category"] == "welfare_check" and welfare["description"] is None


@pytest.mark.parametrize("received", [
    {"channel": "checkin", "category": "welfare_check"},   # the register's ticket
    {"category": "welfare_check"},                         # a welfare check phoned in
    {"channel": "checkin"},
    {"caller": {"name": None, "phone": None, "anonymous": True}},
    {"resident": {"resident_id": "r-1", "name": "吴大娘", "phones": ["+8613800000009"],
                  "address": {"district": "杨浦区"}}},     # a caller in the register
])
def test_no_policy_publishes_the_registers_welfare_or_anonymous_tickets(received):
    created = said("ticket_created", NO, AT, **received)["data"]

    assert not publication.describable(EVERYTHING, created)
    assert publication.public_description(EVERYTHING, created) is None


def test_an_anonymous_callers_ticket_is_listed_without_description(record):
    public = record(NO, caller={"name": None, "phone": None, "anonymous": True},
                    description="某饭店油烟直排，影响居民")
    assert public["description"] is None and public["category"] == "street_light"


def test_only_the_kinds_and_channels_of_the_policy_are_described():
    help_call = said("ticket_created", NO, AT)["data"]
    only_complaints = Publication(kinds=frozenset({"complaint"}), channels=frozenset(CHANNELS))
    only_the_app = Publication(kinds=frozenset(KINDS), channels=frozenset({"app"}))

    assert publication.public_description(only_complaints, help_call) is None
    assert publication.public_description(only_the_app, help_call) is None
    assert publication.public_description(Publication(), help_call) is None  # left out
    assert publication.public_description(publication_from(SHIPPED), help_call) == "路灯不亮"


def test_the_policy_refuses_unknown_words_and_the_registers_channel():
    with pytest.raises(ValueError, match="kinds"):
        publication_from({"kinds": ["gossip"]})
    with pytest.raises(ValueError, match="never published"):
        publication_from({"channels": ["hotline", "checkin"]})
    with pytest.raises(ValueError, match="channels"):
        publication_from({"channels": ["fax"]})
    assert publication_from(None) == Publication()


def test_the_public_list_is_chosen_like_the_tickets_list(public_service):
    public_service.on_ticket_created(said("ticket_created", NO, AT))
    public_service.on_ticket_created(said("ticket_created", "YP20261124-0001",
                                          "2026-11-24T02:00:00Z", category="elevator"))

    listed = public_service.public_requests(start="2026-11-24T00:00:00Z")
    assert [public["ticket_no"] for public in listed] == ["YP20261124-0001"]
    assert [public["ticket_no"] for public in
            public_service.public_requests(categories=["street_light"])] == [NO]
    with pytest.raises(InvalidRequest):
        public_service.public_requests(status="lost")


def test_the_public_list_is_read_a_page_at_a_time(public_service):
    for day in (23, 24, 25):
        public_service.on_ticket_created(said("ticket_created", f"YP202611{day}-0001",
                                              f"2026-11-{day}T02:00:00Z"))

    pages = [[public["ticket_no"] for public in
              public_service.public_requests(limit=2, offset=offset)] for offset in (0, 2, 4)]
    assert pages == [["YP20261125-0001", "YP20261124-0001"], ["YP20261123-0001"], []]
    with pytest.raises(InvalidRequest):
        public_service.public_requests(offset=-1)


def test_a_photo_is_published_as_its_description_is(record):
    photo = "https://example.com/lamp.jpg"
    assert record(NO, media_url=photo)["media_url"] == photo
    anonymous = record("YP20261123-0002", media_url=photo,
                       caller={"name": None, "phone": None, "anonymous": True})
    assert anonymous["media_url"] is None and anonymous["description"] is None


def test_an_unknown_ticket_is_not_found(public_service):
    with pytest.raises(NotFound):
        public_service.public_request("YP20990101-0001")
    with pytest.raises(InvalidRequest):
        public_service.public_request(None)


def test_an_internal_note_and_an_attachment_are_recorded_but_never_published(
        record, public_service):
    """The ledger records a note and an attachment for the ticket's readers; the public
    view, with every description published, carries neither."""
    public_service.publication = EVERYTHING
    public_service.on_ticket_dispatched(said("ticket_dispatched", NO, "2026-11-23T02:01:00Z"))
    public_service.on_note_added(said("note_added", NO, "2026-11-23T02:02:00Z",
                                      note="王阿姨儿子在外地，钥匙在门卫室"))
    public_service.on_attachment_added(said("attachment_added", NO, "2026-11-23T02:03:00Z",
                                            name="门卫室钥匙.jpg"))
    recorded = [entry["event_type"] for entry in public_service.store.timeline(NO)]
    assert {"note_added", "attachment_added"} <= set(recorded)
    public = record(NO)
    [listed] = public_service.public_requests(ticket_nos=[NO])
    for shown in (public, listed):
        text = json.dumps(shown, ensure_ascii=False)
        assert "钥匙" not in text and "门卫" not in text and "note" not in shown
