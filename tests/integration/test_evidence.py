"""Notes and evidence through the console and the services over RabbitMQ: an internal note
is shown to the ticket's readers and never in Open311; photos and documents are uploaded,
read with the reader's permission (refused to another unit), refused by type and size
with nothing kept; a ticket the policy names (building_safety) is resolved only with two
photos of the site."""
from __future__ import annotations

import io
import uuid

import pytest
from integration_support import eventually
from PIL import Image
from test_console_api import (  # noqa: F401 - pytest fixtures
    GRID,
    api,
    client,
    created,
    dispatched,
    take,
    tokens,
)
from test_console_pages import Person

from services.shared import evidence

PDF = b"%PDF-1.4\n% a site report\n"


def jpeg(colour: str = "red", size: tuple[int, int] = (2400, 1800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def timeline_types(api, number: str, who: str = "grid") -> list[str]:
    return [entry["event_type"]
            for entry in api("get", f"/api/tickets/{number}", who).get_json()["timeline"]]


@pytest.fixture(scope="module")
def grid_person(console_app) -> Person:
    return Person(console_app, "grid")


def test_a_note_is_for_the_tickets_staff_and_never_in_open311(api, client):
    number = created(api)
    dispatched(api, number)
    marker = f"note-{uuid.uuid4().hex[:12]}"  # ASCII: found in escaped JSON too
    status = take(api, number, "notes", "grid", note=f"{marker} 老人下午三点后在家")
    assert [note["text"] for note in status["notes"]] == [f"{marker} 老人下午三点后在家"]
    eventually(lambda: "note_added" in timeline_types(api, number))
    for reader in ("grid", "dispatcher", "supervisor"):
        assert marker in api("get", f"/api/tickets/{number}", reader).get_data(as_text=True)
    agent = api("get", f"/api/tickets/{number}", "agent")  # reads the ticket, not its notes
    assert agent.status_code == 200 and marker not in agent.get_data(as_text=True)
    other = api("get", f"/api/tickets/{number}", "kaichen")
    assert other.status_code == 403 and marker not in other.get_data(as_text=True)
    take(api, number, "notes", "kaichen", status=403, note="别人的工单")
    for path in (f"/open311/v2/requests/{number}.json", f"/open311/v2/requests/{number}.xml",
                 "/open311/v2/requests.json", "/open311/v2/requests.xml"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert marker not in answer.get_data(as_text=True), path
    assert number in client.get(f"/open311/v2/requests/{number}.json").get_data(as_text=True)


def test_photos_and_documents_are_read_with_the_tickets_permission(api, console_app,
                                                                   grid_person):
    number = created(api)
    dispatched(api, number)
    upload = {"files": [(io.BytesIO(jpeg()), "门口.jpg"), (io.BytesIO(PDF), "情况说明.pdf")]}
    answer = api("post", f"/api/tickets/{number}/attachments", "grid", data=upload,
                 content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    photo, document = answer.get_json()["attachments"]
    assert (photo["name"], photo["content_type"], photo["width"], photo["by"]["id"]) == (
        "门口.jpg", "image/jpeg", 1600, "li")
    assert (document["content_type"], document["size"]) == ("application/pdf", len(PDF))
    listed = api("get", f"/api/tickets/{number}/attachments", "dispatcher").get_json()
    assert [item["attachment_id"] for item in listed] == [photo["attachment_id"],
                                                           document["attachment_id"]]
    base = f"/api/tickets/{number}/attachments"
    assert api("get", base, "agent").get_json() == []  # the agent reads the ticket only
    assert api("get", f"{base}/{photo['attachment_id']}", "agent").status_code == 403
    read = api("get", f"{base}/{document['attachment_id']}", "dispatcher")
    assert read.status_code == 200 and read.data == PDF
    assert read.headers["Content-Type"] == "application/pdf"
    assert read.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in read.headers["Cache-Control"]  # by no cache, shared or not
    download = api("get", f"{base}/{document['attachment_id']}?download=true", "grid")
    assert download.headers["Content-Disposition"].startswith("attachment")
    thumb = api("get", f"{base}/{photo['attachment_id']}/thumbnail", "grid")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) == evidence.THUMB_EDGE
    for path in (base, f"{base}/{photo['attachment_id']}",
                 f"{base}/{photo['attachment_id']}/thumbnail"):
        assert api("get", path, "kaichen").status_code == 403, path
    kaichen = Person(console_app, "kaichen")
    kaichen.get(f"/tickets/{number}/attachments/{photo['attachment_id']}", status=403)
    page = grid_person.get(f"/tickets/{number}")
    assert "附件与现场照片" in page and f"/attachments/{photo['attachment_id']}/thumbnail" in page
    assert grid_person.client.get(
        f"/tickets/{number}/attachments/{photo['attachment_id']}/thumbnail").status_code == 200
    eventually(lambda: timeline_types(api, number).count("attachment_added") == 2)
    timeline = api("get", f"/api/tickets/{number}", "grid").get_json()["timeline"]
    assert all("content" not in entry["data"] for entry in timeline)


def test_a_file_too_large_or_of_another_type_is_refused_and_nothing_kept(api, grid_person):
    number = created(api)
    dispatched(api, number)
    path = f"/api/tickets/{number}/attachments"
    large = b"%PDF-" + b"0" * evidence.MAX_FILE_BYTES
    answer = api("post", path, "grid", data={"files": [(io.BytesIO(large), "大文件.pdf")]},
                 content_type="multipart/form-data")
    assert answer.status_code == 413 and "10 MB" in answer.get_json()["message"]
    each = b"%PDF-" + b"0" * 8_500_000  # five: over 40 MB in all, within the body's bound
    answer = api("post", path, "grid", data={"files": [(io.BytesIO(each), f"{n}.pdf")
                                                       for n in range(5)]},
                 content_type="multipart/form-data")
    assert answer.status_code == 413 and "合计" in answer.get_json()["errors"]["files"][0]
    nine = b"%PDF-" + b"0" * (9 * 1024 * 1024)  # five: a body larger than any upload
    answer = api("post", path, "grid", data={"files": [(io.BytesIO(nine), f"{n}.pdf")
                                                       for n in range(5)]},
                 content_type="multipart/form-data")
    assert answer.status_code == 413  # refused before the body is read
    answer = api("post", path, "grid", data={"files": [(io.BytesIO(jpeg()), "好.jpg"),
                                                       (io.BytesIO(b"MZ\x90"), "坏.jpg")]},
                 content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "坏.jpg" in answer.get_json()["errors"]["files"][0]
    assert api("get", path, "grid").get_json() == []
    page = grid_person.post(f"/tickets/{number}/attachments",
                            {"files": (io.BytesIO(b"<html>"), "照片.jpg")})
    assert page.status_code == 422 and "不是可接受的类型" in page.get_data(as_text=True)
    assert api("get", path, "grid").get_json() == []


def test_a_building_safety_ticket_is_resolved_only_with_two_photos(api, grid_person):
    number = created(api, category="building_safety", description="外墙瓷砖松动有坠落危险")
    dispatched(api, number)
    take(api, number, "accept", "grid")
    page = grid_person.get(f"/tickets/{number}")
    assert 'name="photos"' in page and "至少 2 张现场照片" in page
    refused = grid_person.post(f"/tickets/{number}/resolve", {"resolution": "已排险"})
    assert refused.status_code == 422
    assert "至少 2 张现场照片" in refused.get_data(as_text=True)
    one = grid_person.post(f"/tickets/{number}/resolve", {
        "resolution": "已排险", "photos": [(io.BytesIO(jpeg()), "一张.jpg")]})
    assert one.status_code == 422
    status = api("get", f"/api/tickets/{number}", "grid").get_json()["status"]
    assert (status["state"], status["attachments"]) == ("accepted", [])
    done = grid_person.post(f"/tickets/{number}/resolve", {
        "resolution": "已排险，外墙已加固",
        "photos": [(io.BytesIO(jpeg("blue")), "施工前.jpg"),
                   (io.BytesIO(jpeg("green")), "施工后.jpg")]})
    assert done.status_code == 200 and "已办结" in done.get_data(as_text=True)
    status = api("get", f"/api/tickets/{number}", "grid").get_json()["status"]
    assert status["state"] == "resolved"
    assert [(a["name"], a["step"]) for a in status["attachments"]] == [
        ("施工前.jpg", "resolve"), ("施工后.jpg", "resolve")]
