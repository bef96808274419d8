"""Rows of the spreadsheets that leave the system (the register's export and template, the
ledger's indicators workbook): text a resident or a caller typed must reach Excel as text.

A name such as ``=HYPERLINK("http://x","y")`` written as it is would be a live formula in
the exported file (OWASP "CSV injection"). Text starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is therefore written as an explicit string cell with Excel's
quote prefix, the mark Excel itself keeps for text typed after a leading ``'``: shown as
typed, never evaluated, not even after the cell is edited, and read back unchanged (so
importing an exported register changes nothing).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: object) -> bool:
    """Whether a spreadsheet would read ``value`` as a formula if it were written as is."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def append_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    """Append ``values`` as the next row of ``sheet``, formula-like text as literal text.
    Every row of an exported workbook is written through here."""
    sheet.append(list(values))
    for column, value in enumerate(values, start=1):
        if formula_like(value):
            cell = sheet.cell(sheet.max_row, column)
            cell.data_type = "s"  # openpyxl took the leading "=" for a formula
            cell.quotePrefix = True
