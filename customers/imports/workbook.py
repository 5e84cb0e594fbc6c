"""The workbook itself: inspecting an upload, reading its rows, batching them, and the
downloadable template file."""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from io import BytesIO
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from crm_site.models import DataJob
from customers.imports import fields
from customers.imports.fields import CHOICES, IMPORT_FIELDS


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", dates as yyyy-mm-dd."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _unreadable() -> ValidationError:
    return ValidationError(
        _("This file could not be read as an Excel workbook. Save it as .xlsx and upload it again."),
        code="unreadable",
    )


def inspect_workbook(handle) -> tuple[list[str], int, list[list[str]]]:
    """The header row, the number of data rows and the first few of them.

    The rows are counted one by one, except in a large sheet that records its own size (Excel
    and LibreOffice write it): reading 50,000 rows would keep the upload waiting, and the
    validation step counts them exactly anyway.
    """
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        raise _unreadable() from None
    try:
        if not workbook.worksheets:
            raise _unreadable()
        sheet = workbook.worksheets[0]
        declared = (sheet.max_row or 0) - 1
        rows = sheet.iter_rows(values_only=True)
        headers = [cell_text(value) for value in next(rows, None) or ()]
        while headers and not headers[-1]:
            headers.pop()
        if not headers:
            raise ValidationError(
                _("The first row of the first sheet must hold the column headings."), code="no_headers"
            )
        if len(headers) > fields.IMPORT_MAX_COLUMNS:
            raise ValidationError(
                _("The file has %(count)s columns; at most %(max)s can be imported.")
                % {"count": len(headers), "max": fields.IMPORT_MAX_COLUMNS},
                code="too_wide",
            )
        headers = [
            header or _("Column %(letter)s") % {"letter": get_column_letter(index + 1)}
            for index, header in enumerate(headers)
        ]
        count, samples = 0, []
        for cells in rows:
            if all(is_blank(value) for value in cells):
                continue
            count += 1
            if len(samples) < fields.IMPORT_SAMPLE_ROWS:
                samples.append([cell_text(value)[:60] for value in cells[: len(headers)]])
            if declared > fields.IMPORT_SYNC_MAX_ROWS and len(samples) == fields.IMPORT_SAMPLE_ROWS:
                count = declared
                break
            if count > fields.IMPORT_MAX_ROWS:
                break
        if count > fields.IMPORT_MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(max)s rows; split it into smaller files.")
                % {"max": fields.IMPORT_MAX_ROWS},
                code="too_long",
            )
    except ValidationError:
        raise
    except Exception:
        raise _unreadable() from None
    finally:
        workbook.close()
    if not count:
        raise ValidationError(_("The file has headings but no rows below them."), code="empty")
    return headers, count, samples


def read_rows(job: DataJob) -> Iterator[tuple[int, tuple]]:
    """The non-blank data rows of the job's file, numbered as Excel numbers them (headings = 1)."""
    with job.input_file.open("rb") as handle:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
                if not all(is_blank(value) for value in cells):
                    yield number, cells
        finally:
            workbook.close()


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def import_template_workbook() -> bytes:
    """An .xlsx with the headings the import recognises, one example row, and a sheet that
    explains each column."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="0D6EFD")
    for index, import_field in enumerate(IMPORT_FIELDS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(str(import_field.label)) + 4)
    sheet.freeze_panes = "A2"
    headings = []
    for import_field in IMPORT_FIELDS:
        cell = WriteOnlyCell(sheet, value=str(import_field.label))
        cell.font, cell.fill = bold, fill
        headings.append(cell)
    sheet.append(headings)
    sheet.append([import_field.example for import_field in IMPORT_FIELDS])

    guide = workbook.create_sheet(_("Columns"))
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 70
    guide.column_dimensions["C"].width = 70
    guide.append([WriteOnlyCell(guide, value=str(text)) for text in (_("Column"), _("How to fill it"), _("Values"))])
    for import_field in IMPORT_FIELDS:
        choices = CHOICES.get(import_field.name)
        guide.append(
            [
                str(import_field.label),
                str(import_field.help_text),
                ", ".join(str(label) for label in choices.labels) if choices else "",
            ]
        )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
