"""A register file as a table of what its cells show: (row number, cell values) for each
row of an .xlsx's register sheet or of a .csv.

What a cell shows is not always its raw value, and the difference matters for a register:
- a date cell formatted to show only the year and month (Excel turns a typed 1938年5月
  into 1938-05-01 shown as 1938年5月) is the text "1938-05", and one showing only the
  year is "1938": the day was never given;
- a formula is what Excel last worked out for it; a formula the file holds no value for
  (a file written by a program, never opened in Excel), or text that starts with "=" as a
  formula does (typed into a text column, or in a CSV), is a Formula: there is no value
  to read, and the row must say so rather than read it as a name, a phone or a date.

Text an export wrote with Excel's quote prefix (services/shared/spreadsheets.py) is text,
"=" or not: it imports back as it was. A character XML cannot hold is written by Excel
as ``_xHHHH_`` (a line break typed as CRLF is ``_x000D_`` and a line feed): the cell
shows the character, and the schema's Text reads it as any other typed text.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.escape import unescape

from services.shared import births

EXCEL_SERIALS = (3000, 80000)  # 1908 … 2119: a number in here may be an Excel date
# Excel's Chinese built-in date formats, stored by number only (ECMA-376 18.8.30, zh-cn):
# openpyxl does not know them, so their dates arrive as serial numbers.
CHINESE_DATE_FORMATS = {27: births.MONTH, 36: births.MONTH, 50: births.MONTH,
                        52: births.MONTH, 57: births.MONTH, 30: births.DAY, 31: births.DAY}
FORMAT_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')  # quoted text, [colours], \escapes


class TableError(Exception):
    """The file cannot be read as a table (in Chinese, for the person importing it)."""


@dataclass(frozen=True)
class Formula:
    """A cell that is a formula, or looks like one, with no value to read: ``text`` as
    written (=B3, =DATE(1938,5,1))."""

    text: str

    def __str__(self) -> str:
        return self.text


Table = list[tuple[int, list[Any]]]


def read(content: bytes, filename: str, is_register: Callable[[Table], bool]) -> Table:
    """The rows of the file: an .xlsx's first sheet that ``is_register`` (a function of a
    table) accepts, or a .csv in UTF-8 or GB18030 (as Excel saves it in China). TableError
    for an .xls or a file that cannot be read."""
    name = filename.lower()
    if name.endswith(".xls"):
        raise TableError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv 后再导入")
    if name.endswith((".xlsx", ".xlsm")) or (not name.endswith(".csv") and content[:2] == b"PK"):
        return _xlsx(content, is_register)
    return _csv(content)


def _open(content: bytes, data_only: bool):
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(f"无法读取 Excel 文件: {exc}") from None


def _xlsx(content: bytes, is_register: Callable[[Table], bool]) -> Table:
    book = _open(content, data_only=False)  # formulas as written: which cells are formulas
    try:
        for at, sheet in enumerate(book.worksheets):
            table = [(number, [_shown(cell) for cell in cells]) for number, cells in
                     enumerate(sheet.iter_rows(), start=1)]
            if is_register(table):
                return _with_values(content, at, table)
        return []
    finally:
        book.close()


def _with_values(content: bytes, at: int, table: Table) -> Table:
    """``table`` (of the book's sheet ``at``) with the value the file holds for each
    formula cell, where it holds one: what Excel showed when the file was last saved. A
    formula without one is a Formula."""
    formulas = {(number, column) for number, values in table
                for column, value in enumerate(values) if isinstance(value, _Computed)}
    if formulas:
        book = _open(content, data_only=True)
        try:
            for number, cells in enumerate(book.worksheets[at].iter_rows(), start=1):
                for column, cell in enumerate(cells):
                    if (number, column) in formulas and cell.value is not None:
                        table[number - 1][1][column] = _shown(cell)
        finally:
            book.close()
    return [(number, [Formula(value.text) if isinstance(value, _Computed) else value
                      for value in values]) for number, values in table]


@dataclass(frozen=True)
class _Computed(Formula):
    """A formula cell, before its value (if the file holds one) is read."""


def _shown(cell: Any) -> Any:
    """A cell's value as the sheet shows it (see the module's docstring)."""
    value = cell.value
    if value is None:
        return None
    if cell.data_type == "f":
        return _Computed(str(getattr(value, "text", value)))
    if isinstance(value, str):
        if value.startswith("=") and not cell.style_array.quotePrefix:
            return Formula(value)
        return unescape(value)
    format_id = cell.style_array.numFmtId
    if format_id in CHINESE_DATE_FORMATS and isinstance(value, (int, float)) \
            and not isinstance(value, bool) and EXCEL_SERIALS[0] <= value < EXCEL_SERIALS[1]:
        value = from_excel(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return _date_shown(value, CHINESE_DATE_FORMATS.get(format_id)
                           or _format_precision(cell.number_format))
    return value


def _format_precision(number_format: str | None) -> str:
    """How much of a date a number format shows: day, month (yyyy"年"m"月", mmm-yy) or
    year (yyyy)."""
    if not is_date_format(number_format):
        return births.DAY
    shown = FORMAT_NOISE.sub("", (number_format or "").split(";")[0]).lower()
    if "d" in shown:
        return births.DAY
    if "m" in shown:
        return births.MONTH
    return births.YEAR if "y" in shown or "e" in shown else births.DAY


def _date_shown(value: dt.date, shown: str) -> Any:
    """A date cell: the date itself, or the text of the year-month or year it shows when
    that is all it was given (the 1st of the month, or 1 January). A date whose format
    hides a day the file does hold keeps that day."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if shown == births.MONTH and day.day == 1 \
            or shown == births.YEAR and (day.month, day.day) == (1, 1):
        return births.written(day, shown)
    return value


def _csv(content: bytes) -> Table:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK")
    # a CSV has no formulas, only text: one starting with "=" is a formula as Excel opens it
    return [(number, [Formula(value) if value.startswith("=") else value for value in values])
            for number, values in enumerate(csv.reader(io.StringIO(text, newline="")),
                                            start=1)]
