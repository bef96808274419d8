"""The register as a committee keeps it: a spreadsheet (.xlsx, or .csv) with columns named in
Chinese. Reading one row by row into residents, with the reasons in Chinese where a cell
cannot be read; writing the register back in the same columns, and the blank template.

A column is read only under a header the template names, or one of the synonyms listed
with it (COLUMNS; the template's 填写说明 lists them too): a column under any other header
is reported and left out, never taken for the nearest-sounding one (a 备注 column is not
the consent notes). Below the header, a blank row, a footer (制表人：…, 日期：…, 合计) or a
note (注：…) is skipped, each with its reason, never read as a resident.

No I/O beyond bytes in memory. What is read is written the same way back: export, then
import, reads every resident as the register has them.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from services.register import tables
from services.register.tables import EXCEL_SERIALS, Formula
from services.shared import births
from services.shared.schemas import normalise_phone
from services.shared.spreadsheets import append_row
from services.shared.words import LIVING_STATUS_WORDS


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...]
    note: str     # how to fill it in, for the template's 填写说明
    example: str


# The synonyms are the headers committees use for the same column, nothing looser: a
# header that could mean another thing (备注, 编号, 门牌号, 探访时间) is not one.
COLUMNS = (
    Column("name", "姓名", ("老人姓名", "居民姓名", "名字"), "必填", "张桂英"),
    Column("phones", "联系电话", ("电话", "手机", "手机号", "联系方式", "电话号码", "本人电话"),
           "手机或座机，多个用、或 , 或 / 分隔", "13800000001、021-65432100"),
    Column("district", "区", ("所在区", "区县"), "必填", "杨浦区"),
    Column("subdistrict", "街道", ("街镇", "镇", "街道镇"), "", "殷行街道"),
    Column("community", "社区", ("居委", "居委会", "居民区", "社区居民区"), "", "开鲁新村"),
    Column("estate", "小区", ("小区名称",), "", "开鲁新村"),
    Column("building", "楼栋", ("楼号", "楼", "楼栋号", "幢"), "", "12号"),
    Column("room", "室", ("室号", "房号", "房间号"), "", "302"),
    Column("birth_date", "出生日期", ("出生年月日", "出生年月"),
           "如 1941-11-26、1941/11/26、1941年11月26日，或 Excel 日期；只知年月写 1941年11月、"
           "1941-11、1941.11 或 1941/11，只知年份写 1941 或 1941年", "1941-11-26"),
    Column("living_status", "居住状态", ("居住情况", "居住类型"),
           "独居 / 空巢 / 与家人同住", "独居"),
    Column("groups", "人员类别", ("类别", "人员类型", "群体类别"),
           "离退休老干部、低保、孤寡、退役军人、失能 等，可填多个", "孤寡、低保"),
    Column("health_notes", "健康状况", ("健康情况", "身体状况"), "", "高血压，腿脚不便"),
    Column("hobbies", "兴趣爱好", ("爱好",), "", "听评弹"),
    Column("contact_names", "紧急联系人", ("紧急联系人姓名", "亲属姓名"),
           "可填多位，用、分隔，与联系人关系、联系人电话一一对应", "张小明"),
    Column("contact_relations", "联系人关系", ("关系", "与老人关系"), "", "侄子"),
    Column("contact_phones", "联系人电话", ("紧急联系人电话", "亲属电话"), "", "13900000001"),
    Column("grid_unit_id", "网格", ("所属网格", "网格编号"),
           "负责的网格或承办单位编号(或名称)", "yinhang-grid-1"),
    Column("grid_worker", "网格员", ("网格员姓名",), "", "周伟"),
    Column("checkin_plan", "探访计划", ("探访安排",),
           "如 每天 10:00、15:00 或 周一至周五 10:00，不探访留空", "每天 10:00、15:00"),
    Column("consent_notes", "备注/同意情况", ("同意情况", "知情同意"),
           "本人或家属同意登记的情况等", "本人口头同意登记"),
    Column("resident_id", "台账编号", (), "系统生成，新增时留空；导出的表保留此列可精确对应",
           ""),
)
HEADERS = {column.key: column.header for column in COLUMNS}
CONTACT_KEYS = ("contact_names", "contact_relations", "contact_phones")
ADDRESS_KEYS = ("district", "subdistrict", "community", "estate", "building", "room")
SHEET_TITLE = "台账"
NOTES_TITLE = "填写说明"
HEADER_SEARCH_ROWS = 10  # committees often put a title or two above the header
NUMBERING = ("序号", "编号序号")  # a column that numbers the rows: known, not read
SEPARATORS = re.compile(r"[、,，/／;；\n]+")
GROUP_SEPARATORS = re.compile(r"[、,，/／;；\s]+")
DAY_NAMES = "一二三四五六日"
DAY_NUMBERS = {**{name: number for number, name in enumerate(DAY_NAMES, start=1)},
               "天": 7, "七": 7, **{str(number): number for number in range(1, 8)}}
LIVING_STATUS_ALIASES = {
    **{word: code for code, word in LIVING_STATUS_WORDS.items()},
    "与子女同住": "with_family", "与家人居住": "with_family", "家人同住": "with_family",
    "与配偶子女同住": "with_family", "非独居": "with_family", "独居老人": "alone",
    "空巢老人": "empty_nest", **{code: code for code in LIVING_STATUS_WORDS},
}
NO_RELATION = "无"
NONE_WORDS = (None, "", NO_RELATION, "-", "—", "／")
GROUP_ALIASES = {"离休干部": "retired_cadre", "退休干部": "retired_cadre",
                 "老干部": "retired_cadre", "低保户": "low_income", "孤老": "childless",
                 "孤寡老人": "childless", "退伍军人": "veteran", "失能老人": "disabled"}


class SheetError(Exception):
    """The file as a whole cannot be read as a register (in Chinese, for the person
    importing it)."""


@dataclass
class SheetRow:
    """One row of a register file: ``fields`` as a resident's fields (only the columns the
    file has), ``reasons`` why cells could not be read."""

    number: int  # the row's number in the sheet, as the spreadsheet shows it
    fields: dict = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    resident_id: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A row below the header that is no resident (blank, a footer, a note): why."""

    number: int
    reason: str


