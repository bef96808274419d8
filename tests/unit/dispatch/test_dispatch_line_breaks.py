"""A unit's notes as its staff typed them: a CRLF from a browser's textarea is kept as LF
by every step that takes free text, and the ticket's state shows the lines."""
import pytest
from dispatch_support import KAICHEN, NO, create

from services.shared.errors import InvalidRequest


def test_a_contact_note_and_a_resolution_keep_their_lines(service):
    create(service)
    service.accept(NO, KAICHEN)
    service.record_contact(NO, KAICHEN, "已电联王阿姨\r\n约定明早上门")
    assert service.get_status(NO, KAICHEN)["last_note"] == "已电联王阿姨\n约定明早上门"

    service.resolve(NO, KAICHEN, "更换扶手\r\n测试牢固\r")
    status = service.get_status(NO, KAICHEN)
    assert (status["state"], status["resolution"]) == ("resolved", "更换扶手\n测试牢固")


def test_a_resolution_with_a_bell_in_it_is_refused_and_the_ticket_stays_as_it_was(service):
    create(service)
    service.accept(NO, KAICHEN)
    with pytest.raises(InvalidRequest) as refused:
        service.resolve(NO, KAICHEN, "更换扶手\x07")
    assert refused.value.errors == {"resolution": ["Control characters are not allowed."]}
    assert service.get_status(NO, KAICHEN)["state"] == "accepted"
