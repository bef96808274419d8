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
    SERVICE_WORDS,
    STATE_WORDS,
    URGENCY_WORDS,
)
from services.shared.words import LIVING_STATUS_WORDS as LIVING_WORDS

# one step on many tickets (bulk.py)
BULK_ACTION_WORDS = {"reassign": "改派", "urge": "督办"}
ASSIST_WORDS = {"added": "待协办签收", "accepted": "协办中", "reported": "已反馈",
                "released": "已结束协办"}
REQUEST_WORDS = {"pending": "待审批", "approved": "已同意", "refused": "不同意",
                 "withdrawn": "已撤回", "in_force": "挂起中", "ended": "已结束"}
PRIORITY_REASONS = PRIORITY_REASON_WORDS
# Attachments: what each type is called, and the step one came with
FILE_TYPE_WORDS = {
    "image/jpeg": "照片", "image/png": "照片", "image/webp": "照片",
    "application/pdf": "PDF 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
}
ATTACHED_WITH_WORDS = {"resolve": "办结时上传"}


def file_size(size: int | None) -> str:
    """A file's size as people read it: 820 KB, 1.4 MB."""
    if size is None:
        return ""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"
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
    "Not an active staff member of the unit holding the ticket.": "请选择主办单位的在岗人员",
    "At least 8 characters.": "至少 8 个字符",
    f"At least {MIN_PASSWORD_LENGTH} characters, at most {MAX_PASSWORD_LENGTH}.":
        f"至少 {MIN_PASSWORD_LENGTH} 个字符，至多 {MAX_PASSWORD_LENGTH} 个字符",
    "The password may not be the username.": "密码不能与用户名相同",
    "Unit staff belong to a handling unit: name it.": "承办单位人员须选择所属承办单位",
    "Name at least one change.": "请至少修改一项",
    f"Not a birth date ({births.FORMATS}).":
        "请写作 1941-11-26；只知年月写 1941-11，只知年份写 1941",
    "A birth date cannot be in the future.": "出生日期不能晚于今天",
    "Nothing to change.": "没有要修改的内容",
    "The centre holds what no unit does; name a handling unit.":
        "请选择承办单位（不能改派给派单中心）",
    "The centre's people are dispatchers, supervisors or admins, not unit staff.":
        "派单中心的人员只能是派单员、督办员或管理员",
    "A person's account stays a person's and a program's a program's: make a new account.":
        "人员账号与程序账号不能互换，请新建账号",
    "A handling unit needs the place it answers for.": "承办单位须填写负责的地点",
    f"At most {VIEWS_MAX} saved views.": f"最多保存 {VIEWS_MAX} 个视图",
}
# An error page's title and, where the page has no sentence of its own, what it says.
STATUS_TITLES = {400: "请求有误", 401: "请先登录", 403: "无权操作", 404: "未找到",
                 405: "不支持的操作", 409: "当前状态下不能这样操作", 413: "内容太大",
                 415: "不支持的文件类型", 422: "填写有误", 429: "操作太频繁", 500: "系统出错",
                 503: "服务暂时不可用"}
