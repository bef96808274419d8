"""The one way the console hands out a file: a service's {filename, content_base64} as an
attachment, its name set by werkzeug's ``send_file`` (quoted, and a non-ASCII name as
RFC 6266 ``filename*``), never by joining text into Content-Disposition."""
from __future__ import annotations

import base64
import io
import re

from flask import Response, send_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A file name carries words (Chinese too), digits, dots and dashes; anything else a
# caller could put in it (quotes, semicolons, slashes, control characters) becomes "_".
NOT_IN_A_NAME = re.compile(r"[^\w.\-]+")
FALLBACK_NAME = "download.xlsx"


def file_name(name: str) -> str:
    """``name`` fit to be a downloaded file's name: a unit id typed into the address bar,
    say ``x"; filename=evil.exe``, cannot name a second file or a path."""
    return NOT_IN_A_NAME.sub("_", name).strip("._") or FALLBACK_NAME


def workbook_download(file: dict) -> Response:
    """A service's .xlsx ({filename, content_base64}) as a download."""
    return send_file(io.BytesIO(base64.b64decode(file["content_base64"])), mimetype=XLSX,
                     as_attachment=True, download_name=file_name(file["filename"]))


def text_download(text: str, name: str, mimetype: str) -> Response:
    """Text made by the console (the search list's CSV) as a UTF-8 download."""
    return send_file(io.BytesIO(text.encode("utf-8")), mimetype=mimetype, as_attachment=True,
                     download_name=file_name(name))


# Attachments shown in the page itself; anything else is downloaded.
INLINE = ("image/jpeg", "image/png", "image/webp", "application/pdf")


def attachment_download(file: dict, download: bool = False) -> Response:
    """A ticket's attachment (dispatch's {name, content_type, content}): its type as kept
    (read from its bytes when it was attached), inline for images and PDFs unless
    ``download``. Like every answer of the console it is never cached (headers.py:
    ``Cache-Control: no-store``, ``nosniff``): the permission is checked on every read."""
    inline = file["content_type"] in INLINE and not download
    return send_file(io.BytesIO(base64.b64decode(file["content"])),
                     mimetype=file["content_type"], as_attachment=not inline,
                     download_name=file_name(file["name"]))
