"""The one way the console hands out a file: a service's {filename, content_base64} as an
attachment, its name set by werkzeug's ``send_file`` (quoted, and a non-ASCII name as
RFC 6266 ``filename*``), never by joining text into Content-Disposition."""
from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterable, Sequence

from flask import Response, send_file
from openpyxl import Workbook

from services.shared import clock, spreadsheets

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
    return download(base64.b64decode(file["content_base64"]), XLSX, file["filename"])


def download(data: bytes, mimetype: str, name: str) -> Response:
    """``data`` as a file to save, named ``name``. send_file writes a name beyond latin-1
    as RFC 5987's ``filename*=UTF-8''…``: gunicorn refuses a header it cannot encode (a
    Chinese name set as is answers 500)."""
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=file_name(name))


def table_download(columns: Sequence[tuple[str, str]], rows: Iterable[dict], kind: str,
                   title: str) -> Response:
    """A list as a file to save: ``columns`` (key, heading) of ``rows``, as CSV (UTF-8
    with a BOM, for Excel) or an Excel workbook (``kind``: csv or xlsx), named ``title``
    and the minute; text that would be a formula written with Excel's quote, in both
    (spreadsheets.py)."""
    named = f"{title}-{clock.local(clock.now()):%Y%m%d-%H%M}.{kind}"
    if kind == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow([heading for _, heading in columns])
        for row in rows:
            writer.writerow([f"'{value}" if spreadsheets.formula_like(value) else value
                             for value in (row[key] for key, _ in columns)])
        return download(("\ufeff" + text.getvalue()).encode("utf-8"),
                        "text/csv; charset=utf-8", named)
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit for a sheet's name
    spreadsheets.append_row(sheet, [heading for _, heading in columns])
    for row in rows:
        spreadsheets.append_row(sheet, [row[key] for key, _ in columns])
    content = io.BytesIO()
    book.save(content)
    return download(content.getvalue(), XLSX, named)


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
