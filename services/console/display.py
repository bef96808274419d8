"""How the console says things: the Chinese words for the services' values, times in
Shanghai, the time left to a deadline, and the services' field errors as a form shows them.
Plain functions, no Flask: the templates get them as filters and globals."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import phonenumbers

from services.console.charts import number
from services.shared import births, clock
from services.shared.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, VIEWS_MAX
from services.shared.payloads import DEADLINE_NAMES as DEADLINES
from services.shared.payloads import LIVING_STATUSES
from services.shared.schemas import CATEGORIES, CHANNELS, KINDS, ROLES, SYSTEM_CHANNELS
from services.shared.states import (  # noqa: F401 - OPEN_STATES: the queue's filter
    ASSIST_STATUSES,
    INTAKE_STATUSES,
    OPEN_STATES,
    REQUEST_STATUSES,
    STATES,
)
from services.shared.words import (  # noqa: F401 - the console's words are these
    CARD_VIEW_WORDS,
    CATEGORY_WORDS,
    CHANNEL_WORDS,
    DEADLINE_WORDS,
    KIND_WORDS,
    OUTCOME_WORDS,
    PRIORITY_REASON_WORDS,
    ROLE_WORDS,
    STATE_WORDS,
    URGENCY_WORDS,
)
from services.shared.words import LIVING_STATUS_WORDS as LIVING_WORDS

ASSIST_WORDS = {"added": "待协办签收", "accepted": "协办中", "reported": "已反馈",
                "released": "已结束协办"}
REQUEST_WORDS = {"pending": "待审批", "approved": "已同意", "refused": "不同意",
                 "withdrawn": "已撤回", "in_force": "挂起中", "ended": "已结束"}
PRIORITY_REASONS = PRIORITY_REASON_WORDS
ADDRESS_LEVELS = (("district", "区"), ("subdistrict", "街道/镇"), ("community", "社区"),
                  ("estate", "小区"), ("building", "楼栋"), ("room", "房号"),
                  ("detail", "详细地址"))
# What the forms call the services' fields, for a list of what to correct.
FIELD_LABELS = {
    "channel": "渠道", "caller": "来电人", "caller.name": "来电人姓名",
    "caller.phone": "来电人电话",
    "caller.anonymous": "匿名", "kind": "类型", "category": "类别", "urgency": "紧急程度",
    "description": "诉求内容", "address": "地址", "answer": "直接答复", "praise": "表扬",
    "praise.ticket_no": "被表扬的工单号", "praise.unit_id": "被表扬的单位", "merge": "合并",
    "external_id": "来电编号", "_schema": "整体", "_request": "整体",
    **{f"address.{level}": label for level, label in ADDRESS_LEVELS},
}

# Every vocabulary the contract has must have its words here (the unit tests check).
# The search page's states (every one a ticket may be in) and sorts (ledger.search's)
SEARCH_STATE_WORDS = {state: STATE_WORDS[state] for state in STATES + INTAKE_STATUSES}
SORT_WORDS = {"newest": "受理时间（新→旧）", "oldest": "受理时间（旧→新）",
              "updated": "最近办理在前", "number": "工单号"}
# What an agent may pick for a new ticket: the callers' channels, not the system's own.
CALLER_CHANNEL_WORDS = {channel: CHANNEL_WORDS[channel] for channel in CHANNELS}
VOCABULARIES = {"kind": (KINDS, KIND_WORDS), "category": (CATEGORIES, CATEGORY_WORDS),
                "channel": (CHANNELS + SYSTEM_CHANNELS, CHANNEL_WORDS),
                "state": (STATES + INTAKE_STATUSES, STATE_WORDS),
                "deadline": (DEADLINES, DEADLINE_WORDS),
                "role": (tuple(role for role in ROLES if role != "system"), ROLE_WORDS),
                "assist_status": (ASSIST_STATUSES, ASSIST_WORDS),
                "request_status": (REQUEST_STATUSES, REQUEST_WORDS),
                "living_status": (LIVING_STATUSES, LIVING_WORDS)}

# The services' field messages (marshmallow's and their own) in the console's language.
FIELD_MESSAGES = {
    "Missing data for required field.": "必填",
    "Field may not be null.": "必填",
    "Shorter than minimum length 1.": "必填",
    "Not a valid phone number.": "不是有效的电话号码",
    "Not a phone number.": "不是电话号码",
    "Not a valid string.": "格式不对",
    "Not a valid datetime.": "不是有效的日期时间",
    "Control characters are not allowed.": "含有不允许的控制字符",
    "Give the caller's name or phone, or mark the caller anonymous.":
        "请填写来电人姓名或电话，或勾选匿名",
    "Only a consultation can be answered on the spot.": "只有咨询类可以直接答复",
    "A praise call names the praised ticket_no or unit_id.": "表扬须填写被表扬的工单号或单位",
    "Only a praise call names what it praises.": "只有表扬类填写被表扬对象",
    "Name the praised ticket_no or unit_id (or both).": "请填写被表扬的工单号或单位",
    "No such ticket to praise.": "没有这个工单",
    "Say why the ticket goes back.": "请填写退单原因",
    "Say what was done.": "请填写办理结果",
    "Say what the unit is urged to do.": "请填写督办内容",
    "Ask for a time still to come.": "请选择将来的时间",
    "Name a time still to come, or none.": "请选择将来的时间，或留空",
    "Name a handling unit other than the lead.": "请选择主办单位以外的承办单位",
    "At least 8 characters.": "至少 8 个字符",
    f"At least {MIN_PASSWORD_LENGTH} characters, at most {MAX_PASSWORD_LENGTH}.":
        f"至少 {MIN_PASSWORD_LENGTH} 个字符，至多 {MAX_PASSWORD_LENGTH} 个字符",
    "The password may not be the username.": "密码不能与用户名相同",
    "Unit staff belong to a handling unit: name it.": "承办单位人员须选择所属承办单位",
    "Name at least one change.": "请至少修改一项",
    f"Not a birth date ({births.FORMATS}).":
        "请写作 1941-11-26；只知年月写 1941-11，只知年份写 1941",
    "A birth date cannot be in the future.": "出生日期不能晚于今天",
    f"At most {VIEWS_MAX} saved views.": f"最多保存 {VIEWS_MAX} 个视图",
}
ERROR_TITLES = {"InvalidRequest": "填写有误", "NotFound": "未找到", "NotPermitted": "无权操作",
                "IllegalTransition": "当前状态下不能这样操作"}
# The sign-in refusals people see most, in their words; others are shown as the service says.
SIGN_IN_MESSAGES = {
    "wrong username or password": "用户名或密码错误",
    "no such user": "用户名或密码错误",
    "this account is deactivated; ask an admin": "该账号已停用，请联系管理员",
}


def word(words: dict[str, str], value: Any) -> str:
    """The Chinese word for ``value``, or the value itself when there is none."""
    if value is None:
        return ""
    return words.get(value, str(value))


def local_time(text: str | dt.datetime | None, form: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO time (UTC) as Shanghai wall-clock time; '' for none."""
    if not text:
        return ""
    moment = clock.parse_iso(text) if isinstance(text, str) else text
    return clock.local(moment).strftime(form)


