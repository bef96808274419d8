"""Duplicates (重复件): whether a new call repeats an open ticket about the same matter.

Plain rules, no broker and no database. A call repeats a ticket when all of these hold:

- the ticket is a candidate: received and not closed (dispatch says when it closes or
  reopens); answered consultations and praise calls never are;
- the same category, and the ticket was received inside the window (``window_days``);
- the same caller (the same phone) about a place that does not contradict the ticket's
  (no level named on both differs), or the same place down to the estate: district,
  subdistrict, community and estate all given and equal, and where both name a
  building, the same building;
- the descriptions are alike: Chinese words by jieba, with filler dropped and the usual
  ways of saying one thing folded together, compared by rapidfuzz's token set ratio
  (0..100), at or above the threshold of that kind of match.

Precision matters more than recall: a missed repeat costs a second ticket, a wrong
merge loses a caller's matter. So the place must be given down to the estate, and a
neighbour (same place) needs closer words than the same caller calling again.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from services.shared import clock, segmentation

SAME_CALLER = "same_caller"
SAME_PLACE = "same_place"
PLACE_TO_ESTATE = ("district", "subdistrict", "community", "estate")
PLACE_LEVELS = (*PLACE_TO_ESTATE, "building")


@dataclass(frozen=True)
class Settings:
    """``DUPLICATES`` in deploy/intake.yml."""

    window_days: float = 7.0
    same_caller_threshold: float = 65.0
    same_place_threshold: float = 75.0


def settings_from(config: dict | None) -> Settings:
    """The settings from the ``DUPLICATES`` mapping; defaults for what it leaves out.
    ValueError for a window that is not positive or a threshold outside 0..100."""
    config = config or {}
    unknown = set(config) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ValueError(f"DUPLICATES: unknown settings {sorted(unknown)}")
    settings = Settings(**{name: float(value) for name, value in config.items()})
    if settings.window_days <= 0:
        raise ValueError("DUPLICATES.window_days must be positive")
    for threshold in (settings.same_caller_threshold, settings.same_place_threshold):
        if not 0 <= threshold <= 100:
            raise ValueError("DUPLICATES thresholds lie between 0 and 100")
    return settings


def window_start(now: dt.datetime, settings: Settings) -> dt.datetime:
    """Tickets received before this are too old to be repeated."""
    return now - dt.timedelta(days=settings.window_days)


@dataclass(frozen=True)
class Match:
    """The open ticket a call repeats, how it was matched and how alike the words are."""

    ticket_no: str
    match: str  # same_caller, same_place
    similarity: float  # 0..100


# Words -----------------------------------------------------------------------------

# Words of this domain that jieba's dictionary cuts badly ("路 / 灯不亮"), kept whole.
DOMAIN_WORDS = ("路灯", "楼道灯", "不亮", "坏了", "不方便", "主道路", "扶手", "打孔", "漏水",
                "垃圾厢房", "加装电梯", "消防通道")
DOMAIN_WORD_FREQ = 100_000

# Filler and hotline boilerplate ("希望有关部门帮助解决"), which make any two calls look
# alike, and place nouns, which the place rule already weighs.
STOP_WORDS = frozenset("""
的 了 着 过 吗 呢 吧 啊 呀 哦 有 在 是 和 与 及 或 都 也 就 很 太 还 又 再 才 被 把 给 让
我 我们 我家 你 你们 他 她 他们 它 其 该 这 那 这个 那个 这里 那里 这边 那边
请 想 要 能 会 可以 能够 需要 由于 因为 所以 但是 而且 已经 一直 一下 一些 好 说 讲
里 上 下 里面 上面 下面 附近 周围 几天 好几天 最近 上次 现在 目前 今天 昨天
希望 反映 来电 致电 市民 本人 有关 部门 相关 帮助 解决 问题 情况 处理 尽快 麻烦 谢谢
小区 社区 居民区 新村
""".split())

# Ways callers say the same thing, folded to one word.
SYNONYMS = {
    "坏": "故障", "坏了": "故障", "不亮": "故障", "灭": "故障", "不好使": "故障", "失灵": "故障",
    "晚上": "夜间", "夜里": "夜间", "黑": "夜间", "黑漆漆": "夜间", "黑乎乎": "夜间",
    "不方便": "不便",
    "主路": "主干道", "主道路": "主干道", "大路": "主干道",
    "走路": "出行", "出门": "出行",
    "买": "购买", "装": "安装",
    "两处": "两", "两盏": "两", "两个": "两", "两根": "两",
}



def _jieba():
    """jieba's tokenizer with the domain words (segmentation.py), made once."""
    return segmentation.tokenizer(tuple((word, DOMAIN_WORD_FREQ, None)
                                        for word in DOMAIN_WORDS))


