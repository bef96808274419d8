"""The one rule for every exported spreadsheet: text that starts like a formula is kept as
text (OWASP CSV injection), everything else is written as it is."""
import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from services.shared.spreadsheets import append_row, formula_like

RISKY = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1+1"]
PLAIN = ["张老伯", "1+1", "13800000001", "(未定)", ""]


def test_only_text_starting_like_a_formula_is_formula_like():
    assert all(formula_like(text) for text in RISKY)
    assert not any(formula_like(value) for value in [*PLAIN, -2, 3.5, None])


def test_a_row_keeps_risky_text_as_text_and_the_rest_as_it_was():
    book = Workbook()
    append_row(book.active, [*RISKY, *PLAIN, -2, dt.date(1941, 11, 26), None])
    content = io.BytesIO()
    book.save(content)

    cells = list(load_workbook(io.BytesIO(content.getvalue())).active[1])
    risky, plain = cells[:len(RISKY)], cells[len(RISKY):]
    # read back as written (XML reads a carriage return as a line feed)
    assert [cell.value for cell in risky] == [text.replace("\r", "\n") for text in RISKY]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in risky)
    assert not any(cell.quotePrefix for cell in plain)
    assert plain[len(PLAIN)].value == -2 and plain[len(PLAIN)].data_type == "n"
