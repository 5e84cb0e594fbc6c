"""Leads in and out of Excel: the import (validate every row first, then write all or nothing
through ``lead_create`` so that rules and scores apply), its template, and the list export."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from crm_site.messaging.phone import normalize_phone
from crm_site.models import User
from crm_site.text import normalize_text, search_key
from crm_site.xlsx import XlsxWriter
from customers.geography import Province
from customers.models import Source
from sales.models import Lead
from sales.services.leads import lead_create

# Synchronous import: a file this size validates and imports within a request (about a second
# per few hundred rows, each going through the rules and the score). Larger files: split them.
IMPORT_MAX_ROWS = 1000
IMPORT_COLUMNS: list[tuple[str, Any]] = [
    ("name", gettext_lazy("Name")),
    ("company", gettext_lazy("Company")),
    ("phone", gettext_lazy("Phone")),
    ("email", gettext_lazy("Email")),
    ("province", gettext_lazy("Province")),
    ("city", gettext_lazy("City")),
    ("source", gettext_lazy("Source")),
    ("interest", gettext_lazy("Interest")),
    ("estimated_value", gettext_lazy("Estimated value")),
]
EXPORT_COLUMNS: list[tuple[str, Any]] = [
    *IMPORT_COLUMNS,
    ("status", gettext_lazy("Status")),
    ("score", gettext_lazy("Score")),
    ("owner", gettext_lazy("Owner")),
    ("campaign", gettext_lazy("Campaign")),
    ("channel", gettext_lazy("Arrived by")),
    ("created_at", gettext_lazy("Created at")),
]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ImportRow:
    number: int  # the spreadsheet's row number, as Excel shows it
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class LeadImportError(ValidationError):
    """The file was read but some rows are wrong; ``rows`` carries every row's errors."""

    def __init__(self, rows: list[ImportRow]):
        self.rows = rows
        bad = [row for row in rows if row.errors]
        super().__init__(_("%(count)s rows have errors; nothing was imported.") % {"count": len(bad)})


def _labels_by_key() -> dict[str, str]:
    """Header text (any language, any case) -> field name."""
    lookup = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for name, label in IMPORT_COLUMNS:
                lookup[search_key(str(label))] = name
    for name, _label in IMPORT_COLUMNS:
        lookup[search_key(name)] = name
        lookup[search_key(name.replace("_", " "))] = name
    return lookup


def _provinces_by_key() -> dict[str, str]:
    lookup = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in Province.choices:
                lookup[search_key(str(label))] = value
    lookup.update({search_key(value): value for value in Province.values})
    return lookup


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalize_text(str(value))


