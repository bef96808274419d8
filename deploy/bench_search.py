"""The search and list bench (a part of `make bench`, or alone): ``count`` tickets stored in
the ledger's read model on the default embedded store (as `make run` keeps it), each
row as the ledger's event application leaves it (search fields included) with its
ticket_created entry, inserted directly through the ledger's store in batches; then
ledger.search timed, one call at a time, as the RPC runs it (the service's own method on
that store): words of the description, a caller's phone, the centre's list page, a
unit's list page (newest first, with the number found) and the centre's list of a month
some months back. Figures beside the target
(< 100 ms p99), never asserted.

    .venv/bin/python deploy/bench_search.py [--tickets 300000] [--calls 200]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "deploy")]

from history import store_uri  # noqa: E402

from services.ledger import record, search  # noqa: E402
from services.shared import clock, statements, storage  # noqa: E402
from services.shared.schemas import CATEGORIES  # noqa: E402
from services.shared.states import CLOSED, OPEN_STATES  # noqa: E402

TARGET = "search and list page p99 < 100 ms with 300,000 tickets stored"
TARGET_MS = 100
PER_DAY = 1000
BATCH = 5000
OPEN_SHARE = 0.03
DISTRICT = "杨浦区"
SUBDISTRICTS = ("殷行街道", "五角场街道", "新江湾城街道", "控江路街道", "延吉新村街道")
UNITS = [(f"bench-unit-{n}", f"第{n}网格工作站") for n in range(1, 41)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀英桂兰建国志强丽华明德玉梅文军海燕红霞春生永福淑珍"
MATTERS = ("卫生间浴缸扶手松动，老人洗澡不方便", "小区路灯不亮，晚上出行不安全",
           "楼道堆放杂物，存在消防隐患", "电梯经常停运，老人上下楼困难",
           "独居老人多日未出门，邻居担心", "窨井盖破损，行人容易摔倒",
           "垃圾清运不及时，气味很大", "机动车占用消防通道", "外墙瓷砖松动有坠落危险",
           "老人想咨询高龄津贴的办理", "助餐点饭菜太咸希望改进", "水管漏水影响楼下住户")
UNIT_READER = 7  # the unit whose list page is timed
SAMPLE_PHONES = 200


def phone_of(n: int) -> str:
    return f"+86139{n:08d}"


def build(directory: Path, count: int, seed: int = 15) -> dict:
    """``count`` tickets' rows and ticket_created entries in a ledger store under
    ``directory``; its indexes made after. What was stored and how long it took."""
    from services.ledger.store import LedgerStore

    started = time.monotonic()
    rng = random.Random(seed)
    store = LedgerStore(storage.connect(store_uri(directory), "ledger"))
    words_of = {matter: search.index_words(matter) for matter in MATTERS}
    callers = max(1, count // 3)  # a caller calls three times on the whole
    now = clock.now()
    rows: list[dict] = []
    entries: list[dict] = []
    phones: list[str] = []
    for n in range(count):
        received = now - dt.timedelta(seconds=n * 86_400 / PER_DAY)
        number = f"YP{clock.local(received):%Y%m%d}-{n:06d}"  # unique across days
        matter = MATTERS[rng.randrange(len(MATTERS))]
        caller_n = rng.randrange(callers)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        phone = phone_of(caller_n)
        caller = {"name": name, "phone": phone, "anonymous": False}
        if len(phones) < SAMPLE_PHONES and rng.random() < 0.01:
            phones.append(phone)
        unit_id, unit_name = UNITS[rng.randrange(len(UNITS))]
        closed = rng.random() > OPEN_SHARE
        place = {"district": DISTRICT, "subdistrict": rng.choice(SUBDISTRICTS),
                 "community": f"第{rng.randrange(1, 30)}居民区"}
        category = rng.choice(CATEGORIES)
        row = {**record.new_row(number), "_id": number,
               "state": CLOSED if closed else rng.choice(OPEN_STATES), "state_at": received,
               "unit_id": unit_id, "unit_name": unit_name, "category": category,
               "kind": "help", "channel": "hotline", "urgency": "normal",
               "priority": "normal", "place": place, "received_at": received,
               "last_event_at": received, "closed_at": received if closed else None,
               "outcome": "satisfied" if closed else None, "version": 1,
               search.TAKEN_BY: "agent", search.PHONES: [search.phone_key(phone)],
               search.NAMES: [search.name_key(name)], search.SCOPE_UNITS: [unit_id],
               search.RECEIVED_HOUR: search.received_hour(received),
               search.RECEIVED_DAY: search.received_day(received),
               search.PLACES: search.places(place),
               search.WORDS: words_of[matter], search.INDEXED: search.SEARCH_VERSION}
        entry = {"_id": f"bench-{n}", "ticket_no": number, "seq": 1,
                 "event_type": "ticket_created", "source": "intake", "schema_version": 1,
                 "occurred_at": received, "recorded_at": received,
                 "actor": {"id": "agent", "name": "话务员", "role": "agent", "unit_id": None},
                 "data": {"ticket_no": number, "caller": caller, "description": matter,
                          "category": category, "kind": "help", "channel": "hotline",
                          "address": place, "received_at": clock.iso(received)}}
        rows.append(row)
        entries.append(entry)
        if len(rows) >= BATCH:
            store.tickets.insert_many(rows)
            store.entries.insert_many(entries)
            rows, entries = [], []
    if rows:
        store.tickets.insert_many(rows)
        store.entries.insert_many(entries)
    stored_at = time.monotonic()
    store.ensure_indexes()
    store.db.client.close()
    return {"tickets": count, "phones": phones,
            "insert_seconds": round(stored_at - started, 1),
            "index_seconds": round(time.monotonic() - stored_at, 1)}


def spread_ms(times: list[float]) -> dict:
    ordered = sorted(times)
    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)
    return {"p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1] * 1000, 1)}


def month_back(rng: random.Random) -> dict:
    """The centre's list of a month some months back (a period), a page of it."""
    end = clock.now() - dt.timedelta(days=rng.randrange(60, 240))
    return {"start": clock.iso(end - dt.timedelta(days=30)), "end": clock.iso(end),
            "offset": 20 * rng.randrange(5)}


