"""Text as people type it: a browser sends a textarea's Enter as CRLF, an old program a lone
CR; the system keeps each line break as LF, wherever the text comes in, and still refuses
every other control character with the same message."""
import pytest
from marshmallow import ValidationError

from services.console.api_schemas import ContactBody, ResolveBody
from services.console.open311 import ServiceRequestSchema
from services.shared.requests import TicketRequestSchema
from services.shared.schemas import typed_text

REFUSED = "Control characters are not allowed."


@pytest.mark.parametrize("typed, kept", [
    ("楼道灯不亮\r\n已两天", "楼道灯不亮\n已两天"),          # a browser's textarea
    ("楼道灯不亮\r已两天", "楼道灯不亮\n已两天"),            # a lone CR
    ("楼道灯不亮\n已两天", "楼道灯不亮\n已两天"),            # already LF
    ("一\r\n\r\n二\r\r三", "一\n\n二\n\n三"),                # blank lines stay blank lines
    ("\r\n  老人独居 \t\r\n", "老人独居"),                   # surrounding space goes
    ("姓名\t电话", "姓名\t电话"),                             # a tab is kept
])
def test_line_breaks_are_kept_as_line_feeds(typed, kept):
    assert typed_text(typed) == kept


@pytest.mark.parametrize("typed", ["响铃\x07", "\x1b[31m红字", "空\x00字符", "换\x0c页",
                                   "垂直\x0b制表", "\r\x00"])
def test_other_control_characters_are_refused_with_the_same_message(typed):
    with pytest.raises(ValidationError) as refused:
        typed_text(typed)
    assert refused.value.messages == [REFUSED]


def test_a_lone_surrogate_is_refused():
    with pytest.raises(ValidationError, match="Not valid Unicode text"):
        typed_text("坏\ud800字")


NEW_TICKET = {"channel": "hotline", "caller": {"name": "王阿姨", "phone": "13812345678"},
              "kind": "help", "category": "street_light",
              "description": "3号楼前路灯不亮\r\n晚上看不见台阶",
              "address": {"district": "杨浦区", "detail": "国和小区\r\n3号楼前"}}


def test_a_new_ticket_keeps_the_lines_of_its_description_and_address():
    request = TicketRequestSchema().load(NEW_TICKET)
    assert request["description"] == "3号楼前路灯不亮\n晚上看不见台阶"
    assert request["address"]["detail"] == "国和小区\n3号楼前"


def test_a_new_ticket_with_a_bell_in_its_description_names_the_field():
    with pytest.raises(ValidationError) as refused:
        TicketRequestSchema().load({**NEW_TICKET, "description": "路灯\x07不亮"})
    assert refused.value.messages == {"description": [REFUSED]}


def test_a_step_through_the_api_keeps_the_lines_of_its_note():
    assert ResolveBody().load({"resolution": "已更换灯泡\r\n已试亮"}) == {
        "resolution": "已更换灯泡\n已试亮"}
    assert ContactBody().load({"note": "已电联\r约定明早上门"}) == {"note": "已电联\n约定明早上门"}


def test_an_open311_request_keeps_the_lines_of_its_description():
    posted = ServiceRequestSchema().load({
        "service_code": "street_light", "description": "路灯不亮\r\n已两天",
        "address_string": "国和小区8号楼东侧", "attribute[subdistrict]": "殷行街道"})
    assert posted["description"] == "路灯不亮\n已两天"
