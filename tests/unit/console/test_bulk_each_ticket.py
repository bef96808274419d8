"""One step on many tickets (services/console/bulk.py): each ticket's step taken alone with
the caller's actor, a refusal told for its ticket without stopping the others, the same
ticket once, and when dispatch does not answer, the rest left untried."""
from services.console import bulk
from services.shared.errors import IllegalTransition, NotFound, NotPermitted, ServicesUnavailable

ACTOR = "signed-statement"


def dispatch(refusals: dict):
    calls = []

    def call(service, method, ticket_no, actor, *args):
        calls.append((service, method, ticket_no, actor, args))
        if ticket_no in refusals:
            raise refusals[ticket_no]
        return {"ticket_no": ticket_no, "state": "dispatched"}
    return call, calls


def test_each_ticket_gets_its_result_and_a_refusal_does_not_stop_the_others():
    call, calls = dispatch({"YP-2": NotPermitted("only the centre may reassign"),
                            "YP-3": IllegalTransition("closed"), "YP-4": NotFound("YP-4")})
    results = bulk.take_each("reassign", ["YP-1", "YP-2", "YP-3", "YP-4", "YP-5", "yp-1"],
                             {"unit_id": "kaichen-property", "note": None}, ACTOR, call)

    assert [(r["ticket_no"], r["ok"], r["code"]) for r in results] == [
        ("YP-1", True, None), ("YP-2", False, 403), ("YP-3", False, 409),
        ("YP-4", False, 404), ("YP-5", True, None)]
    assert results[1]["message"].startswith("无权操作")
    assert results[0]["state"] == "dispatched"
    assert {call[:2] for call in calls} == {("dispatch", "reassign")}
    assert all(call[3] == ACTOR and call[4] == ("kaichen-property", None) for call in calls)


def test_when_dispatch_does_not_answer_the_rest_are_not_tried():
    call, calls = dispatch({"YP-2": ServicesUnavailable("dispatch did not answer")})
    results = bulk.take_each("urge", ["YP-1", "YP-2", "YP-3"], {"note": "请尽快办理"}, ACTOR,
                             call)
    assert [(r["ok"], r["code"]) for r in results] == [(True, None), (False, 503),
                                                        (False, 503)]
    assert results[2]["message"] == bulk.UNTRIED
    assert [call[2] for call in calls] == ["YP-1", "YP-2"]