def duration(span: dt.timedelta) -> str:
    """A span in days, hours and minutes, as a person reads it: 2天3小时, 3小时20分, 45分钟."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{minutes}分" if minutes else f"{hours}小时"
    return f"{minutes}分钟" if minutes else "不到1分钟"


def hours(value: float | None) -> str:
    """Hours as a person reads them (3.5 → 3小时30分); '' for none."""
    return "" if value is None else duration(dt.timedelta(hours=value))


def percent(rate: float | None) -> str:
    """A rate (0.875) as 87.5%; — when there was nothing to measure."""
    return number(rate, percent=True)


def via(value: str | None) -> str:
    """How a card was read, in words: 查看卡片, 来电查号, 导出台账, 工单上的台账信息 YP…"""
    kind, _, ticket_no = (value or "").partition(" ")
    words = word(CARD_VIEW_WORDS, kind)
    return f"{words} {ticket_no}" if ticket_no else words


def time_left(due_at: str | None, now: dt.datetime) -> dict | None:
    """{text, overdue, soon} for a deadline due at ``due_at``: 剩2天3小时, or 超时3小时 when
    past; ``soon`` under 4 hours left. None without a deadline."""
    if not due_at:
        return None
    left = clock.parse_iso(due_at) - now
    if left < dt.timedelta(0):
        return {"text": "超时" + duration(-left), "overdue": True, "soon": False}
    return {"text": "剩" + duration(left), "overdue": False, "soon": left < dt.timedelta(hours=4)}


def deadlines_of(ticket: dict, now: dt.datetime) -> list[dict]:
    """Each deadline of a ticket as a page lists it: {name, word, due_at, met, left}; the
    resolve clock shows as standing still while paused."""
    deadlines = ticket.get("deadlines") or {}
    listed = []
    for name in DEADLINES:
        due_at = deadlines.get(f"{name}_by")
        if not due_at:
            continue
        met = name in (ticket.get("met") or [])
        still = name == "resolve" and ticket.get("paused")
        left = None if met or still or ticket.get("state") not in OPEN_STATES \
            else time_left(due_at, now)
        listed.append({"name": name, "word": DEADLINE_WORDS[name], "due_at": due_at,
                       "met": met, "paused": bool(still and not met), "left": left})
    return listed


def next_deadline(ticket: dict, now: dt.datetime) -> dict | None:
    """The deadline a unit owes next (the earliest unmet one, as deadlines_of lists it)."""
    running = [item for item in deadlines_of(ticket, now) if not item["met"]]
    return min(running, key=lambda item: item["due_at"], default=None)


def unmet_deadlines(ticket: dict) -> list[str]:
    """The deadlines of a ticket not met yet, in the order a unit meets them: what the
    extension form offers (dispatch offers the form only while there is one)."""
    return [item["name"] for item in deadlines_of(ticket, clock.now()) if not item["met"]]


def phone(number: str | None) -> str:
    """A phone number as it is dialled at home (13800000001, 02112345678), as a masked one
    reads (138****0001, which stays as it is)."""
    if not number or "*" in number:
        return number or ""
    try:
        national = phonenumbers.format_number(phonenumbers.parse(number, "CN"),
                                              phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return number
    return "".join(ch for ch in national if ch.isdigit())


def age(birth_date: str | None) -> str:
    """The age today (Shanghai) of someone born on ``birth_date`` (YYYY-MM-DD, or YYYY-MM /
    YYYY counted from its first day: services/shared/births.py); '' if none."""
    years = births.age_on(birth_date, clock.local(clock.now()).date())
    return "" if years is None else str(years)


BIRTH_PRECISION_WORDS = {births.MONTH: "只知年月", births.YEAR: "只知年份"}


def born(birth_date: str | None) -> str:
    """A birth date as the card shows it: 1941-11-26, 1938-05（只知年月）, 1938（只知年份）;
    '未填' if none."""
    if not birth_date:
        return "未填"
    known = BIRTH_PRECISION_WORDS.get(births.precision(birth_date))
    return f"{birth_date}（{known}）" if known else birth_date


def place(address: dict | None, levels: Iterable[str] = ("district", "subdistrict",
                                                          "community", "estate", "building",
                                                          "room", "detail")) -> str:
    """An address in one line, levels that are given, in order."""
    if not address:
        return ""
    parts = [address.get(level) for level in levels]
    return " ".join(part for part in parts if part)


def flat_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """An InvalidRequest's ``errors`` (nested as the request was) as {"caller.phone":
    [message, …]}, each message in Chinese where the console knows it."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(flat_errors(value, name))
            else:
                flat.setdefault(name, []).extend(_messages(value))
    elif errors:
        flat.setdefault(prefix or "_request", []).extend(_messages(errors))
    return flat


