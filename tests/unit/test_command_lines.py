"""How every command line of the project answers refusals and silence (agent_cli.answer_of),
and make verify's quick answer when no ledger is running."""
import pytest
from amqp.exceptions import AccessRefused, NotAllowed
from nameko.exceptions import RpcTimeout, UnknownService

from services.agent_cli import REFUSED, SILENT, answer_of
from services.ledger import verify_cli
from services.shared.errors import InvalidRequest, NotFound


def failing(error):
    def call():
        raise error
    return call


def test_an_answer_is_status_0():
    assert answer_of("hotline", "pyamqp://h/", lambda: {"ticket_no": "x"}) == \
        (0, {"ticket_no": "x"})


def test_bad_input_is_refused_field_by_field(capsys):
    status, _ = answer_of("hotline", "pyamqp://h/", failing(InvalidRequest(
        {"category": ["Must be one of: street_light."], "caller": {"phone": ["Not a phone."]}})))
    assert status == REFUSED
    err = capsys.readouterr().err
    assert "hotline: category: Must be one of: street_light." in err
    assert "hotline: caller:" in err


def test_a_documented_refusal_is_status_2(capsys):
    assert answer_of("hotline", "pyamqp://h/", failing(NotFound("ticket X")))[0] == REFUSED


@pytest.mark.parametrize("error", [
    UnknownService("ledger"), RpcTimeout(10), ConnectionRefusedError(111, "refused"),
    NotAllowed("vhost hotline not found"), AccessRefused("login refused"),
])
def test_silence_a_refused_connection_or_a_wrong_vhost_is_status_3(error, capsys):
    assert answer_of("verify", "pyamqp://h/", failing(error), silent="no ledger")[0] == SILENT
    assert "verify: no ledger" in capsys.readouterr().err


def test_silence_names_every_address_it_tried_without_a_password(capsys):
    cluster = "pyamqp://console:s3cret@rabbit-1:5672/hotline;" \
              "pyamqp://console:s3cret@rabbit-2:5672/hotline"
    answer_of("hotline", cluster, failing(ConnectionRefusedError(111, "refused")))
    said = capsys.readouterr().err
    assert "rabbit-1" in said and "rabbit-2" in said and "s3cret" not in said


def test_verify_asks_briefly_whether_a_ledger_answers_before_the_long_walk(monkeypatch):
    timeouts = []

    def over_rpc(prog, uri, timeout, work, silent):
        timeouts.append(timeout)
        return SILENT

    monkeypatch.setattr(verify_cli, "over_rpc", over_rpc)
    assert verify_cli.main(["--amqp-uri", "pyamqp://h/"]) == SILENT
    assert timeouts == [verify_cli.PROBE_TIMEOUT]  # the 600 s walk never started


class Accounts:
    """accounts as a command line meets it: sign-ins and their statements."""

    def __init__(self):
        self.calls: list[str] = []

    def authenticate_token(self, token):
        self.calls.append("token")
        if token != "hlt_good":
            from services.shared.errors import NotPermitted
            raise NotPermitted("invalid, revoked or expired token")
        return {"statement": f"statement-{len(self.calls)}"}

    def start_session(self, user, password):
        self.calls.append(f"start {user} {password}")
        return {"session": "secret-1"}

    def check_session(self, session):
        self.calls.append(f"check {session}")
        return {"statement": f"statement-{len(self.calls)}"}

    def end_session(self, session):
        self.calls.append(f"end {session}")


def test_a_command_line_signs_in_and_asks_for_a_fresh_statement_each_minute(monkeypatch):
    import pytest

    from services.shared.errors import NotPermitted
    from services.shared.signed_in import NotSignedIn, SignedIn, sign_in

    monkeypatch.delenv("HOTLINE_TOKEN", raising=False)
    monkeypatch.delenv("HOTLINE_USER", raising=False)
    rpc = type("Rpc", (), {"accounts": Accounts()})()
    with pytest.raises(NotSignedIn):  # nobody to act for: it says how to sign in
        sign_in(rpc)

    signed = sign_in(rpc, "li", ask=lambda prompt: "pw")
    first = signed()
    assert signed() == first  # within the minute: the same statement, accounts not asked
    signed.end()
    assert rpc.accounts.calls == ["start li pw", "check secret-1", "end secret-1"]

    clock = [0.0]
    later = SignedIn(rpc.accounts, session="secret-1", now=lambda: clock[0])
    first = later()
    clock[0] = 59.0
    assert later() == first
    clock[0] = 60.0  # a minute old: a long import outlives a statement, so ask again
    assert later() != first

    monkeypatch.setenv("HOTLINE_TOKEN", "hlt_bad")
    with pytest.raises(NotPermitted):  # refused at once, not at the first call
        sign_in(rpc)
    monkeypatch.setenv("HOTLINE_TOKEN", "hlt_good")
    assert sign_in(rpc)().startswith("statement-")

