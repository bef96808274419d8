"""A request's deadline: set a little before its caller stops waiting, and read by the
service before it starts."""
from services.shared import deadlines


def test_the_deadline_falls_a_little_before_the_caller_gives_up():
    assert deadlines.deadline_for(10, now=1000.0) == 1009.0  # a second's margin at most
    assert deadlines.deadline_for(2, now=1000.0) == 1001.6   # a fifth of a short wait


def test_a_request_past_its_deadline_says_by_how_much():
    headers = {deadlines.HEADER: 1009.0}
    assert deadlines.overdue_by(headers, now=1008.5) is None
    assert deadlines.overdue_by(headers, now=1012.0) == 3.0


def test_a_request_without_a_deadline_is_never_late():
    # nameko's own proxies (and older callers) send none: the broker's expiry is all
    assert deadlines.overdue_by({}, now=1e12) is None
    assert deadlines.overdue_by(None, now=1e12) is None
    assert deadlines.overdue_by({deadlines.HEADER: "soon"}, now=1e12) is None
