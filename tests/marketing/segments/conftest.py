"""Helpers for the segment tests."""

from io import BytesIO

from openpyxl import Workbook


def workbook_bytes(rows: list[list]) -> BytesIO:
    """An .xlsx with a heading row and ``rows`` below it, as an uploaded file would be."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Customer"])
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "list.xlsx"
    return buffer