def warm_up() -> None:
    """Load the dictionary now (about half a second) rather than in the first call."""
    _jieba()


def _plain(text: str | None) -> str:
    """Full-width letters and digits as ASCII, no spaces: how two agents' typing agree."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def words(text: str) -> list[str]:
    """The words of a description that say what the matter is, in order."""
    return list(_compared(text)[1])


# A call is compared with every open ticket of its category at its estate or from its
# phone, often hundreds: cutting each ticket's description again for every call was half
# of create_ticket's time (py-spy, 100 calls/s). A description's words never change, so
# they are cut once and kept for the most recent descriptions seen.
DESCRIPTIONS_KEPT = 20_000


@functools.lru_cache(maxsize=DESCRIPTIONS_KEPT)
def _compared(text: str) -> tuple[str, tuple[str, ...], str]:
    """A description as compared: its plain text, its words and those words joined."""
    plain = _plain(text)
    found = tuple(SYNONYMS.get(word, word) for word in _jieba().lcut(plain, HMM=False)
                  if word.isalnum() and word not in STOP_WORDS)
    return plain, found, " ".join(found)


def similarity(first: str, second: str) -> float:
    """How alike two descriptions are, 0..100: rapidfuzz's token set ratio over their
    words, so the same words in another order or with more said around them score high."""
    first_plain, first_words, first_joined = _compared(first or "")
    second_plain, second_words, second_joined = _compared(second or "")
    if first_plain == second_plain:
        return 100.0
    if not first_words or not second_words:
        return 0.0  # nothing but filler: no evidence of the same matter
    return round(fuzz.token_set_ratio(first_joined, second_joined), 1)


# Who and where ---------------------------------------------------------------------

def same_caller(first: dict, second: dict) -> bool:
    """Both callers gave a phone, and it is the same (phones are stored in E.164)."""
    phone = (first or {}).get("phone")
    return bool(phone) and phone == (second or {}).get("phone")


_BUILDING_SUFFIX = re.compile(r"(号楼|号|栋|幢|楼|座)$")


def _building(name: str | None) -> str:
    """One building however written: "12号楼", "12号" and "12栋" are the same."""
    return _BUILDING_SUFFIX.sub("", _plain(name))


@functools.lru_cache(maxsize=4096)  # a few estates' names, compared for every candidate
def _place(level: str, name: str | None) -> str:
    return _building(name) if level == "building" else _plain(name)


def places_agree(first: dict, second: dict) -> bool:
    """No level named on both addresses differs: district, subdistrict, community, estate
    and building (the same caller's lamp on another estate is another lamp)."""
    for level in PLACE_LEVELS:
        here, there = _place(level, first.get(level)), _place(level, second.get(level))
        if here and there and here != there:
            return False
    return True


def same_place(first: dict, second: dict) -> bool:
    """The same estate, every level down to it given on both; where both name a
    building, the same building (another building's lamp is another matter)."""
    given = all(first.get(level) and second.get(level) for level in PLACE_TO_ESTATE)
    return given and places_agree(first, second)


# The decision ----------------------------------------------------------------------

def _match(call: dict, ticket: dict, settings: Settings) -> Match | None:
    """How ``call`` repeats ``ticket``, if it does (category, window and candidacy aside)."""
    by_caller = (same_caller(call["caller"], ticket["caller"])
                 and places_agree(call["address"], ticket["address"]))
    by_place = same_place(call["address"], ticket["address"])
    if not (by_caller or by_place):
        return None
    score = similarity(call["description"], ticket["description"])
    if by_caller and score >= settings.same_caller_threshold:
        return Match(ticket["ticket_no"], SAME_CALLER, score)
    if by_place and score >= settings.same_place_threshold:
        return Match(ticket["ticket_no"], SAME_PLACE, score)
    return None


def find_repeat(call: dict, tickets: Iterable[dict], settings: Settings,
                now: dt.datetime) -> Match | None:
    """The open ticket that ``call`` (a validated request) repeats, or None. Of several,
    the first received: a repeat is merged into the first ticket for the matter."""
    since = window_start(now, settings)
    matches = []
    for ticket in tickets:
        if not ticket.get("candidate") or ticket["category"] != call["category"]:
            continue
        received_at = clock.as_utc(ticket["received_at"])
        if received_at < since:
            continue
        found = _match(call, ticket, settings)
        if found is not None:
            matches.append((received_at, found.ticket_no, found))
    return min(matches)[2] if matches else None