STATUS_MESSAGES = {
    400: "请求有误，请返回上一页重试。", 401: "请先登录。", 403: "您无权查看此页面或进行此操作。",
    404: "没有这个页面，或要找的内容不存在。", 405: "此页面不支持这种操作。",
    409: "当前状态下不能这样操作，请刷新页面查看最新情况。", 413: "提交的内容太大。",
    415: "不支持这种文件类型。", 422: "填写有误，请检查后重试。", 429: "操作太频繁，请稍后再试。",
    500: "系统出错了，已记录，请稍后再试。", 503: "服务暂时不可用，请稍后再试。",
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
    if message.startswith("Only unit staff belong to a handling unit"):
        return "只有承办单位人员属于承办单位，其他角色属于派单中心或不选"
    return message if chinese(message) else "填写有误"  # never a service's English


def chinese(text: str) -> bool:
    """Whether ``text`` is said in Chinese (has a Han character): the console's own words,
    or what a person typed, rather than a service's English."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refusal(error: Exception) -> str:
    """A refused step as the page says it: the kind of refusal, then why (refusal_sentence)."""
    title = ERROR_TITLES.get(type(error).__name__, "操作未成功")
    return f"{title}：{refusal_sentence(error)}"


# --- refusals in the console's words ----------------------------------------------------
# The services refuse in English (for programs, logs and the JSON API, whose ``message``
# stays as the contract says). A page says each refusal as a Chinese sentence: the first
# row of REFUSAL_SENTENCES whose kind and pattern match the service's message, its groups
# put in ({no}: a ticket number, {state}, {step}, {who}… through REFUSAL_VALUE_WORDS); a
# refusal no row matches reads as its kind's sentence (REFUSAL_DEFAULTS), never in English.
STEP_WORDS = {
    "accept": "签收", "return_ticket": "退单", "record_contact": "记录联系市民",
    "resolve": "办结", "reassign": "改派", "urge": "督办", "close": "结案", "reopen": "重办",
    "request_extension": "申请延期", "decide_extension": "审批延期申请",
    "request_pause": "申请挂起", "decide_pause": "审批挂起申请", "resume": "恢复办理",
    "add_assist": "增加协办单位", "accept_assist": "签收协办", "report_assist": "反馈协办情况",
    "release_assist": "结束协办", "assign": "指派承办人", "add_note": "添加内部备注",
    "attach": "上传附件",
}
# who may take a step, as dispatch names them (services/dispatch/steps.py, _describe)
TAKER_WORDS = (
    (r"staff of the unit holding it \(none\)", "承办单位人员"),
    (r"staff of the unit holding it \((?P<unit>.*)\)", "主办单位（{unit}）人员"),
    (r"the dispatch centre \(.*\)", "派单中心"),
    (r"a supervisor \(.*\)", "督办员"),
    (r"staff of a unit assisting it", "协办单位人员"),
    (r"dispatch itself", "系统"),
)
# what a read refused or not found names (services/shared/access.py and the services)
THING_WORDS = {"ticket": "工单", "ticket_no": "工单", "resident": "台账人员",
               "resident_id": "台账人员", "card": "台账卡片", "card_views": "台账查看记录",
               "checkins": "探访记录", "queue": "工单队列", "unit": "单位", "unit_id": "单位",
               "user": "用户", "session": "登录会话", "place": "地点", "rule": "派单规则",
               "callback task": "回访任务", "_id": "记录"}
NOT_FOUND = "没有找到要找的内容。"
REFUSAL_DEFAULTS = {
    "NotPermitted": "您无权进行此操作。",
    "IllegalTransition": "当前状态下不能这样操作，请刷新页面查看最新情况。",
    "NotFound": NOT_FOUND,
    "InvalidRequest": "填写有误，请检查后重试。",
}
SIGN_IN_AGAIN = "登录已失效，请重新登录。"
CHANGED_MEANWHILE = "内容已被他人修改，请刷新页面后重试。"
REFUSAL_SENTENCES: tuple[tuple[str, str, str], ...] = (
    # dispatch's steps (services/dispatch/steps.py, assists.py, supervision.py, service.py)
    ("NotPermitted", r"ticket (?P<no>\S+): only (?P<who>.+) may (?P<step>[a-z_ ]+)",
     "工单 {no} 只有{who}可以{step}。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) is closed; .*", "工单 {no} 已结案，不能再办理。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) is (?P<state>[a-z_]+); (?P<step>[a-z ]+) is only "
     r"taken from .*", "工单 {no} 当前为“{state}”，不能{step}。"),
    ("IllegalTransition", r"ticket (?P<no>\S+): assisting units have not reported: (?P<units>.*)",
     "工单 {no} 的协办单位尚未反馈，暂不能办结：{units}。"),
    ("IllegalTransition", r"ticket (?P<no>\S+): no assisting unit owes its part",
     "工单 {no} 没有尚未反馈的协办单位。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) already has an extension request waiting.*",
     "工单 {no} 已有一份延期申请等待督办审批。"),
    ("IllegalTransition", r"ticket (?P<no>\S+): every deadline is met",
     "工单 {no} 的时限均已完成，无需延期。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) has no extension request waiting",
     "工单 {no} 没有待审批的延期申请。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) is paused or has a pause request waiting",
     "工单 {no} 已挂起，或已有挂起申请等待审批。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) has no pause request waiting",
     "工单 {no} 没有待审批的挂起申请。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) is not paused", "工单 {no} 没有挂起。"),
    ("IllegalTransition", r"ticket (?P<no>\S+): the assist of (?P<unit>.+) is "
     r"(?P<assist_status>[a-z_]+)", "工单 {no}：{unit}的协办为“{assist_status}”，不能这样操作。"),
    ("IllegalTransition", r"ticket (?P<no>\S+): (?P<unit>.+) assists already",
     "工单 {no}：{unit}已是协办单位。"),
    ("IllegalTransition", r"ticket (?P<no>\S+): the (?P<deadline>[a-z]+) deadline is met",
     "工单 {no} 的{deadline}时限已完成，无需延期。"),
    ("IllegalTransition", r"ticket (?P<no>\S+): the pause asked for would have ended at .*",
     "工单 {no} 申请的挂起已经到期，请选择不同意。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) did not change", "工单 {no} 没有变化。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) is \S+'s already",
     "工单 {no} 已由这位承办人承办。"),
    ("IllegalTransition", r"ticket (?P<no>\S+) keeps changing.*",
     "工单 {no} 正在被他人办理，请刷新页面后重试。"),
    ("NotPermitted", r"only .* edit the directory", "只有派单中心和管理员可以修改单位和派单规则。"),
    ("NotPermitted", r"staff act for their own unit only", "只能办理本单位的工单。"),
    # reads (services/shared/access.py)
    ("NotPermitted", r"queue \S+: not among those you may see", "您无权查看该单位的工单。"),
    ("NotPermitted", r"(?P<thing>[a-z_]+) (?P<key>\S+): not among those you may see",
     "您无权查看{thing} {key}。"),
    ("NotPermitted", r"(?P<role>[a-z_]+) may not read .*", "{role}无权查看此内容。"),
    ("NotPermitted", r"a (?P<role>[a-z_]+) may not .*", "{role}不能进行此操作。"),
    # who signed in (services/shared/statements.py, services/accounts)
    ("NotPermitted", r"the statement has expired.*", SIGN_IN_AGAIN),
    ("NotPermitted", r"(this|the) session has ended.*", SIGN_IN_AGAIN),
    ("NotPermitted", r"the (actor|statement) .*", SIGN_IN_AGAIN),
    ("NotPermitted", r"signed in read-only.*", "当前为只读登录，不能修改。"),
    ("NotPermitted", r"this account is deactivated.*", "该账号已停用，请联系管理员。"),
    ("NotPermitted", r"this account is a program's.*", "这是程序账号，只能用接口令牌登录。"),
    ("NotPermitted", r"only an admin manages accounts", "只有管理员可以管理账号。"),
    ("NotPermitted", r"only an admin or the user themself", "只有管理员或本人可以这样操作。"),
    ("NotPermitted", r"only the user themself changes their password", "只能由本人修改密码。"),
    ("IllegalTransition", r"the last active admin may be neither demoted nor deactivated",
     "这是最后一个在用的管理员账号，不能改为其他角色或停用。"),
    ("IllegalTransition", r"user (?P<key>\S+) is deactivated", "账号 {key} 已停用。"),
    ("IllegalTransition", r"user (?P<key>\S+) holds \d+ tokens.*",
     "账号 {key} 的接口令牌已达上限，请先吊销不用的令牌。"),
    ("IllegalTransition", r"user (?P<key>\S+) exists already", "用户名 {key} 已被使用。"),
    ("IllegalTransition", r"an admin exists already.*", "系统已有管理员，请向管理员申请账号。"),
    # the register (services/register)
    ("NotPermitted", r"unit staff keep the register of their own unit only",
     "承办单位人员只能维护本单位的台账。"),
    ("NotPermitted", r"only admins and the resident's own unit change the register",
     "只有管理员和该居民所属网格可以修改台账。"),
    ("NotPermitted", r"the register of another district is not yours to read",
     "不能查看其他区的台账。"),
    ("NotPermitted", r"unit staff read the register of their own unit only",
     "承办单位人员只能查看本单位的台账。"),
    ("NotPermitted", r"agents find residents by phone only.*",
     "话务员只能按来电号码查找台账人员。"),
    ("NotPermitted", r"this role does not read the register", "您的角色不能查看台账。"),
    ("NotPermitted", r"only admins and unit staff import a register",
     "只有管理员和承办单位人员可以导入台账。"),
    ("IllegalTransition", r"(?P<name>.+) is in the register already as (?P<key>\S+); .*",
     "{name}已在台账中，请修改原有的记录。"),
    ("IllegalTransition", r"resident \S+ (was changed|keeps changing).*", CHANGED_MEANWHILE),
    ("IllegalTransition", r"resident \S+ has no check-in plan to pause",
     "该居民没有探访计划，无需暂停。"),
    ("IllegalTransition", r"the check-ins of resident \S+ are paused already",
     "该居民的探访已暂停。"),
    ("IllegalTransition", r"the check-ins of resident \S+ are not paused",
     "该居民的探访没有暂停。"),
    ("IllegalTransition", r"cannot pause check-ins until (?P<key>\S+), a day already past",
     "暂停至 {key} 已是过去的日期，请选择今天或以后的日期。"),
    ("IllegalTransition", r"resident \S+ is retired from the register", "该居民已从台账注销。"),
    # what does not exist (NotFound's ``what``: "ticket YP-…", "assist of <unit> on ticket …")
    ("NotFound", r"not found: assist of .* on ticket (?P<no>\S+)",
     "该单位不是工单 {no} 的协办单位。"),
    ("NotFound", r"not found: (?P<thing>ticket|unit|user|place) (?P<key>\S+)",
     "没有找到{thing} {key}。"),
    ("NotFound", r"not found: (?P<thing>resident|session|rule|callback task)\b.*",
     "没有找到该{thing}。"),
)
# the words the groups above are said in, by group name
REFUSAL_VALUE_WORDS: dict[str, dict[str, str]] = {
    "state": STATE_WORDS, "step": STEP_WORDS, "assist_status": ASSIST_WORDS,
    "deadline": DEADLINE_WORDS, "role": ROLE_WORDS, "thing": THING_WORDS,
}


def refusal_sentence(error: Exception) -> str:
    """Why a service refused, as one Chinese sentence (REFUSAL_SENTENCES); its kind's
    sentence when no row matches. Never the service's English."""
    return sentence_of(type(error).__name__, str(error))


def sentence_of(kind: str, message: str) -> str:
    """A refusal of ``kind`` (NotPermitted…) saying ``message``, as refusal_sentence says it."""
    for row_kind, pattern, sentence in REFUSAL_SENTENCES:
        if row_kind != kind:
            continue
        found = re.fullmatch(pattern, message, flags=re.DOTALL)
        if found is None:
            continue
        values = {name: _refusal_value(name, value or "")
                  for name, value in found.groupdict().items()}
        if any(value is None for value in values.values()):
            continue
        return sentence.format(**values)
    return REFUSAL_DEFAULTS.get(kind, "操作未成功，请稍后再试。")


def _refusal_value(name: str, value: str) -> str | None:
    """A matched group as the sentence says it; None for a code without its words."""
    if name == "who":
        return "或".join(_taker(part) or "?" for part in value.split(" or "))
    if name == "units":  # "殷行街道第一网格工作站 (added), …"
        return "、".join(re.sub(r" \((\w+)\)$", lambda status: "（" + word(
            ASSIST_WORDS, status.group(1)) + "）", part) for part in value.split(", "))
    if name == "step":
        value = value.strip().replace(" ", "_")
    words = REFUSAL_VALUE_WORDS.get(name)
    if words is not None:
        return words.get(value)
    return value


def _taker(text: str) -> str | None:
    for pattern, words in TAKER_WORDS:
        found = re.fullmatch(pattern, text)
        if found:
            return words.format(**found.groupdict())
    return None


# --- a part of the system that does not answer ------------------------------------------
def unavailable(error: Exception) -> str:
    """A ServicesUnavailable as a page says it, naming the part its message names first
    ("ledger did not answer" → 记录服务暂时没有响应; "ledger.timeline is not running";
    "dispatch cannot reach what it needs", "dispatch: …" its store or disk → 暂时无法处理)."""
    found = re.match(r"(?P<service>[a-z]+)\b(?P<rest>.*)", str(error), flags=re.DOTALL)
    part = SERVICE_WORDS.get(found.group("service")) if found else None
    if found is None or part is None:
        return "后台服务暂时没有响应，请稍后再试。"
    if re.match(r"(\.[a-z_]+)? (did not answer|is not running)", found.group("rest")):
        return f"{part}服务暂时没有响应，请稍后再试。"
    return f"{part}服务暂时无法处理请求，请稍后再试。"


def unavailable_part(service: str) -> str:
    """What a page says of one of its parts whose service did not answer."""
    return unavailable(Exception(f"{service} did not answer"))


def sign_in_refusal(message: str) -> str:
    if message in SIGN_IN_MESSAGES:
        return SIGN_IN_MESSAGES[message]
    if message.startswith("too many failed sign-ins"):
        seconds = re.search(r"(\d+) s", message)
        return f"登录失败次数过多，已暂时锁定，请 {seconds.group(1)} 秒后再试" if seconds \
            else "登录失败次数过多，已暂时锁定"
    return sentence_of("NotPermitted", message)
