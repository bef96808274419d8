"""Free text as the API's description says it (the ``pattern`` of every Text field) and as
the services read it: tab and the line ends of every system pass, other control characters
do not, and a field that must not be empty needs something other than space."""
from __future__ import annotations

import re

import pytest
from marshmallow import ValidationError

from services.shared.accounts import USERNAME, Username
from services.shared.schemas import LONG_TEXT, TEXT, VISIBLE_TEXT, Text

TYPED = ["第一行\r\n第二行", "第一行\r第二行", "第一行\n第二行", "地址\t3号楼", "王阿姨"]
# anywhere, at either end too (where stripping the space around text would hide them)
REFUSED = ["响铃\x07了", "\x00", "\x1b[31m红", "换\x0c页", "竖\x0b线", "a\x1fb", "换页\x0c",
           "\x1f", "\x0b王阿姨",
           # DEL and the C1 controls: NEL (U+0085) is space to str.strip, not to a client's \s
           "\x85", "说明\x85", "\x7f", "a\x9bb"]


@pytest.mark.parametrize("text", TYPED)
def test_text_as_people_type_it_fits_the_pattern(text):
    assert re.match(TEXT, text) and re.match(VISIBLE_TEXT, text)


@pytest.mark.parametrize("text", REFUSED)
def test_other_control_characters_are_outside_the_pattern_and_refused(text):
    assert not re.match(TEXT, text)
    with pytest.raises(ValidationError):
        Text().deserialize(text)


def test_only_line_ends_and_space_are_not_visible_text():
    assert re.match(TEXT, "\r\n \t")
    assert not re.match(VISIBLE_TEXT, "\r\n \t")


def test_a_text_field_says_its_pattern_and_reads_line_ends_as_lf():
    field = Text(validate=LONG_TEXT)
    assert field.metadata["pattern"] == VISIBLE_TEXT
    assert field.deserialize("第一行\r\n第二行\r第三行\n") == "第一行\n第二行\n第三行"


@pytest.mark.parametrize("sent, read", [(" Zhou.Min ", "zhou.min"), ("zhou\r\n", "zhou"),
                                        ("zhou\x0c", None), ("\x1czhou", None),
                                        ("\t j \n", None)])
def test_a_username_fits_its_pattern_exactly_when_it_is_read(sent, read):
    field = Username(validate=USERNAME)  # as accounts take it
    assert bool(re.match(field.metadata["pattern"], sent)) == (read is not None)
    if read is None:
        with pytest.raises(ValidationError):
            field.deserialize(sent)
    else:
        assert field.deserialize(sent) == read


def test_every_space_that_stripping_takes_is_not_visible_text():
    # a client that makes text from the pattern must never make one the service empties
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    kept = [s for s in spaces if re.match(TEXT, s)]
    assert kept and not [s for s in kept if re.match(VISIBLE_TEXT, s)]
    assert all(Text().deserialize(s) == "" for s in kept)
