"""What the integration tests share besides fixtures."""
from __future__ import annotations

import time


def eventually(check, timeout: float = 10.0, interval: float = 0.05):
    """``check()``'s first truthy answer, or its last answer as an AssertionError.
    Used where a flow crosses several services and events."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
            if answer:
                return answer
        except Exception as error:  # not there yet (e.g. NotFound)
            answer = error
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s; last answer: {answer!r}")
        time.sleep(interval)
