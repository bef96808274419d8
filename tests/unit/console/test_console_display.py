"""What the pages say: Chinese words, Shanghai times, time left, field errors, safe redirects."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from services.console import display
from services.console.pages import local_path, step_args, ticket_request
from services.console.supervision_pages import chosen_period, over_time
from services.shared import clock
from services.shared.errors import IllegalTransition, InvalidRequest, NotFound, NotPermitted
from services.shared.rpc_client import ServicesUnavailable

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=clock.UTC)  # 10:00 in Shanghai


def test_every_kind_category_and_channel_has_its_chinese_word():
    for name, (values, words) in display.VOCABULARIES.items():
        assert set(values) == set(words), name


def test_times_are_shown_in_shanghai():
    assert display.local_time("2026-11-23T02:00:00.000Z") == "2026-11-23 10:00"
    assert display.local_time("2026-11-23T17:30:00.000Z", "%m-%d %H:%M") == "11-24 01:30"
    assert display.local_time(None) == ""


@pytest.mark.parametrize("due_at, text, overdue, soon", [
    ("2026-11-25T05:00:00.000Z", "剩2天3小时", False, False),
    ("2026-11-23T05:20:00.000Z", "剩3小时20分", False, True),
    ("2026-11-23T02:45:00.000Z", "剩45分钟", False, True),
    ("2026-11-22T23:00:00.000Z", "超时3小时", True, False),
])
def test_time_left_to_a_deadline_and_how_late_past_it(due_at, text, overdue, soon):
    assert display.time_left(due_at, NOW) == {"text": text, "overdue": overdue, "soon": soon}


def test_the_next_deadline_is_the_earliest_unmet_one_and_resolve_stands_still_when_paused():
    ticket = {"state": "accepted", "met": ["accept"], "paused": False,
              "deadlines": {"accept_by": "2026-11-22T03:00:00.000Z",
                            "contact_by": "2026-11-22T23:00:00.000Z",
                            "resolve_by": "2026-11-30T01:00:00.000Z"}}
    following = display.next_deadline(ticket, NOW)
    assert (following["word"], following["left"]["text"], following["left"]["overdue"]) == \
        ("联系", "超时3小时", True)
    paused = display.deadlines_of({**ticket, "met": ["accept", "contact"], "paused": True}, NOW)
    assert [(item["name"], item["paused"], item["left"]) for item in paused if not item["met"]] \
        == [("resolve", True, None)]
    closed = display.deadlines_of({**ticket, "state": "closed"}, NOW)
    assert all(item["left"] is None for item in closed)  # nothing is late on a closed ticket


def test_field_errors_are_flattened_to_form_names_in_chinese():
    errors = {"caller": {"phone": ["Not a valid phone number."]},
              "address": {"district": ["Missing data for required field."]},
              "description": ["Length must be between 1 and 4000."],
              "answer": ["Longer than maximum length 4000."], "kind": ["Must be one of: a, b."],
              "until": ["Ask for a time later than the resolve deadline in force, 2026-…"]}
    assert display.flat_errors(errors) == {
        "caller.phone": ["不是有效的电话号码"], "address.district": ["必填"],
        "description": ["必填，不超过 4000 字"], "answer": ["不超过 4000 字"],
        "kind": ["请从列表中选择"], "until": ["须晚于现行时限"]}
    # a message the console has no words for reads as 填写有误, never in English
    assert display.flat_errors(["whole request wrong"]) == {"_request": ["填写有误"]}
    assert display.flat_errors({"note": ["请写清楚"]}) == {"note": ["请写清楚"]}


def test_sign_in_refusals_are_said_in_chinese():
    assert display.sign_in_refusal("wrong username or password") == "用户名或密码错误"
    assert "30 秒" in display.sign_in_refusal("too many failed sign-ins: try again in 30 s")
    assert display.sign_in_refusal("this account is a program's: it signs in with its API "
                                   "token") == "这是程序账号，只能用接口令牌登录。"
    assert display.sign_in_refusal("something new") == "您无权进行此操作。"


@pytest.mark.parametrize("error, sentence", [
    (NotPermitted("ticket YP-1: only staff of the unit holding it (凯晨物业) may accept"),
     "工单 YP-1 只有主办单位（凯晨物业）人员可以签收。"),
    (NotPermitted("ticket YP-1: not among those you may see"), "您无权查看工单 YP-1。"),
    (NotPermitted("resident_id R-9: not among those you may see"), "您无权查看台账人员 R-9。"),
    (NotPermitted("agent may not read the register"), "话务员无权查看此内容。"),
    (NotPermitted("a dispatcher may not claim and complete callback tasks"),
     "派单员不能进行此操作。"),
    (NotPermitted("the session has ended: sign in again"), "登录已失效，请重新登录。"),
    (NotPermitted("unit staff read the register of their own unit only"),
     "承办单位人员只能查看本单位的台账。"),
    (IllegalTransition("user li exists already"), "用户名 li 已被使用。"),
    (IllegalTransition("the last active admin may be neither demoted nor deactivated"),
     "这是最后一个在用的管理员账号，不能改为其他角色或停用。"),
    (IllegalTransition("resident R-9 was changed since version 2 (now 3); read it again"),
     "内容已被他人修改，请刷新页面后重试。"),
    (IllegalTransition("ticket YP-1: the resolve deadline is met"),
     "工单 YP-1 的办结时限已完成，无需延期。"),
    (NotFound("ticket YP-404"), "没有找到工单 YP-404。"),
    (NotFound("resident R-404"), "没有找到该台账人员。"),
    (NotFound("assist of kaichen on ticket YP-1"), "该单位不是工单 YP-1 的协办单位。"),
    # what no row says reads as its kind's sentence, never in English
    (NotPermitted("something the table does not know"), "您无权进行此操作。"),
    (IllegalTransition("ticket YP-1 is frozen; accept is only taken from dispatched"),
     "当前状态下不能这样操作，请刷新页面查看最新情况。"),
    (NotFound("gizmo 7"), "没有找到要找的内容。"),
])
def test_a_refusal_reads_as_a_chinese_sentence(error, sentence):
    assert display.refusal_sentence(error) == sentence


@pytest.mark.parametrize("message, said", [
    ("ledger did not answer", "记录服务暂时没有响应，请稍后再试。"),
    ("ledger.timeline did not answer in 1 s", "记录服务暂时没有响应，请稍后再试。"),
    ("register is not running", "台账服务暂时没有响应，请稍后再试。"),
    ("dispatch cannot reach what it needs", "派单服务暂时无法处理请求，请稍后再试。"),
    ("the services did not answer", "后台服务暂时没有响应，请稍后再试。"),
])
def test_a_part_that_does_not_answer_is_named(message, said):
    assert display.unavailable(ServicesUnavailable(message)) == said


@pytest.mark.parametrize("target, safe", [
    ("/units/yinhang-grid-1/queue?state=accepted", "/units/yinhang-grid-1/queue?state=accepted"),
    ("/tickets/YP1?", "/tickets/YP1"),
    ("https://evil.example/", None), ("//evil.example/x", None), ("/\\evil.example", None),
    ("javascript:alert(1)", None), ("evil.example", None), ("/ok\r\nSet-Cookie: x", None),
    ("", None), (None, None),
])
def test_after_signing_in_only_a_path_of_this_site_is_followed(target, safe):
    assert local_path(target) == safe


def test_a_steps_form_becomes_its_rpc_arguments():
    form = MultiDict({"until": "2026-11-30T18:00", "reason": "等待配件", "deadline": "resolve"})
    assert step_args("request_extension", form) == ["2026-11-30T10:00:00.000Z", "等待配件",
                                                    "resolve"]
    assert step_args("record_contact", MultiDict({"note": "  "})) == [None]
    assert step_args("decide_pause", MultiDict({"approve": "0"})) == [False, None]
    assert step_args("request_pause", MultiDict({"reason": "等市民", "resume_on": ""})) == \
        ["等市民", None]
    with pytest.raises(InvalidRequest) as refused:
        step_args("request_extension", MultiDict({"until": "下周", "reason": "x"}))
    assert refused.value.errors == {"until": ["请选择日期和时间"]}


def test_the_new_ticket_form_becomes_intakes_request():
    form = MultiDict({"channel": "hotline", "caller.name": "张老伯", "caller.phone": "13800000001",
                      "kind": "help", "category": "home_repair", "description": "扶手",
                      "address.district": "杨浦区", "address.estate": "开鲁新村",
                      "address.room": " ", "urgency": "urgent", "new_matter": "1",
                      "external_id": "console-1"})
    request = ticket_request(form)
    assert request["caller"] == {"name": "张老伯", "phone": "13800000001", "anonymous": False}
    assert request["address"]["estate"] == "开鲁新村" and request["address"]["room"] is None
    assert (request["urgency"], request["merge"], request["external_id"]) == \
        ("urgent", False, "console-1")
    assert "answer" not in request and "praise" not in request


def test_the_indicators_period_is_whole_days_with_the_last_one_included():
    period, problems = chosen_period(MultiDict({"first": "2026-11-01", "last": "2026-11-30"}))
    assert not problems
    assert (period["start"], period["end"], period["interval"]) == \
        ("2026-11-01", "2026-12-01", "day")
    long, _ = chosen_period(MultiDict({"first": "2026-01-01", "last": "2026-12-31"}))
    assert long["interval"] == "week"
    _, problems = chosen_period(MultiDict({"first": "2026-11-30", "last": "2026-11-01"}))
    assert "last" in problems
    _, problems = chosen_period(MultiDict({"first": "昨天"}))
    assert "first" in problems


def test_days_without_figures_are_drawn_as_zero():
    period, _ = chosen_period(MultiDict({"first": "2026-11-01", "last": "2026-11-03"}))
    labels, counts = over_time({"rows": [{"day": "2026-11-02", "received": 4, "resolved": 1}]},
                               period)
    assert labels == ["11-01", "11-02", "11-03"]
    assert counts == {"received": [0, 4, 0], "resolved": [0, 1, 0]}
    weekly, _ = chosen_period(MultiDict({"first": "2026-11-04", "last": "2026-11-18",
                                         "interval": "week"}))
    labels, counts = over_time({"rows": [{"week": "2026-11-09", "received": 2}]}, weekly)
    assert labels == ["11-02起", "11-09起", "11-16起"] and counts["received"] == [0, 2, 0]


def test_numbers_and_spans_read_as_people_say_them():
    assert display.phone("+8613800000001") == "13800000001"
    assert display.phone("+862165432100") == "02165432100"  # a landline keeps its 0
    assert display.phone("138****0001") == "138****0001"
    assert display.hours(0.004) == "不到1分钟" and display.hours(26.5) == "1天2小时"
    assert display.percent(0.875) == "87.5%" and display.percent(None) == "—"


def test_a_birth_known_to_the_month_or_year_is_shown_as_such_with_its_age():
    today = clock.local(clock.now()).date()
    assert display.born("1941-11-26") == "1941-11-26"
    assert display.born("1938-05") == "1938-05（只知年月）"
    assert display.born("1938") == "1938（只知年份）"
    assert display.born(None) == "未填"
    assert display.age(f"{today.year - 80}-{today.month:02d}") == "80"  # from the 1st
    assert display.age(str(today.year - 80)) == "80"                    # from 1 January
    assert display.age(None) == ""
    refused = display.flat_errors({"birth_date": ["Not a birth date (YYYY-MM-DD, or YYYY-MM "
                                                  "/ YYYY when only the month or the year is "
                                                  "known)."]})
    assert refused == {"birth_date": ["请写作 1941-11-26；只知年月写 1941-11，只知年份写 1941"]}