def test_hotline_show_gives_a_unit_the_ticket_as_dispatch_shows_it(capsys):
    """Intake shows tickets as received to agents and the centre; a unit handling one
    reads it from dispatch, as the console's ticket page does."""
    from types import SimpleNamespace

    from services.agent_cli import print_ticket, ticket_file
    from services.shared.errors import NotPermitted

    status = {"ticket_no": "YP20261123-0001", "kind": "help", "category": "street_light",
              "priority": "normal", "description": "路灯不亮", "state": "accepted",
              "unit_name": "殷行街道第一网格工作站", "deadlines": {},
              "address": {"district": "杨浦区", "estate": "国和小区", "room": "4**"}}

    def refused(*args):
        raise NotPermitted("ticket YP20261123-0001: not among those you may see")

    unit = SimpleNamespace(dispatch=SimpleNamespace(get_status=lambda no, me: status),
                           intake=SimpleNamespace(get_ticket=refused))
    answer = ticket_file(unit, "YP20261123-0001", "statement")
    assert answer == {"ticket": None, "status": status}
    print_ticket(answer["ticket"] or answer["status"], answer["status"])
    shown = capsys.readouterr().out
    assert "工单 YP20261123-0001" in shown and "承办单位: 殷行街道第一网格工作站" in shown

    nobody = SimpleNamespace(dispatch=SimpleNamespace(get_status=refused),
                             intake=SimpleNamespace(get_ticket=refused))
    with pytest.raises(NotPermitted):
        ticket_file(nobody, "YP20261123-0001", "statement")


def test_services_that_cannot_serve_now_say_why_with_status_3(capsys):
    from services.shared.errors import ServicesUnavailable

    status, _ = answer_of("hotline", "pyamqp://h/", failing(
        ServicesUnavailable("intake: its store's disk is full")))
    assert status == SILENT
    assert "intake: its store's disk is full; try again later" in capsys.readouterr().err


def test_the_register_writes_the_file_named_after_the_command_as_the_readme_shows():
    from services.register.cli import parser

    template = parser().parse_args(["template", "台账模板.xlsx"])
    exported = parser().parse_args(["export", "--grid", "yinhang-grid-1", "殷行网格台账.xlsx"])
    assert template.out_file.name == "台账模板.xlsx"
    assert exported.out_file.name == "殷行网格台账.xlsx"
    assert exported.grid_unit_id == "yinhang-grid-1"
    assert parser().parse_args(["template", "--out", "a.xlsx"]).out.name == "a.xlsx"
    with pytest.raises(SystemExit):  # one name, not two
        parser().parse_args(["template", "a.xlsx", "--out", "b.xlsx"])


def test_a_description_on_several_lines_keeps_a_queue_to_a_line_and_a_ticket_indented(capsys):
    from services.agent_cli import indented, one_line, print_ticket

    typed = "卫生间浴缸扶手松动\n老人洗澡时差点滑倒\n"
    assert one_line(typed) == "卫生间浴缸扶手松动 / 老人洗澡时差点滑倒"
    assert indented("第一行\n第二行") == "第一行\n        第二行"
    print_ticket({"ticket_no": "YP20261123-0001", "kind": "help", "category": "home_repair",
                  "priority": "normal", "description": typed,
                  "address": {"district": "杨浦区"}}, None)
    shown = capsys.readouterr().out.splitlines()
    assert shown[2] == "  诉求: 卫生间浴缸扶手松动"
    assert shown[3] == "        老人洗澡时差点滑倒"
