"""Files people and programs upload to a ticket (photos of the site, documents): read,
checked by their bytes and size before anything is asked of dispatch, and passed on as
dispatch takes them ([{name, content (base64)}]). Dispatch checks them again and keeps
them (services/shared/evidence.py says what is taken)."""
from __future__ import annotations

import base64
from collections.abc import Iterable

from werkzeug.datastructures import FileStorage

from services.shared import evidence
from services.shared.errors import InvalidRequest


class TooLarge(InvalidRequest):
    """A file over evidence.MAX_FILE_BYTES: answered 413, nothing stored."""


def files_sent(uploads: Iterable[FileStorage], field: str = "files") -> list[dict]:
    """Each uploaded file (empty file inputs left out) checked and encoded for dispatch;
    TooLarge or InvalidRequest naming ``field`` and the file, before anything is stored."""
    sent = [upload for upload in uploads if upload is not None and upload.filename]
    if len(sent) > evidence.MAX_FILES:
        raise InvalidRequest({field: [evidence.TOO_MANY]})
    files, total = [], 0
    for upload in sent:
        data = upload.stream.read(evidence.MAX_FILE_BYTES + 1)
        name = upload.filename or "附件"
        if len(data) > evidence.MAX_FILE_BYTES:
            raise TooLarge({field: [evidence.TOO_LARGE.format(name=name)]})
        total += len(data)
        if total > evidence.MAX_UPLOAD_BYTES:
            raise TooLarge({field: [evidence.TOO_MUCH]})
        evidence.checked(data, name, field)
        files.append({"name": name, "content": base64.b64encode(data).decode("ascii")})
    return files
