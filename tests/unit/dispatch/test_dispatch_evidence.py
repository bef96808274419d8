"""A ticket's record beside its state (services/dispatch/evidence.py): internal notes and
attachments, added by whoever may work the ticket and read by whoever may read it; photos
the policy asks for at resolve (steps.photos_missing). worker_factory, a store on
mongomock, files on disk."""
from __future__ import annotations

import base64

import pytest
from dispatch_support import (
    ADMIN,
    COMMITTEE,
    DISPATCHER,
    GRID,
    KAICHEN,
    NO,
    POLICY,
    SUPERVISOR,
    actor,
    assert_refused,
    callback_event,
    create,
    jpeg,
    published,
    published_types,
    upload,
)

from services.dispatch import steps
from services.dispatch.policy import Policy
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.files import DiskFiles

AGENT = actor("agent")
PHOTOS_POLICY = {**POLICY, "photos_at_resolve": [{"category": ["home_repair"], "photos": 2}]}
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def files(tmp_path) -> DiskFiles:
    return DiskFiles(tmp_path / "files")


@pytest.fixture
def service(service, files):
    service.files = files
    service.policy = Policy(PHOTOS_POLICY)
    return service


def kept_files(files: DiskFiles) -> list[str]:
    return sorted(path.name for path in files.root.rglob("*") if path.is_file()) \
        if files.root.exists() else []


def accepted(service) -> None:
    create(service)  # home_repair at 开鲁新村: 凯晨物业 (kaichen)
    service.accept(NO, KAICHEN)


# Internal notes
@pytest.mark.parametrize("who", [KAICHEN, DISPATCHER, SUPERVISOR, ADMIN])
def test_those_who_may_work_the_ticket_add_a_note_said_as_note_added(service, who):
    accepted(service)
    service.publisher.reset_mock()
    answer = service.add_note(NO, who, "老人下午三点后在家，先电话")
    [note] = answer["notes"]
    assert note["text"] == "老人下午三点后在家，先电话" and note["by"]["id"] == who["id"]
    [(event_type, event)] = published(service)
    assert event_type == "note_added" and event["data"]["note"] == "老人下午三点后在家，先电话"
    assert "add_note" in answer["evidence_actions"]


def test_an_assisting_unit_adds_a_note_but_an_agent_or_another_unit_may_not(service, store):
    accepted(service)
    service.add_assist(NO, KAICHEN, "grid-1", "请网格协助")
    assert service.add_note(NO, GRID, "网格员已上门查看")["notes"][0]["by"]["unit_id"] == "grid-1"
    assert service.get_status(NO, AGENT)["evidence_actions"] == []
    assert_refused(service, store, lambda s: s.add_note(NO, AGENT, "我是话务员"), NotPermitted)
    assert_refused(service, store, lambda s: s.add_note(NO, COMMITTEE, "不是我们的"),
                   NotPermitted)


def test_the_tickets_staff_read_its_notes_and_a_closed_ticket_takes_none(service, store):
    accepted(service)
    service.add_note(NO, KAICHEN, "钥匙在门卫")
    for staff in (KAICHEN, DISPATCHER, SUPERVISOR):
        assert [n["text"] for n in service.get_status(NO, staff)["notes"]] == ["钥匙在门卫"]
    service.resolve(NO, KAICHEN, "已安装", [upload("前.jpg", jpeg()), upload("后.jpg", jpeg())])
    service.add_note(NO, KAICHEN, "办结后补充：老人满意")  # resolved: still taken
    service.on_callback_completed(callback_event(NO, "satisfied"))
    assert_refused(service, store, lambda s: s.add_note(NO, KAICHEN, "再补一句"),
                   IllegalTransition)


