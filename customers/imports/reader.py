"""Reading one spreadsheet row: ``ParsedRow`` (its cleaned values and errors) and ``RowReader``,
which parses each mapped cell by its field's kind."""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm_site.messaging.phone import normalize_phone
from crm_site.messaging.services import normalize_address
from crm_site.models import Channel
from crm_site.text import normalize_digits, normalize_text, search_key
from customers.imports.fields import CHOICES, IMPORT_FIELDS_BY_NAME
from customers.imports.workbook import cell_text, is_blank
from customers.models import Customer, CustomerGroup, Source, Tag

_CHOICE_EXTRAS = {"kind": {"organization": "organisation", "company": "organisation", "individual": "person"}}
# Text cleaned like the services clean it (Persian letters and digits, single spaces).
_NORMALISED_TEXT = {"first_name", "last_name", "name", "city", "region", "occupation"}
_CONTACT_SPLIT = re.compile(r"[,;،؛\n]+")
_GROUP_SPLIT = re.compile(r"[;؛\n]+")
_TAG_SPLIT = re.compile(r"[,;،؛\n]+")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_TRUE = {"yes", "y", "true", "1", "on", "x", "بله", "بلی", "آری", "اره", "آره", "دارد"}
_FALSE = {"no", "n", "false", "0", "off", "خیر", "نه", "ندارد"}