def timed(directory: Path, phones: list[str], calls: int) -> dict:
    """ledger.search on the stored tickets, as the RPC runs it: each question ``calls``
    times, one at a time."""
    from services.ledger.service import LedgerService
    from services.ledger.store import LedgerStore

    if not os.environ.get(statements.VERIFY_KEYS_VARIABLE):  # alone: keys of its own
        statements.use_keys(statements.ensure_keys(directory / "keys"))
    store = LedgerStore(storage.connect(store_uri(directory), "ledger"))
    service: Any = LedgerService()
    service.store = store
    centre = {"id": "bench-dispatcher", "name": "派单员", "role": "dispatcher",
              "unit_id": "centre", "district": DISTRICT}
    unit = {"id": "bench-staff", "name": "网格员", "role": "unit_staff",
            "unit_id": UNITS[UNIT_READER][0], "district": DISTRICT}
    rng = random.Random(7)
    questions = {
        "words": (centre, lambda: {"words": rng.choice(("扶手 松动", "路灯", "消防 通道",
                                                        "电梯 停运"))}),
        "phone": (centre, lambda: {"phone": search.phone_key(rng.choice(phones))}),
        "centre_list_page": (centre, lambda: {"offset": 20 * rng.randrange(5)}),
        "unit_list_page": (unit, lambda: {"offset": 20 * rng.randrange(5)}),
        "centre_month_back": (centre, lambda: month_back(rng)),
    }
    figures: dict = {}
    try:
        for name, (actor, asked) in questions.items():
            statement = statements.vouch(actor)
            service.search(statement, asked())  # warm: the first read of a collection
            times, found = [], []
            for _ in range(calls):
                query = asked()
                started = time.perf_counter()
                answer = service.search(statement, query)
                times.append(time.perf_counter() - started)
                found.append(answer["total"])
            figures[name] = {**spread_ms(times), "calls": calls,
                             "found_median": sorted(found)[len(found) // 2]}
    finally:
        store.db.client.close()
    return figures


def measure(count: int, calls: int = 200) -> dict:
    directory = Path(tempfile.mkdtemp(prefix="hotline-bench-search-"))
    try:
        stored = build(directory, count)
        phones = stored.pop("phones") or [phone_of(0)]
        return {**stored, "target": TARGET, "questions": timed(directory, phones, calls)}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def print_figures(figures: dict) -> None:
    print(f"  search, {figures['tickets']} tickets stored (in {figures['insert_seconds']} s, "
          f"indexed in {figures['index_seconds']} s); target: {figures['target']}")
    for name, spread in figures["questions"].items():
        verdict = "meets" if spread["p99"] < TARGET_MS else "MISSES"
        print(f"    {name:18} p50 {spread['p50']:7.1f} ms  p99 {spread['p99']:7.1f} ms  "
              f"max {spread['max']:7.1f} ms  found ~{spread['found_median']}  "
              f"({verdict} < {TARGET_MS} ms)")


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--tickets", type=int, default=300_000)
    options.add_argument("--calls", type=int, default=200)
    args = options.parse_args(argv)
    figures = measure(args.tickets, args.calls)
    print_figures(figures)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_search.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2),
                                           encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
