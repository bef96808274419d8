"""What attachments are taken (services/shared/evidence.py): the type read from the bytes,
never the name; at most 10 MiB; images kept at most 1600 px with a thumbnail, the camera's
EXIF (GPS included) not kept; clear Chinese refusals naming the file."""
from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from services.shared import evidence
from services.shared.errors import InvalidRequest


def image(width: int, height: int, kind: str = "JPEG", **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, kind, **options)
    return out.getvalue()


def office(part: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize("data, expected", [
    (image(10, 10), evidence.JPEG), (image(10, 10, "PNG"), evidence.PNG),
    (image(10, 10, "WEBP"), evidence.WEBP), (b"%PDF-1.7\n...", evidence.PDF),
    (office("word/document.xml"), evidence.DOCX), (office("xl/workbook.xml"), evidence.XLSX),
])
def test_the_type_is_read_from_the_bytes(data, expected):
    assert evidence.sniff(data) == expected
    # whatever the name says
    assert evidence.checked(data, "照片.txt") == expected


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00 an executable", b"<html><script>", office("other.xml"),
    b"PK\x03\x04 not a zip", b"GIF89a",
])
def test_other_files_are_refused_naming_the_file_in_chinese(data):
    with pytest.raises(InvalidRequest) as refused:
        evidence.checked(data, "现场.jpg")
    [message] = refused.value.errors["files"]
    assert "现场.jpg" in message and "不是可接受的类型" in message


def test_a_file_over_10_mib_or_empty_is_refused():
    with pytest.raises(InvalidRequest, match="超过 10 MB"):
        evidence.checked(b"%PDF-" + b"0" * evidence.MAX_FILE_BYTES, "大.pdf")
    with pytest.raises(InvalidRequest, match="是空的"):
        evidence.checked(b"", "空.pdf")


def test_a_large_photo_is_kept_at_1600_px_with_a_thumbnail_and_no_exif():
    exif = Image.Exif()
    exif[0x010F] = "相机厂商"  # Make
    ready = evidence.prepared(image(4000, 3000, exif=exif.tobytes()), "IMG_0001.JPEG")
    assert (ready.width, ready.height) == (1600, 1200)
    assert ready.content_type == evidence.JPEG and ready.name == "IMG_0001.jpg"
    with Image.open(io.BytesIO(ready.data)) as kept:
        assert kept.size == (1600, 1200) and not kept.getexif()
    assert ready.thumbnail is not None
    with Image.open(io.BytesIO(ready.thumbnail)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == evidence.THUMB_EDGE


def test_a_small_photo_keeps_its_size_and_a_document_is_kept_as_sent():
    ready = evidence.prepared(image(300, 200, "PNG"), "门牌")
    assert (ready.width, ready.height, ready.name) == (300, 200, "门牌.png")
    document = "%PDF-1.4 整改通知".encode()
    kept = evidence.prepared(document, "../../通知.pdf")
    assert (kept.data, kept.name, kept.thumbnail) == (document, "通知.pdf", None)


def test_a_broken_image_is_refused():
    with pytest.raises(InvalidRequest, match="无法读取"):
        evidence.prepared(b"\xff\xd8\xff\xe0 not really a jpeg", "坏.jpg")