@dataclass
class ParsedRow:
    """One data row: the cleaned values of its mapped, non-blank cells, and what was wrong."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)  # Customer attribute -> value
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    match_id: int | None = None  # the existing customer this row updates
    matched_by: str = ""
    blocked: bool = False  # matches a customer the user may not change
    duplicates: list[dict] = field(default_factory=list)
    match_code: str = ""  # the matched customer's code and name, for the preview
    match_name: str = ""

    @property
    def is_valid(self) -> bool:
        return not self.errors


class RowReader:
    """Turns spreadsheet rows into ParsedRows, using lookups (sources, groups, choices) read once."""

    def __init__(self, *, headers: Sequence[str], mapping: Sequence[str]):
        self.columns = [(index, IMPORT_FIELDS_BY_NAME[name]) for index, name in enumerate(mapping) if name]
        self.header_of = {name: headers[index] for index, name in enumerate(mapping) if name}
        self.choices = {name: self._choice_lookup(name, choices) for name, choices in CHOICES.items()}
        self.sources = {search_key(name): pk for pk, name in Source.objects.values_list("pk", "name")}
        self.groups_by_name: dict[str, list[int]] = {}
        self.groups_by_path: dict[str, int] = {}
        groups = list(CustomerGroup.objects.values_list("pk", "name", "path"))
        names = {pk: name for pk, name, _path in groups}
        for pk, name, path in groups:
            self.groups_by_name.setdefault(search_key(name), []).append(pk)
            trail = [names.get(int(part), "") for part in path.strip("/").split("/") if part.isdigit()]
            self.groups_by_path[">".join(search_key(part) for part in trail)] = pk
        self.today = timezone.localdate()

    @staticmethod
    def _choice_lookup(name: str, choices: type[models.TextChoices]) -> dict[str, str]:
        lookup = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                for value, label in choices.choices:
                    lookup[search_key(str(label))] = value
        for value in choices.values:
            lookup[search_key(value)] = value
            lookup[search_key(value.replace("_", " ").replace("-", " "))] = value
        lookup.update(_CHOICE_EXTRAS.get(name, {}))
        return lookup

    def error(self, row: ParsedRow, name: str, value: Any, message: str) -> None:
        import_field = IMPORT_FIELDS_BY_NAME.get(name)
        row.errors.append(
            {
                "row": row.number,
                "field": name,
                "label": str(import_field.label) if import_field else name,
                "column": self.header_of.get(name, ""),
                "value": cell_text(value)[:100],
                "message": str(message),
            }
        )

    def read(self, number: int, cells: tuple) -> ParsedRow:
        row = ParsedRow(number=number)
        for index, import_field in self.columns:
            raw = cells[index] if index < len(cells) else None
            if is_blank(raw):
                continue
            try:
                getattr(self, f"_read_{import_field.kind}")(row, import_field.name, raw)
            except ValidationError as error:
                self.error(row, import_field.name, raw, error.messages[0])
        return row

    # Each reader stores what it read on the row, or raises ValidationError with the reason.

    def _store(self, row: ParsedRow, name: str, value: Any) -> None:
        """A scalar Customer field, checked against the model's own limits (length, digits)."""
        Customer._meta.get_field(name).clean(value, None)
        row.values[name] = value

    def _read_text(self, row: ParsedRow, name: str, raw: Any) -> None:
        text = cell_text(raw)
        self._store(row, name, normalize_text(text) if name in _NORMALISED_TEXT else text)

    def _read_code(self, row: ParsedRow, name: str, raw: Any) -> None:
        self._store(row, name, normalize_digits(cell_text(raw)))

    def _read_digits(self, row: ParsedRow, name: str, raw: Any) -> None:
        self._store(row, name, normalize_digits(cell_text(raw)).replace(" ", ""))

    def _read_choice(self, row: ParsedRow, name: str, raw: Any) -> None:
        value = self.choices[name].get(search_key(cell_text(raw)))
        if value is None:
            choices = CHOICES[name]
            if len(choices.choices) > 8:
                raise ValidationError(
                    _("Unknown value “%(value)s”; the Columns sheet of the template lists the accepted ones.")
                    % {"value": cell_text(raw)}
                )
            raise ValidationError(
                _("Unknown value “%(value)s”; use one of: %(allowed)s.")
                % {"value": cell_text(raw), "allowed": ", ".join(str(label) for label in choices.labels)}
            )
        row.values[name] = value

    def _read_phones(self, row: ParsedRow, name: str, raw: Any) -> None:
        for part in _CONTACT_SPLIT.split(cell_text(raw)):
            if not part.strip():
                continue
            try:
                number = normalize_phone(part)
            except ValidationError:
                raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": part.strip()}) from None
            if number not in row.phones:
                row.phones.append(number)

    def _read_emails(self, row: ParsedRow, name: str, raw: Any) -> None:
        for part in _CONTACT_SPLIT.split(cell_text(raw)):
            if not part.strip():
                continue
            try:
                address = normalize_address(channel=Channel.EMAIL, address=part)
            except ValidationError:
                raise ValidationError(
                    _("“%(value)s” is not a valid email address.") % {"value": part.strip()}
                ) from None
            if address not in row.emails:
                row.emails.append(address)

    def _read_source(self, row: ParsedRow, name: str, raw: Any) -> None:
        pk = self.sources.get(search_key(cell_text(raw)))
        if pk is None:
            raise ValidationError(_("There is no source named “%(value)s”.") % {"value": cell_text(raw)})
        row.values["source_id"] = pk

    def _read_groups(self, row: ParsedRow, name: str, raw: Any) -> None:
        for part in _GROUP_SPLIT.split(cell_text(raw)):
            text = part.strip()
            if not text:
                continue
            if ">" in text:
                pk = self.groups_by_path.get(">".join(search_key(piece) for piece in text.split(">")))
                found = [pk] if pk else []
            else:
                found = self.groups_by_name.get(search_key(text), [])
            if not found:
                raise ValidationError(_("There is no customer group named “%(value)s”.") % {"value": text})
            if len(found) > 1:
                raise ValidationError(
                    _("Several groups are named “%(value)s”; write the full path, e.g. Parent > %(value)s.")
                    % {"value": text}
                )
            if found[0] not in row.group_ids:
                row.group_ids.append(found[0])

    def _read_tags(self, row: ParsedRow, name: str, raw: Any) -> None:
        keys = {search_key(tag) for tag in row.tag_names}
        max_length = Tag._meta.get_field("name").max_length
        for part in _TAG_SPLIT.split(cell_text(raw)):
            tag = normalize_text(part)
            if not tag or search_key(tag) in keys:
                continue
            if len(tag) > max_length:
                raise ValidationError(
                    _("The tag “%(value)s” is longer than %(max)s characters.") % {"value": tag, "max": max_length}
                )
            keys.add(search_key(tag))
            row.tag_names.append(tag)

    def _read_date(self, row: ParsedRow, name: str, raw: Any) -> None:
        if isinstance(raw, datetime):
            value = raw.date()
        elif isinstance(raw, date):
            value = raw
        else:
            text = normalize_digits(cell_text(raw))
            match = _ISO_DATE.fullmatch(text)
            try:
                value = date(*(int(part) for part in match.groups())) if match else None
            except ValueError:
                value = None
            if value is None:
                raise ValidationError(_("“%(value)s” is not a date; write it as yyyy-mm-dd.") % {"value": text})
        if 1200 <= value.year < 1500:
            raise ValidationError(
                _("%(value)s looks like a Persian (Jalali) date; write the Gregorian date as yyyy-mm-dd.")
                % {"value": value.isoformat()}
            )
        if value.year < 1900:
            raise ValidationError(_("%(value)s is not a plausible date.") % {"value": value.isoformat()})
        if value > self.today:
            raise ValidationError(_("A birth date cannot be in the future."))
        self._store(row, name, value)

    def _read_bool(self, row: ParsedRow, name: str, raw: Any) -> None:
        if isinstance(raw, bool):
            row.values[name] = raw
            return
        text = search_key(normalize_digits(cell_text(raw)))
        if text in _TRUE:
            row.values[name] = True
        elif text in _FALSE:
            row.values[name] = False
        else:
            raise ValidationError(_("Write yes or no (not “%(value)s”).") % {"value": cell_text(raw)})

    def _read_decimal(self, row: ParsedRow, name: str, raw: Any) -> None:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            text = repr(raw) if isinstance(raw, float) else str(raw)
        else:
            text = normalize_digits(cell_text(raw)).replace("٫", ".")
            text = re.sub(r"[\s,٬_']", "", text)
        try:
            value = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            raise ValidationError(_("“%(value)s” is not a number.") % {"value": cell_text(raw)}) from None
        if value < 0:
            raise ValidationError(_("The amount cannot be negative."))
        self._store(row, name, value)


def compose_name(kind: str, first_name: str, last_name: str, name: str) -> str:
    """A person's name comes from first and last name when given (as in the services)."""
    if kind == Customer.Kind.PERSON and (first_name or last_name):
        return f"{first_name} {last_name}".strip()
    return name