@dataclass
class Sheet:
    rows: list[SheetRow]
    columns: list[str]   # the register's headers found
    ignored: list[str]   # headers not recognised, left out
    skipped: list[Skipped] = field(default_factory=list)


# --- reading -----------------------------------------------------------------------------


def _header_key(text: Any) -> tuple[str, str] | None:
    """(column key, suffix) of a header cell, e.g. ("contact_phones", "2") for 联系人电话2;
    None for a header that is not the register's. A note in brackets, spaces, line breaks,
    a * for required and a trailing colon are no part of the name."""
    if text is None or isinstance(text, Formula):
        return None
    clean = re.sub(r"[（(][^）)]*[）)]", "", str(text))  # "联系电话（多个用、分隔）"
    clean = re.sub(r"[\s*＊:：/／]", "", clean)
    if not clean:
        return None
    split = re.fullmatch(r"(.*?)(\d*)", clean)  # a header's name, and a number after it
    assert split is not None  # the pattern matches any text
    base, suffix = split.groups()
    for column in COLUMNS:
        names = tuple(name.replace("/", "") for name in (column.header,) + column.aliases)
        if clean in names:
            return column.key, ""
        if suffix and column.key in CONTACT_KEYS and base in names:
            return column.key, suffix
    return None


def read(content: bytes, filename: str, unit_ids: dict[str, str] | None = None,
         group_codes: dict[str, str] | None = None,
         today: dt.date | None = None) -> Sheet:
    """The rows of a register file (.xlsx, or .csv in UTF-8 or GB18030 as Excel saves it
    in China). ``unit_ids`` maps unit names to ids (a 网格 cell may name either);
    ``group_codes`` maps each group's Chinese word to its code. SheetError when the file
    is not a register."""
    try:
        table = tables.read(content, filename, lambda rows: _header_row(rows) is not None)
    except tables.TableError as exc:
        raise SheetError(str(exc)) from None
    header_at, header = _find_header(table)
    keys, names, ignored = _columns(header)
    body = [(number, values, _not_a_resident(values), _mapped(values, keys))
            for number, values in table[header_at + 1:]]
    last = max((at for at, (_, _, other, mapped) in enumerate(body) if other or mapped),
               default=-1)
    rows, skipped = [], []
    for number, values, other, mapped in body[:last + 1]:  # blank rows after: the sheet's end
        if other is not None or not mapped:
            skipped.append(Skipped(number, other or (
                "空行" if not any(map(_text, values)) else
                "空行 (登记的各列都为空，只有序号或未识别的列有内容)")))
            continue
        rows.append(_row(number, values, keys, names, unit_ids or {}, group_codes or {},
                         today or dt.date.today()))
    return Sheet(rows, list(names.values()), ignored, skipped)