class _RowParser:
    def __init__(self):
        self.provinces = _provinces_by_key()
        self.sources = {search_key(source.name): source for source in Source.objects.all()}

    def parse(self, number: int, cells: dict[str, Any]) -> ImportRow:
        row = ImportRow(number=number)
        values = {name: _text(cells.get(name)) for name, _label in IMPORT_COLUMNS}
        if not values["name"]:
            row.errors.append(_("Name: required."))
        if values["phone"]:
            try:
                values["phone"] = normalize_phone(values["phone"])
            except ValidationError:
                row.errors.append(_("Phone: %(value)s is not a valid phone number.") % {"value": values["phone"]})
        if values["email"]:
            values["email"] = values["email"].lower()
            try:
                validate_email(values["email"])
            except ValidationError:
                row.errors.append(_("Email: %(value)s is not a valid address.") % {"value": values["email"]})
        if not values["phone"] and not values["email"]:
            row.errors.append(_("Give a phone number or an email address."))
        if values["province"]:
            province = self.provinces.get(search_key(values["province"]))
            if province is None:
                row.errors.append(_("Province: %(value)s is unknown.") % {"value": values["province"]})
            values["province"] = province or ""
        source_name = values.pop("source")
        values["source"] = None
        if source_name:
            values["source"] = self.sources.get(search_key(source_name))
            if values["source"] is None:
                row.errors.append(_("Source: %(value)s is not in the list of sources.") % {"value": source_name})
        values["estimated_value"] = self._money(values["estimated_value"], row)
        if not row.errors:
            self._check_lengths(values, row)
        row.values = values
        return row

    @staticmethod
    def _money(text: str, row: ImportRow) -> Decimal | None:
        if not text:
            return None
        try:
            value = Decimal(text.replace(",", "").replace("٬", ""))
        except InvalidOperation:
            row.errors.append(_("Estimated value: %(value)s is not a number.") % {"value": text})
            return None
        if value < 0 or not value.is_finite():
            row.errors.append(_("Estimated value: must be zero or more."))
            return None
        return value.quantize(Decimal("0.01"))

    @staticmethod
    def _check_lengths(values: dict, row: ImportRow) -> None:
        lead = Lead(**values)
        try:
            lead.full_clean(exclude=["owner", "team", "created_by", "score", "status", "channel"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = Lead._meta.get_field(name).verbose_name if name != "__all__" else ""
                row.errors.extend(f"{label}: {message}" if label else message for message in messages)


def lead_import_read(*, handle: IO[bytes]) -> list[ImportRow]:
    """Read and validate every row of the first sheet (openpyxl read-only). Raises
    ValidationError when the file cannot be read, has no known column, or is too long."""
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        raise ValidationError(_("This file could not be read as an Excel workbook (.xlsx).")) from None
    try:
        rows_iter = workbook.worksheets[0].iter_rows(values_only=True) if workbook.worksheets else iter(())
        headers = next(rows_iter, None) or ()
        labels = _labels_by_key()
        columns = {index: labels.get(search_key(_text(header))) for index, header in enumerate(headers)}
        columns = {index: name for index, name in columns.items() if name}
        if "name" not in columns.values():
            raise ValidationError(_("The first row must hold the column headings, including Name."))
        parser = _RowParser()
        rows: list[ImportRow] = []
        for number, cells in enumerate(rows_iter, start=2):
            if all(value is None or str(value).strip() == "" for value in cells):
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                raise ValidationError(
                    _("The file has more than %(max)s rows; split it into smaller files.") % {"max": IMPORT_MAX_ROWS}
                )
            values = {name: cells[index] for index, name in columns.items() if index < len(cells)}
            rows.append(parser.parse(number, values))
    finally:
        workbook.close()
    if not rows:
        raise ValidationError(_("The file has no rows to import."))
    return rows


@transaction.atomic
def lead_import_rows(*, rows: list[ImportRow], created_by: User, owner: User | None = None) -> list[Lead]:
    """Create every row's lead through ``lead_create`` (assignment rules and scores apply), or
    none of them: a row with errors, found now or by the service, rolls the whole file back.
    With ``owner`` every lead goes to that user and the assignment rules are not used (a rep's
    import must not feed colleagues' queues)."""
    if any(row.errors for row in rows):
        raise LeadImportError(rows)
    leads = []
    for row in rows:
        try:
            with transaction.atomic():
                values = {**row.values, "owner": owner} if owner is not None else row.values
                leads.append(lead_create(created_by=created_by, channel=Lead.Channel.IMPORT, **values))
        except ValidationError as error:
            row.errors.extend(error.messages)
    if any(row.errors for row in rows):
        transaction.set_rollback(True)
        raise LeadImportError(rows)
    return leads


def lead_import_template(*, target: IO[bytes]) -> None:
    """The file to fill in: the headings and one example row."""
    with XlsxWriter(target, sheet_name=str(_("Leads")), headers=[str(label) for _n, label in IMPORT_COLUMNS]) as sheet:
        sheet.write_row(
            ["Sara Ahmadi", "Pars Trading", "0912 345 6789", "sara@example.com", "Tehran", "Tehran", "", "", 50000000]
        )


def leads_export_write(*, leads: Iterable[Lead], target: IO[bytes]) -> int:
    """Write ``leads`` (owner and source selected) as one sheet; returns the number of rows."""
    count = 0
    right_to_left = translation.get_language_bidi()
    headers = [str(label) for _name, label in EXPORT_COLUMNS]
    with XlsxWriter(target, sheet_name=str(_("Leads")), headers=headers, right_to_left=right_to_left) as sheet:
        for lead in leads:
            sheet.write_row(
                [
                    lead.name,
                    lead.company,
                    lead.phone,
                    lead.email,
                    lead.get_province_display() if lead.province else "",
                    lead.city,
                    lead.source.name if lead.source else "",
                    lead.interest,
                    lead.estimated_value,
                    lead.get_status_display(),
                    lead.score,
                    str(lead.owner) if lead.owner else "",
                    lead.campaign,
                    lead.get_channel_display(),
                    timezone.localtime(lead.created_at),
                ]
            )
            count += 1
    return count
