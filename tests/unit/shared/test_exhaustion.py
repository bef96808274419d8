"""What ran out, in words a caller is told; anything else is a fault, answered as it is."""
import errno
import sqlite3

import pymongo.errors
import pytest

from services.shared import exhaustion


@pytest.mark.parametrize("error, said", [
    (sqlite3.OperationalError("database or disk is full"), "its store's disk is full"),
    (pymongo.errors.OperationFailure("WiredTiger error: No space left on device"),
     "its store's disk is full"),
    (OSError(errno.ENOSPC, "No space left on device"), "its disk is full"),
    (OSError(errno.EMFILE, "Too many open files"), "it has too many files open"),
    (MemoryError(), "it is out of memory"),
    (sqlite3.OperationalError("attempt to write a readonly database"),
     "its store's disk is read-only"),
    (pymongo.errors.AutoReconnect("primary lost"), "its store does not answer"),
])
def test_what_ran_out_is_said(error, said):
    assert exhaustion.reason(error) == said


@pytest.mark.parametrize("error", [
    KeyError("ticket_no"), sqlite3.OperationalError("no such column: x"),
    OSError(errno.ENOENT, "No such file"), ValueError("bad"),
])
def test_a_fault_of_the_code_is_not_taken_for_a_resource(error):
    assert exhaustion.reason(error) is None
