"""Resources running out, answered rather than crashed on: a full disk, a store that does
not answer, too many open files, memory gone. A service's RPC that fails for such a reason
answers ``ServicesUnavailable`` saying which (the console shows it as a 503 page, the
command lines as one line and exit status 3); it works again as soon as the resource is
back, with nothing half-written (each store write is one document, or none).
"""
from __future__ import annotations

import errno
import sqlite3

import pymongo.errors

# errno → what ran out, in the words a caller is told
RAN_OUT = {errno.ENOSPC: "its disk is full", errno.EDQUOT: "its disk quota is used up",
           errno.EMFILE: "it has too many files open", errno.ENFILE: "it has too many files "
           "open", errno.ENOMEM: "it is out of memory", errno.EROFS: "its disk is read-only"}
# what SQLite (the embedded store) and MongoDB say when their disk is full
DISK_FULL_WORDS = ("disk is full", "no space left", "disk full", "out of disk space")


def reason(error: BaseException) -> str | None:
    """What ran out, if ``error`` says a resource ran out or the store is away; None for
    any other error (a fault of the code, answered as it is)."""
    if isinstance(error, MemoryError):
        return "it is out of memory"
    if isinstance(error, OSError) and error.errno in RAN_OUT:
        return RAN_OUT[error.errno]
    text = str(error).lower()
    if isinstance(error, (sqlite3.OperationalError, pymongo.errors.OperationFailure)):
        if any(words in text for words in DISK_FULL_WORDS):
            return "its store's disk is full"
        if "readonly" in text or "read-only" in text:
            return "its store's disk is read-only"
        if "database is locked" in text:
            return "its store is held by another process"
    if isinstance(error, pymongo.errors.ConnectionFailure):
        return "its store does not answer"
    return None
