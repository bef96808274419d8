"""Files attached to tickets (现场照片, documents): which are taken, how large, and how an
image is kept. Shared by the console, which refuses a bad upload before sending it on,
and dispatch, which keeps the files and checks again (it trusts no caller).

A file's type is read from its first bytes, never from its name or the type a browser
claims: JPEG, PNG and WebP images, PDF, and Word (.docx) and Excel (.xlsx) documents.
Each file is at most ``MAX_FILE_BYTES`` (10 MiB) as uploaded; an image is kept at most
``MAX_EDGE`` pixels on its longer side (re-encoded, so the camera's EXIF, GPS position
included, is not kept) with a thumbnail of ``THUMB_EDGE`` pixels.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from services.shared.errors import InvalidRequest
from services.shared.payloads import ATTACHMENT_TYPES
from services.shared.states import IMAGE_TYPES

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10             # at most this many files in one upload
MAX_UPLOAD_BYTES = 40 * 1024 * 1024  # and at most this much in all (one RPC message)
MAX_NAME = 200             # characters of a file's name kept
MAX_EDGE = 1600            # pixels, the longer side of a kept image
THUMB_EDGE = 320           # pixels, the longer side of a thumbnail
MAX_PIXELS = 60_000_000    # an image larger than this is refused (a decompression bomb)

JPEG, PNG, WEBP = IMAGES = IMAGE_TYPES
PDF, DOCX, XLSX = ATTACHMENT_TYPES[3:]
TYPES = ATTACHMENT_TYPES  # the contract's (payloads.py): JPEG, PNG, WebP, PDF, DOCX, XLSX
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf", DOCX: ".docx",
              XLSX: ".xlsx"}
PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}

TOO_LARGE = "文件“{name}”超过 10 MB，未保存"
WRONG_TYPE = "文件“{name}”不是可接受的类型（JPEG、PNG、WebP 图片，PDF，Word 或 Excel 文档），未保存"
UNREADABLE_IMAGE = "图片“{name}”无法读取，未保存"
EMPTY = "文件“{name}”是空的，未保存"
TOO_MANY = f"一次最多上传 {MAX_FILES} 个文件"
TOO_MUCH = "一次上传的文件合计超过 40 MB，未保存，请分几次上传"


def sniff(data: bytes) -> str | None:
    """The type the first bytes say, of TYPES; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return None


def _office(data: bytes) -> str | None:
    """A .docx or .xlsx (a zip with the Office parts), or None for any other zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def clean_name(name: str | None, content_type: str) -> str:
    """A file's name as kept: its last path part, no control characters, at most MAX_NAME
    characters, ending in its type's extension."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "附件"
    extension = EXTENSIONS[content_type]
    stem = base[:-len(extension)] if base.lower().endswith(extension) else base
    if content_type == JPEG and stem.lower().endswith(".jpeg"):
        stem = stem[:-5]
    return stem[:MAX_NAME - len(extension)] + extension


def checked(data: bytes, name: str | None, field: str = "files") -> str:
    """The type of an uploaded file, read from its bytes; InvalidRequest naming ``field``
    for one empty, over MAX_FILE_BYTES (the console answers that 413 before asking) or of
    a type not taken."""
    shown = (name or "附件")[:MAX_NAME]
    if not data:
        raise InvalidRequest({field: [EMPTY.format(name=shown)]})
    if len(data) > MAX_FILE_BYTES:
        raise InvalidRequest({field: [TOO_LARGE.format(name=shown)]})
    content_type = sniff(data)
    if content_type is None:
        raise InvalidRequest({field: [WRONG_TYPE.format(name=shown)]})
    return content_type


@dataclass(frozen=True)
class Prepared:
    """A file as it is kept: its bytes (an image resized), type, name, and for an image its
    size in pixels and a JPEG thumbnail."""

    data: bytes
    content_type: str
    name: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


def prepared(data: bytes, name: str | None, field: str = "files") -> Prepared:
    """``data`` checked (``checked``) and, for an image, resized to MAX_EDGE with its
    thumbnail; InvalidRequest for an image that cannot be read."""
    content_type = checked(data, name, field)
    kept_name = clean_name(name, content_type)
    if content_type not in IMAGES:
        return Prepared(data, content_type, kept_name)
    shown = (name or "附件")[:MAX_NAME]
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise InvalidRequest({field: [UNREADABLE_IMAGE.format(name=shown)]})
            if opened.format == "JPEG":  # decode at the scale needed: several times faster
                opened.draft("RGB", (MAX_EDGE, MAX_EDGE))
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InvalidRequest({field: [UNREADABLE_IMAGE.format(name=shown)]}) from None
    kept = _resized(image, MAX_EDGE)
    return Prepared(_encoded(kept, content_type), content_type, kept_name, kept.width,
                    kept.height, _encoded(_resized(kept, THUMB_EDGE), JPEG))


def _resized(image: Image.Image, edge: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def _encoded(image: Image.Image, content_type: str) -> bytes:
    if content_type == JPEG and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 85} if content_type in (JPEG, WEBP) else {"optimize": True}
    image.save(out, PIL_FORMATS[content_type], **options)
    return out.getvalue()