def _columns(header: list) -> tuple[dict[int, tuple[str, str]], dict[int, str], list[str]]:
    """The header's columns: {index: key} and {index: header as the file writes it} of
    those read, and the headers left out (not the register's, or a second column of the
    same; two phone columns are both read)."""
    keys: dict[int, tuple[str, str]] = {}
    names: dict[int, str] = {}
    ignored = []
    for index, text in enumerate(header):
        key = _header_key(text)
        written = re.sub(r"\s+", "", _text(text) or "")  # 联系电话\n（手机）: one line
        first = next((names[at] for at, known in keys.items() if known == key), None)
        if key is None or (first is not None and key != ("phones", "")):
            if written and written not in NUMBERING:
                ignored.append(written if key is None else f"{written} (与“{first}”列重复)")
            continue
        keys[index], names[index] = key, written
    return keys, names, ignored


def _keyed(values: list, keys: dict[int, tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """A row's cells by column key (formulas left out: see _row); two phone columns (电话,
    手机) are one list."""
    cells: dict[tuple[str, str], Any] = {}
    for index, key in keys.items():
        value = values[index] if index < len(values) else None
        value = None if isinstance(value, Formula) else \
            value.strip() if isinstance(value, str) else value
        if cells.get(key) in (None, ""):
            cells[key] = value
        elif value not in (None, ""):
            cells[key] = f"{_text(cells[key])}、{_text(value)}"
    return cells


def _mapped(values: list, keys: dict[int, tuple[str, str]]) -> bool:
    """Whether the row has anything in the register's columns."""
    return any(_text(values[index]) for index in keys if index < len(values))


# A row that is no resident, by its first cell: a footer (who made the table, when, the
# totals) or a note. Spaces inside the words are ignored (制 表 人：).
FOOTER = re.compile(r"^(?:制表人?|填表人?|填报人|审核人?|审批人?|负责人|经办人|统计人"
                    r"|联系人|联系电话"
                    r"|(?:制表|填表|填报|报送|统计|审核)?(?:日期|时间)|(?:制表|填报|报送)?单位"
                    r"|盖章|签字|签名)(?:[（(][^）)]*[）)])?[:：]"
                    r"|^(?:合计|总计|小计|共计)")
NOTE = re.compile(r"^(?:注|备注|说明|填表说明|附注)(?:[:：]|\d|[一二三四五六七八九十]、)")
SECTION = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")
SHOWN = 40  # characters of a skipped row quoted in its reason


def _not_a_resident(values: list) -> str | None:
    """Why a row below the header is no resident (a footer, a note, a heading between
    blocks), or None."""
    texts = [text for text in map(_text, values) if text]
    if not texts:
        return None
    first = re.sub(r"\s", "", texts[0])
    shown = _shortened("  ".join(texts))
    if FOOTER.match(first):
        return f"表尾，不是人员: {shown}"
    if NOTE.match(first):
        return f"说明行，不是人员: {shown}"
    if len(texts) == 1 and SECTION.match(first):
        return f"分组标题行，不是人员: {shown}"
    return None


def _header_row(table: list[tuple[int, list]]) -> int | None:
    for index, (_, values) in enumerate(table[:HEADER_SEARCH_ROWS]):
        if any(_header_key(value) == ("name", "") for value in values):
            return index
    return None


def _find_header(table: list[tuple[int, list]]) -> tuple[int, list]:
    index = _header_row(table)
    if index is None:
        raise SheetError(f"找不到表头: 前{HEADER_SEARCH_ROWS}行中需有“姓名”列 "
                         f"(可下载模板查看各列名称)")
    return index, table[index][1]


def _text(value: Any) -> str | None:
    """A cell as text: numbers without a trailing .0 (a room 302, a phone 13800000001)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _row(number: int, values: list, keys: dict[int, tuple[str, str]], names: dict[int, str],
         unit_ids: dict[str, str], group_codes: dict[str, str], today: dt.date) -> SheetRow:
    """A row as a resident's fields, with the reasons where cells cannot be read. A cell
    that is (or looks like) a formula has no value to read: the row says so, and only
    that, rather than read it as an empty or wrong name, phone or date."""
    row = _fields(number, _keyed(values, keys), {key for key, _ in keys.values()}, unit_ids,
                  group_codes, today)
    formulas = [f"{names[index]}像是公式，不是填写的内容: {_shortened(values[index].text)} "
                f"(请直接填写内容，或在 Excel 中把该列“选择性粘贴为数值”后再导入)"
                for index in keys if index < len(values) and isinstance(values[index], Formula)]
    if formulas:
        row.reasons = formulas
    return row


def _shortened(text: str, most: int = SHOWN) -> str:
    return text if len(text) <= most else text[:most] + "…"


def _fields(number: int, cells: dict, present: set[str], unit_ids: dict[str, str],
            group_codes: dict[str, str], today: dt.date) -> SheetRow:
    row = SheetRow(number)
    get = lambda key: cells.get((key, ""))  # noqa: E731 - a local shorthand
    if "name" in present:
        row.fields["name"] = _text(get("name"))
        if not row.fields["name"]:
            row.reasons.append("缺少姓名")
    if "phones" in present:
        row.fields["phones"] = _phones(get("phones"), "联系电话", row.reasons)
    if present & set(ADDRESS_KEYS):
        row.fields["address"] = {key: _text(get(key)) for key in ADDRESS_KEYS if key in present}
    if "birth_date" in present:
        row.fields["birth_date"] = _birth_date(get("birth_date"), today, row.reasons)
    if "living_status" in present:
        row.fields["living_status"] = _living_status(get("living_status"), row.reasons)
    if "groups" in present:
        row.fields["groups"] = _groups(get("groups"), group_codes, row.reasons)
    for key in ("health_notes", "hobbies", "grid_worker", "consent_notes"):
        if key in present:
            row.fields[key] = _text(get(key))
    if "grid_unit_id" in present:
        grid = _text(get("grid_unit_id"))
        row.fields["grid_unit_id"] = unit_ids.get(grid, grid) if grid else None
    if present & set(CONTACT_KEYS):
        row.fields["emergency_contacts"] = _contacts(cells, row.reasons)
    if "checkin_plan" in present:
        text = _text(get("checkin_plan"))
        row.fields["checkin_plan"] = None
        if text:
            row.fields["checkin_plan"] = parse_plan(text)
            if row.fields["checkin_plan"] is None:
                row.reasons.append(f"探访计划无法识别: {text} (例: 每天 10:00、15:00 或 "
                                   f"周一至周五 10:00)")
    if "resident_id" in present:
        row.resident_id = _text(get("resident_id"))
    return row


def _split(value: Any, separators: re.Pattern = SEPARATORS) -> list[str]:
    text = _text(value)
    return [part.strip() for part in separators.split(text)] if text else []


def _phones(value: Any, column: str, reasons: list[str]) -> list[str]:
    phones = []
    for text in filter(None, _split(value)):
        try:
            phones.append(normalise_phone(text))
        except ValueError:
            reasons.append(f"{column}无法识别: {text}")
    return list(dict.fromkeys(phones))


DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
               r"(?:[ T]0{1,2}:00(?::00)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
# A birth known only to the month or the year, as old registers write it.
PART_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$"), births.MONTH),  # 1938年5月
    (re.compile(r"^(\d{4})\s*年?$"), births.YEAR),                                # 1938年
)
YEARS = (1000, EXCEL_SERIALS[0])  # a whole number in here is a year, above it a date


def parse_date(value: Any) -> dt.date | None:
    """A date however a committee writes it: 1926-03-05, 1926/3/5, 1926年3月5日, 19260305,
    or an Excel date (a date cell, or its serial number); None if it is none of these."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if EXCEL_SERIALS[0] <= value < EXCEL_SERIALS[1]:
            return from_excel(value).date()
        return None
    text = _text(value)
    for pattern in DATE_PATTERNS:
        match = pattern.match(text or "")
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def parse_birth(value: Any) -> tuple[dt.date, str] | None:
    """A birth date and how much of it is known (births.DAY, MONTH or YEAR): a full date
    as parse_date reads it, or 1938年5月, 1938-05, 1938/5, 1938.5 (month), 1938年, 1938
    (year), as text or as a number; the date is the earliest the text allows. None if it
    is none of these."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and YEARS[0] <= value < YEARS[1]:
        value = str(int(value)) if float(value).is_integer() else repr(float(value))
    day = parse_date(value)
    if day is not None:
        return day, births.DAY
    text = _text(value) or ""
    for pattern, known in PART_DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            parts = [int(part) for part in match.groups()]
            try:
                return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, 1), known
            except ValueError:
                return None
    return None


def _birth_date(value: Any, today: dt.date, reasons: list[str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    if isinstance(value, float) and re.fullmatch(r"\d{4}\.1", text):
        # 1938.10 typed into a number cell is kept as 1938.1: October or January?
        reasons.append(f"出生日期 {text} 是数字，分不清是1月还是10月 (请写作 {text[:4]}年1月"
                       f" 或 {text[:4]}年10月，或把该列设为文本)")
        return None
    parsed = parse_birth(value)
    if parsed is None:
        reasons.append(f"出生日期无法识别: {text} (例: 1941-11-26；只知年月写 1941年11月，"
                       f"只知年份写 1941)")
        return None
    day, known = parsed
    if day > today:
        reasons.append(f"出生日期晚于今天: {births.written(day, known)}")
        return None
    return births.written(day, known)


def _living_status(value: Any, reasons: list[str]) -> str | None:
    text = _text(value)
    if text is None:
        return None
    code = LIVING_STATUS_ALIASES.get(text)
    if code is None:
        reasons.append(f"居住状态无法识别: {text} (可填 "
                       f"{'、'.join(LIVING_STATUS_WORDS.values())})")
    return code


def _groups(value: Any, group_codes: dict[str, str], reasons: list[str]) -> list[str]:
    codes = []
    for word in _split(value, GROUP_SEPARATORS):
        code = group_codes.get(word) or GROUP_ALIASES.get(word) or \
            (word if word in group_codes.values() else None)
        if code is None:
            reasons.append(f"人员类别无法识别: {word} (可填 {'、'.join(group_codes)})")
        else:
            codes.append(code)
    return codes


def _contacts(cells: dict, reasons: list[str]) -> list[dict]:
    """Emergency contacts from 紧急联系人 / 联系人关系 / 联系人电话, several to a cell
    (aligned by position) or in numbered columns (紧急联系人2 …)."""
    suffixes = sorted({suffix for key, suffix in cells if key in CONTACT_KEYS},
                      key=lambda suffix: int(suffix or 0))
    contacts = []
    for suffix in suffixes:
        names = _split(cells.get(("contact_names", suffix)))
        relations = _split(cells.get(("contact_relations", suffix)))
        phone_texts = _split(cells.get(("contact_phones", suffix)))
        if not names and not phone_texts:
            continue
        if len(names) != len(phone_texts):
            reasons.append(f"紧急联系人({len(names)}位)与联系人电话({len(phone_texts)}个)"
                           f"个数不一致")
            continue
        if relations and len(relations) != len(names):
            reasons.append("联系人关系与紧急联系人个数不一致")
            continue
        for index, (name, phone_text) in enumerate(zip(names, phone_texts, strict=True)):
            phones = _phones(phone_text, "联系人电话", reasons)
            if phones:
                relation = relations[index] if relations else None
                contacts.append({"name": name, "phone": phones[0],
                                 "relation": None if relation in NONE_WORDS else relation})
    return contacts


# --- check-in plans in words -------------------------------------------------------------

TIME_WORDS = re.compile(r"(\d{1,2})\s*[:：]\s*(\d{2})|(\d{1,2})\s*点\s*(半|(\d{1,2})\s*分?)?")
DAY_RANGE = re.compile(
    r"^周?([一二三四五六日天七1-7])(?:至|到|-|~|—|－|～)周?([一二三四五六日天七1-7])$")
EVERY_DAY = ("每天", "每日", "天天", "全周", "周一至周日", "")


def parse_plan(text: str) -> dict | None:
    """{days, times} from a plan as a committee writes it: "每天 10:00、15:00",
    "周一至周五 10:00", "周一、三、五 9点半", "工作日 10:00", "周末 15:00"; None if it
    cannot be read."""
    times = []
    for hours, minutes, point_hours, half, point_minutes in TIME_WORDS.findall(text):
        hour = int(hours or point_hours)
        minute = int(minutes) if hours else (30 if half == "半" else int(point_minutes or 0))
        if hour > 23 or minute > 59:
            return None
        times.append(f"{hour:02d}:{minute:02d}")
    days_text = TIME_WORDS.sub(" ", text)
    days_text = days_text.replace("星期", "周").replace("礼拜", "周")
    days_text = re.sub(r"[\s、,，/;；和及]+", "、", days_text).strip("、")
    days = _days(days_text)
    if not times or days is None:
        return None
    return {"days": days, "times": sorted(set(times))}


def _days(text: str) -> list[int] | None:
    if text in EVERY_DAY:
        return list(range(1, 8))
    if text == "工作日":
        return list(range(1, 6))
    if text in ("周末", "双休日"):
        return [6, 7]
    days: set[int] = set()
    for part in text.split("、"):
        part = part.removeprefix("每")
        match = DAY_RANGE.match(part)
        if match:
            first, last = DAY_NUMBERS[match.group(1)], DAY_NUMBERS[match.group(2)]
            if first > last:
                return None
            days.update(range(first, last + 1))
            continue
        names = part.removeprefix("周")
        if not names or any(name not in DAY_NUMBERS for name in names):
            return None
        days.update(DAY_NUMBERS[name] for name in names)
    return sorted(days) or None


def plan_text(plan: dict | None) -> str:
    """A plan in the words parse_plan reads: "每天 10:00、15:00", "周一至周五 10:00"."""
    if not plan:
        return ""
    days = sorted(plan["days"])
    if days == list(range(1, 8)):
        spoken = "每天"
    else:
        runs: list[list[int]] = []
        for day in days:
            if runs and day == runs[-1][-1] + 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        spoken = "、".join(
            f"周{DAY_NAMES[run[0] - 1]}至周{DAY_NAMES[run[-1] - 1]}" if len(run) >= 3 else
            "、".join(f"周{DAY_NAMES[day - 1]}" for day in run) for run in runs)
    return f"{spoken} {'、'.join(plan['times'])}"


# --- writing -----------------------------------------------------------------------------


def _cells(resident: dict, group_words: dict[str, str]) -> list[Any]:
    address = resident.get("address") or {}
    contacts = resident.get("emergency_contacts") or []
    values = {
        "name": resident["name"],
        "phones": "、".join(_national(phone) for phone in resident.get("phones") or []),
        **{key: address.get(key) for key in ADDRESS_KEYS},
        "birth_date": births.earliest(resident["birth_date"])
        if resident.get("birth_date") else None,
        "living_status": LIVING_STATUS_WORDS.get(resident.get("living_status") or "", ""),
        "groups": "、".join(group_words.get(code, code) for code in resident.get("groups") or []),
        "health_notes": resident.get("health_notes"),
        "hobbies": resident.get("hobbies"),
        "contact_names": "、".join(contact["name"] for contact in contacts),
        # a contact without a relation keeps its place, so positions stay aligned
        "contact_relations": "、".join(contact.get("relation") or NO_RELATION
                                       for contact in contacts)
        if any(contact.get("relation") for contact in contacts) else None,
        "contact_phones": "、".join(_national(contact["phone"]) for contact in contacts),
        "grid_unit_id": resident.get("grid_unit_id"),
        "grid_worker": resident.get("grid_worker"),
        "checkin_plan": plan_text(resident.get("checkin_plan")),
        "consent_notes": resident.get("consent_notes"),
        "resident_id": resident.get("resident_id") or resident.get("_id"),
    }
    return [values[column.key] or None for column in COLUMNS]


def _national(phone: str) -> str:
    """+8613800000001 → 13800000001, +862165432100 → 02165432100: as dialled at home
    (a number from abroad stays as it is)."""
    number = phonenumbers.parse(phone, "CN")
    if number.country_code != 86:
        return phone
    return "".join(ch for ch in phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.NATIONAL) if ch.isdigit())


def workbook(residents: Iterable[dict], group_words: dict[str, str]) -> bytes:
    """The register as an .xlsx in the committee's columns (sheet 台账), with 填写说明."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    append_row(sheet, [column.header for column in COLUMNS])
    date_column = [column.key for column in COLUMNS].index("birth_date") + 1
    for resident in residents:
        append_row(sheet, _cells(resident, group_words))
        born = resident.get("birth_date")
        # a date cell showing what is known: read back at the same precision
        sheet.cell(sheet.max_row, date_column).number_format = \
            DATE_FORMATS[births.precision(born) if born else births.DAY]
    _style(sheet)
    _notes(book.create_sheet(NOTES_TITLE), group_words)
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


DATE_FORMATS = {births.DAY: "yyyy-mm-dd", births.MONTH: 'yyyy"年"m"月"',
                births.YEAR: 'yyyy"年"'}


def template(group_words: dict[str, str]) -> bytes:
    """The blank register: the header row, and 填写说明 with each column explained."""
    return workbook([], group_words)


def _style(sheet) -> None:
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(1, index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center")
        wide = column.key in ("phones", "health_notes", "checkin_plan", "consent_notes",
                              "contact_phones")
        sheet.column_dimensions[get_column_letter(index)].width = 24 if wide else 12
    sheet.freeze_panes = "B2"


def _notes(sheet, group_words: dict[str, str]) -> None:
    append_row(sheet, ["列名", "填写说明", "示例", "也可写作"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        note = column.note
        if column.key == "groups":
            note = f"{'、'.join(group_words.values())}，可填多个，用、分隔"
        append_row(sheet, [column.header, note, column.example, "、".join(column.aliases)])
    append_row(sheet, [])
    append_row(sheet, ["说明", "第一个工作表为台账，表头在前几行内即可(上方可有标题)。只导入上面"
                               "列出的列(列名或“也可写作”中的名称)，其他列(如 备注、编号)不导入，"
                               "预览时列出。空行、表尾(制表人、日期、合计)和说明行(注：…)跳过，"
                               "预览时逐行列出。同一人(姓名+电话，或姓名+地址到室)只填一行。"
                               "单元格请填写内容本身，不要用公式。导入时先预览，逐行显示新增、"
                               "修改、无变化、跳过或不能导入的原因，确认后再导入。"])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 28
    sheet.column_dimensions["D"].width = 28