def _messages(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    said: list[str] = []
    for item in values:
        if isinstance(item, dict):  # errors of a list's items: {index: [...]}
            said.extend(message for messages in flat_errors(item).values() for message in messages)
        else:
            said.append(field_message(str(item)))
    return said


def field_message(message: str) -> str:
    if message in FIELD_MESSAGES:
        return FIELD_MESSAGES[message]
    if message.startswith("Must be one of"):
        return "请从列表中选择"
    bounds = re.fullmatch(r"Length must be between (\d+) and (\d+)\.", message)
    if bounds:  # said of a blank field as of a long one
        return "必填" + f"，不超过 {bounds.group(2)} 字" if bounds.group(1) == "1" else \
            f"{bounds.group(1)} 到 {bounds.group(2)} 字"
    longest = re.fullmatch(r"Longer than maximum length (\d+)\.", message)
    if longest:
        return f"不超过 {longest.group(1)} 字"
    if message.startswith("Ask for a time later than the"):
        return "须晚于现行时限"
    return message


def refusal(error: Exception) -> str:
    """A refused step as the page says it: the kind of refusal, then the service's words."""
    title = ERROR_TITLES.get(type(error).__name__, "操作未成功")
    return f"{title}：{error}"


def sign_in_refusal(message: str) -> str:
    if message in SIGN_IN_MESSAGES:
        return SIGN_IN_MESSAGES[message]
    if message.startswith("too many failed sign-ins"):
        seconds = re.search(r"(\d+) s", message)
        return f"登录失败次数过多，已暂时锁定，请 {seconds.group(1)} 秒后再试" if seconds \
            else "登录失败次数过多，已暂时锁定"
    return message
