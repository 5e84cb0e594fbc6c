"""The streaming .xlsx writer: what it writes reads back in openpyxl with the right types."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from crm_site.xlsx import XlsxWriter, column_letter


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def write(rows, **options) -> openpyxl.Workbook:
    target = io.BytesIO()
    with XlsxWriter(
        target, sheet_name="Customers & co", headers=["Name", "Count", "When", "Day", "OK"], **options
    ) as w:
        for row in rows:
            w.write_row(row)
    target.seek(0)
    return openpyxl.load_workbook(target)


def test_values_read_back_with_their_types():
    book = write(
        [
            ['<Ali> & "Sara"', 3, datetime(2026, 3, 21, 9, 30), date(1990, 1, 2), True],
            ['=HYPERLINK("http://evil")', Decimal("1234.50"), None, None, False],
            ["علی\x07 کریمی", 2.5, None, None, None],
        ]
    )
    sheet = book["Customers & co"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Name", "Count", "When", "Day", "OK")
    assert rows[1] == ('<Ali> & "Sara"', 3, datetime(2026, 3, 21, 9, 30), datetime(1990, 1, 2), True)
    # A formula typed into a field stays text.
    assert rows[2][0] == '=HYPERLINK("http://evil")' and sheet["A3"].data_type == "s"
    assert rows[2][1] == 1234.5 and rows[2][4] is False
    assert rows[3][:2] == ("علی کریمی", 2.5)  # the control character is dropped
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E4"


def test_right_to_left_sheets_and_widths():
    sheet = write([["x", 1, None, None, None]], right_to_left=True, widths=[30, 8, 16, 12, 6]).active
    assert sheet.sheet_view.rightToLeft
    assert sheet.column_dimensions["A"].width == 30


def test_an_empty_export_still_opens():
    sheet = write([]).active
    assert list(sheet.iter_rows(values_only=True)) == [("Name", "Count", "When", "Day", "OK")]