def test_an_agent_reads_the_ticket_but_not_its_notes_nor_its_photos(service, store):
    accepted(service)
    service.add_note(NO, KAICHEN, "王阿姨家门锁密码 1234")
    done = service.attach(NO, KAICHEN, [upload("门口.jpg", jpeg())])
    status = service.get_status(NO, AGENT)
    assert status["state"] == "accepted"
    assert status["notes"] == [] and status["attachments"] == []
    attachment_id = done["attachments"][0]["attachment_id"]
    with pytest.raises(NotPermitted):
        service.get_attachment(NO, attachment_id, AGENT)
    assert service.get_attachment(NO, attachment_id, DISPATCHER)["name"] == "门口.jpg"


def test_an_empty_note_is_refused(service, store):
    accepted(service)
    assert_refused(service, store, lambda s: s.add_note(NO, KAICHEN, "   "), InvalidRequest)


# Attachments
def test_a_failure_after_the_photo_is_recorded_keeps_its_bytes(service, monkeypatch):
    """The ticket recorded the photo, then answering failed (the card's view not written,
    the worker killed): the photo's bytes stay, for the attachment the ticket keeps."""
    accepted(service)
    answering = service._shown

    def fails_once(state, actor):
        monkeypatch.setattr(service, "_shown", answering)
        raise RuntimeError("the answer failed after the write")

    monkeypatch.setattr(service, "_shown", fails_once)
    with pytest.raises(RuntimeError):
        service.attach(NO, KAICHEN, [upload("现场.jpg", jpeg())])
    [kept] = service.get_status(NO, KAICHEN)["attachments"]
    assert service.get_attachment(NO, kept["attachment_id"], KAICHEN)["name"] == "现场.jpg"


def test_a_photo_and_a_document_are_attached_kept_and_said_without_their_bytes(service, files):
    accepted(service)
    service.publisher.reset_mock()
    answer = service.attach(NO, KAICHEN, [upload("现场.jpg", jpeg(3000, 2000)),
                                          upload("整改通知.pdf", PDF)])
    photo, document = answer["attachments"]
    assert (photo["name"], photo["content_type"], photo["width"], photo["height"],
            photo["thumbnail"], photo["step"]) == ("现场.jpg", "image/jpeg", 1600, 1067, True,
                                                   None)
    assert (document["content_type"], document["size"], document["thumbnail"]) == (
        "application/pdf", len(PDF), False)
    assert published_types(service) == ["attachment_added", "attachment_added"]
    for _, event in published(service):
        assert "content" not in event["data"] and "file_id" not in event["data"]
    assert len(kept_files(files)) == 2 * 3  # photo, its thumbnail, the pdf: bytes and names
    read = service.get_attachment(NO, document["attachment_id"], DISPATCHER)
    assert base64.b64decode(read["content"]) == PDF and read["name"] == "整改通知.pdf"
    thumb = service.get_attachment(NO, photo["attachment_id"], KAICHEN, True)
    assert thumb["content_type"] == "image/jpeg" and thumb["size"] < photo["size"]
    with pytest.raises(NotFound):
        service.get_attachment(NO, document["attachment_id"], KAICHEN, True)


def test_another_unit_may_neither_attach_nor_read_an_attachment(service, store, files):
    accepted(service)
    answer = service.attach(NO, KAICHEN, [upload("现场.jpg", jpeg())])
    attachment_id = answer["attachments"][0]["attachment_id"]
    before = kept_files(files)
    assert_refused(service, store, lambda s: s.attach(NO, COMMITTEE, [upload("x.jpg", jpeg())]),
                   NotPermitted)
    assert kept_files(files) == before
    with pytest.raises(NotPermitted):
        service.get_attachment(NO, attachment_id, COMMITTEE)


def test_a_refused_file_keeps_nothing_of_the_call(service, store, files):
    accepted(service)
    exe = {"name": "照片.jpg", "content": base64.b64encode(b"MZ\x90\x00").decode()}
    assert_refused(service, store, lambda s: s.attach(NO, KAICHEN, [upload("好.jpg", jpeg()),
                                                                      exe]), InvalidRequest)
    assert kept_files(files) == []
    assert_refused(service, store, lambda s: s.attach(NO, KAICHEN, [{"name": "a.jpg",
                                                                       "content": "%%%"}]),
                   InvalidRequest)


