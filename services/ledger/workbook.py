"""The indicators as an Excel workbook, for supervisors who report in Excel: a sheet of
figures with Chinese headers and a sheet that defines them. No I/O: bytes in memory."""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.ledger.indicators import COUNT, FIGURES, HOURS, RATE
from services.shared.spreadsheets import append_row
from services.shared.words import CATEGORY_WORDS, GROUP_WORDS, INTERVAL_WORDS

FIGURES_SHEET = "指标"
DEFINITIONS_SHEET = "指标说明"
NUMBER_FORMATS = {COUNT: "0", RATE: "0.0%", HOURS: "0.0"}
DATE_FORMAT = "yyyy-mm-dd"
UNKNOWN = "(未定)"
TOTAL = "合计"


def filename(answer: dict) -> str:
    """The workbook's file name: the period's first and last day."""
    period = answer["period"]
    return f"indicators_{period['first_day']}_{period['last_day']}.xlsx"


def _label_columns(answer: dict) -> list[tuple[str, Callable[[dict], Any]]]:
    """(header, value of a row) for the columns that say which group a row is."""
    columns: list = []
    interval = answer.get("interval")
    if interval:
        columns.append((INTERVAL_WORDS[interval], lambda row: dt.date.fromisoformat(row[interval])))
    for group in answer.get("group_by") or []:
        if group == "unit":
            columns.append((GROUP_WORDS[group], lambda row: row.get("unit_name")
                            or row.get("unit_id") or UNKNOWN))
            columns.append(("单位代码", lambda row: row.get("unit_id") or ""))
        elif group == "assignee":
            columns.append((GROUP_WORDS[group], lambda row: row.get("assignee_name")
                            or row.get("assignee") or "未指派"))
            columns.append(("账号", lambda row: row.get("assignee") or ""))
        elif group == "category":
            columns.append((GROUP_WORDS[group], lambda row: CATEGORY_WORDS.get(
                row["category"], row["category"] or UNKNOWN)))
        else:
            columns.append((GROUP_WORDS[group], lambda row, g=group: row[g] or UNKNOWN))
    return columns or [("范围", lambda row: "全部")]


def indicators_workbook(answer: dict) -> bytes:
    """The .xlsx of an ``indicators`` answer: sheet 指标 (one row per group, then 合计
    when grouped) and sheet 指标说明 (the period, the grouping, each figure's definition)."""
    book = Workbook()
    sheet = book.active
    sheet.title = FIGURES_SHEET
    labels = _label_columns(answer)
    append_row(sheet, [header for header, _ in labels] + [figure.header for figure in FIGURES])
    grouped = bool(answer.get("group_by") or answer.get("interval"))
    rows = [(row, [value(row) for _, value in labels]) for row in answer["rows"]]
    if grouped:
        rows.append((answer["totals"], [TOTAL] + [None] * (len(labels) - 1)))
    for row, label_values in rows:
        append_row(sheet, label_values + [row.get(figure.name) for figure in FIGURES])
        for column, figure in enumerate(FIGURES, start=len(labels) + 1):
            sheet.cell(sheet.max_row, column).number_format = NUMBER_FORMATS[figure.kind]
        for column, value in enumerate(label_values, start=1):
            if isinstance(value, dt.date):
                sheet.cell(sheet.max_row, column).number_format = DATE_FORMAT
    if grouped:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    _header_style(sheet)
    for column, (header, _) in enumerate(labels, start=1):
        wide = header == GROUP_WORDS["unit"]  # unit names are long
        sheet.column_dimensions[get_column_letter(column)].width = 24 if wide else 14
    for column, figure in enumerate(FIGURES, start=len(labels) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = max(10, len(figure.header) * 2)
    sheet.freeze_panes = sheet.cell(2, len(labels) + 1)

    _definitions(book.create_sheet(DEFINITIONS_SHEET), answer)
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def _header_style(sheet) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _definitions(sheet, answer: dict) -> None:
    period = answer["period"]
    grouping = "、".join(GROUP_WORDS[group] for group in answer.get("group_by") or []) or "不分组"
    interval = {"day": "按日", "week": "按周(周一至周日)"}.get(answer.get("interval") or "",
                                                             "整个期间")
    append_row(sheet, ["统计期间", f"{period['first_day']} 至 {period['last_day']}"
                                   " (上海时间, 含首尾两日)"])
    append_row(sheet, ["分组", grouping])
    append_row(sheet, ["时间", interval])
    append_row(sheet, [])
    append_row(sheet, ["指标", "字段", "说明"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for figure in FIGURES:
        append_row(sheet, [figure.header, figure.name, figure.definition])
        sheet.cell(sheet.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 26
    sheet.column_dimensions["C"].width = 80
