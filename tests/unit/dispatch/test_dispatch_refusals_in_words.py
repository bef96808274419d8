"""Every refusal dispatch gives a person, as a page says it: a Chinese sentence of the
console's table (services/console/display.py, REFUSAL_SENTENCES), never the service's
English nor the table's catch-all. Swept over the steps people take, by each kind of
person, at each point of a ticket's life."""
from __future__ import annotations

import re

from dispatch_support import (
    ADMIN,
    COMMITTEE,
    DISPATCHER,
    GRID,
    KAICHEN,
    NO,
    SUPERVISOR,
    callback_event,
    create,
)

from services.console import display
from services.dispatch import steps

PEOPLE = {"主办单位": KAICHEN, "协办单位": GRID, "其他单位": COMMITTEE, "派单员": DISPATCHER,
          "督办员": SUPERVISOR, "管理员": ADMIN}
LATIN = re.compile(r"[A-Za-z]+")


def refusals_now(store) -> dict[str, str]:
    """{"step by who": sentence} for each step each person may not take now."""
    state = store.get(NO)
    said = {}
    for step in (*steps.OFFERED, *steps.OFFERED_EVIDENCE):
        for who, person in PEOPLE.items():
            refused = steps.refusal(step, state, person)
            if refused is not None:
                said[f"{step.name} by {who}: {refused}"] = display.refusal_sentence(refused)
    return said


def test_every_refusal_of_a_step_reads_as_a_chinese_sentence_of_the_table(service, store, now):
    said: dict[str, str] = {}
    create(service, category="home_repair")  # to 凯晨物业
    said |= refusals_now(store)
    service.accept(NO, KAICHEN)
    service.add_assist(NO, KAICHEN, "grid-1", "请网格协助")
    said |= refusals_now(store)  # 协办单位 owes its part: no resolving
    service.accept_assist(NO, GRID)
    said |= refusals_now(store)
    service.report_assist(NO, GRID, "已协助")
    service.request_extension(NO, KAICHEN, "2026-12-30T01:00:00Z", "等材料", "resolve")
    service.request_pause(NO, KAICHEN, "等待市民方便时上门", None)
    said |= refusals_now(store)
    service.decide_pause(NO, SUPERVISOR, True, None)
    said |= refusals_now(store)
    service.resume(NO, KAICHEN)
    service.resolve(NO, KAICHEN, "已修好")
    said |= refusals_now(store)
    service.on_callback_completed(callback_event(NO, "satisfied"))
    said |= refusals_now(store)

    assert len(said) > 100
    defaults = set(display.REFUSAL_DEFAULTS.values())
    for refusal, sentence in said.items():
        assert sentence not in defaults, f"no row of the table says {refusal!r}"
        assert LATIN.findall(sentence.replace(NO, "")) == [], (refusal, sentence)
    sentences = set(said.values())
    assert f"工单 {NO} 只有主办单位（凯晨物业）人员可以签收。" in sentences
    assert f"工单 {NO} 当前为“已签收”，不能签收。" in sentences
    assert f"工单 {NO} 已结案，不能再办理。" in sentences
    owed = f"工单 {NO} 的协办单位尚未反馈，暂不能办结：殷行街道第一网格工作站（待协办签收）。"
    assert owed in sentences