# Photos required at resolve
def test_photos_missing_is_a_plain_rule_counting_photos_since_the_last_dispatch():
    since = steps.clock.now()
    state = {"ticket_no": NO, "dispatched_at": since, "attachments": [
        {"content_type": "image/jpeg", "at": since},
        {"content_type": "application/pdf", "at": since},               # not a photo
        {"content_type": "image/png", "at": since - steps.dt.timedelta(days=1)},  # before
    ]}
    assert steps.photos_missing(state, 0, 0) is None  # type: ignore[arg-type]
    assert steps.photos_missing(state, 2, 1) is None  # type: ignore[arg-type]
    missing = steps.photos_missing(state, 2, 0)  # type: ignore[arg-type]
    assert missing is not None and "至少 2 张现场照片" in missing and "现有 1 张" in missing


def test_the_policy_names_the_categories_and_how_many_photos():
    policy = Policy(PHOTOS_POLICY)
    assert policy.photos_required("home_repair") == 2
    assert policy.photos_required("street_light") == 0
    assert Policy(POLICY).photos_required("home_repair") == 0


def test_resolve_without_the_photos_is_refused_naming_the_rule_then_taken_with_two(
        service, store, files):
    accepted(service)
    assert service.get_status(NO, KAICHEN)["photos_required"] == 2
    assert_refused(service, store, lambda s: s.resolve(NO, KAICHEN, "扶手已装好"), InvalidRequest)
    assert_refused(service, store, lambda s: s.resolve(NO, KAICHEN, "扶手已装好",
                                                       [upload("一张.jpg", jpeg())]),
                   InvalidRequest)
    assert kept_files(files) == []  # nothing of a refused resolve is kept
    with pytest.raises(InvalidRequest) as refused:
        service.resolve(NO, KAICHEN, "扶手已装好")
    assert "办结须附现场照片" in refused.value.errors["photos"][0]
    service.attach(NO, KAICHEN, [upload("施工前.jpg", jpeg())])  # one before, one with it
    service.publisher.reset_mock()
    answer = service.resolve(NO, KAICHEN, "扶手已装好", [upload("施工后.jpg", jpeg())])
    assert answer["state"] == "resolved"
    assert [(a["name"], a["step"]) for a in answer["attachments"]] == [
        ("施工前.jpg", None), ("施工后.jpg", "resolve")]
    assert published_types(service) == ["attachment_added", "ticket_resolved"]


def test_a_category_the_policy_does_not_name_resolves_without_photos(service):
    create(service, category="street_light")
    unit = service.get_status(NO, ADMIN)["unit_id"]
    staff = actor("unit_staff", unit)
    service.accept(NO, staff)
    assert service.resolve(NO, staff, "路灯已修复")["state"] == "resolved"


def test_a_redelivered_upload_is_attached_once_and_its_second_bytes_forgotten(service, files):
    accepted(service)
    service.request_id = "req-attach-1"
    first = service.attach(NO, KAICHEN, [upload("现场.jpg", jpeg())])
    kept = kept_files(files)
    service.publisher.reset_mock()
    again = service.attach(NO, KAICHEN, [upload("现场.jpg", jpeg())])  # the same request
    assert again["attachments"] == first["attachments"]
    assert kept_files(files) == kept and published(service) == []


def test_the_files_of_a_service_are_placed_by_its_mongo_uri(tmp_path):
    from unittest.mock import Mock

    from services.shared.files import FileStorage

    provider = FileStorage()
    provider.container = Mock(service_name="dispatch", config={
        "MONGO_URI": f"litemongo:{tmp_path}", "DATABASE_PREFIX": "t_"})
    provider.setup()
    files = provider.get_dependency(None)
    assert isinstance(files, DiskFiles) and files.root == tmp_path / "t_dispatch" / "files"
