"""Excel import of the product catalogue: validate every row, then write all of them or none.

The file is read with openpyxl in read-only mode and handled within the request, which is quick
up to ``IMPORT_MAX_ROWS`` rows (a few seconds); larger files are refused with a clear message.
Rows are matched to existing products by SKU, so importing a file again updates rather than
duplicates. Categories are given by their path ("Appliances > Kitchen"); missing ones are created.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import load_workbook
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm_site.models import User
from crm_site.text import normalize_digits, normalize_text, search_key
from sales.models import Product, ProductCategory
from sales.selectors.catalog import COLUMNS, category_trails
from sales.services.catalog import category_save, product_prepare

# Synchronous within the request: about 5,000 rows validate and save in a few seconds.
IMPORT_MAX_ROWS = 5000
IMPORT_MAX_BYTES = 5 * 1024 * 1024
BATCH_SIZE = 500
REQUIRED = ("sku", "name", "list_price")
UPDATED_FIELDS = [
    "name",
    "category",
    "brand",
    "colour",
    "size",
    "list_price",
    "unit_cost",
    "tax_rate",
    "is_active",
    "search_text",
    "updated_at",
]
# Other spellings accepted in a header row, besides each column's English and translated header.
_ALIASES = {"color": "colour", "price": "list_price", "cost": "unit_cost", "tax": "tax_rate", "vat": "tax_rate"}
_TRUE = {"yes", "y", "true", "1", "on", "x", "active", "بله", "فعال"}
_FALSE = {"no", "n", "false", "0", "off", "inactive", "خیر", "نه", "غیرفعال"}
_CATEGORY_SPLIT = (">", "›")


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet's row number, as Excel shows it
    column: str
    message: str


class ImportRejected(ValidationError):
    """The file had bad rows: nothing was written. ``row_errors`` lists them in row order."""

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        super().__init__(
            [_("Row %(row)s: %(message)s") % {"row": e.row, "message": e.message} for e in row_errors],
            code="rows",
        )


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    categories_created: int


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    category_trail: tuple[str, ...] = ()


# --- reading ----------------------------------------------------------------------------------


def _header_lookup() -> dict[str, str]:
    lookup = {search_key(alias): key for alias, key in _ALIASES.items()}
    for column in COLUMNS:
        lookup[search_key(str(column.header))] = column.key
        with override("en"):
            lookup[search_key(str(column.header))] = column.key
    return lookup


def _rows(handle: IO[bytes]) -> Iterator[tuple[int, tuple]]:
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        raise ValidationError(
            _("This file could not be read as an Excel workbook. Save it as .xlsx and upload it again."),
            code="unreadable",
        ) from None
    try:
        if not workbook.worksheets:
            return
        for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
            if any(value is not None and str(value).strip() for value in values):
                yield number, values
    finally:
        workbook.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return normalize_text(str(value))


def _decimal(value: Any, *, maximum: Decimal | None = None) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        value = repr(value)
    text = normalize_digits(str(value)).replace(",", "").replace("٬", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite() or number < 0 or (maximum is not None and number > maximum):
        raise ValueError
    return number.quantize(Decimal("0.01"))


def _boolean(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    if isinstance(value, bool):
        return value
    key = search_key(_text(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError


def _read(handle: IO[bytes]) -> tuple[list[_Row], list[RowError]]:
    """Parse the sheet into typed rows and the errors of type and presence."""
    headers = _header_lookup()
    rows: list[_Row] = []
    errors: list[RowError] = []
    labels = {column.key: str(column.header) for column in COLUMNS}
    stream = _rows(handle)
    first = next(stream, None)
    if first is None:
        raise ValidationError(_("The file has no rows. Download the template and fill it in."), code="empty")
    header_row, header_values = first
    columns = {}
    for index, value in enumerate(header_values):
        key = headers.get(search_key(_text(value)))
        if key and key not in columns:
            columns[key] = index
    missing = [labels[key] for key in REQUIRED if key not in columns]
    if missing:
        raise ValidationError(
            _("Row %(row)s must hold the column headers; missing: %(columns)s.")
            % {"row": header_row, "columns": ", ".join(missing)},
            code="headers",
        )
    for number, values in islice(stream, IMPORT_MAX_ROWS + 1):
        if len(rows) >= IMPORT_MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(limit)s products. Split it into files of at most %(limit)s rows.")
                % {"limit": IMPORT_MAX_ROWS},
                code="too_many_rows",
            )
        cells = {key: values[index] if index < len(values) else None for key, index in columns.items()}
        row = _Row(number=number, values={})
        for key in ("sku", "name", "brand", "colour", "size"):
            row.values[key] = _text(cells.get(key))
        for key in REQUIRED:
            if not _text(cells.get(key)):
                errors.append(RowError(number, labels[key], _("This value is required.")))
        for key, maximum in (("list_price", None), ("unit_cost", None), ("tax_rate", Decimal(100))):
            raw = cells.get(key)
            if not _text(raw):
                row.values[key] = Decimal(0)  # blank: "required" was reported above for the price
                continue
            try:
                row.values[key] = _decimal(raw, maximum=maximum)
            except ValueError:
                message = (
                    _("Enter a rate between 0 and 100.") if key == "tax_rate" else _("Enter a number of 0 or more.")
                )
                errors.append(RowError(number, labels[key], message))
        try:
            row.values["is_active"] = _boolean(cells.get("is_active"))
        except ValueError:
            errors.append(RowError(number, labels["is_active"], _('Enter "yes" or "no".')))
        trail = _text(cells.get("category"))
        for mark in _CATEGORY_SPLIT[1:]:
            trail = trail.replace(mark, _CATEGORY_SPLIT[0])
        row.category_trail = tuple(normalize_text(part) for part in trail.split(_CATEGORY_SPLIT[0]) if part.strip())
        if any(len(part) > ProductCategory._meta.get_field("name").max_length for part in row.category_trail):
            errors.append(RowError(number, labels["category"], _("A category name is too long.")))
        rows.append(row)
    return rows, errors


# --- validating and writing -------------------------------------------------------------------


def _existing_products(skus: list[str]) -> dict[str, Product]:
    found = {}
    for start in range(0, len(skus), BATCH_SIZE):
        for product in Product.objects.filter(sku__in=skus[start : start + BATCH_SIZE]):
            found[product.sku] = product
    return found


def _field_errors(number: int, error: ValidationError, labels: dict[str, str]) -> list[RowError]:
    return [
        RowError(number, labels.get(field, ""), " ".join(messages)) for field, messages in error.message_dict.items()
    ]


def _changed(product: Product, before: dict[str, Any]) -> bool:
    return any(getattr(product, name) != value for name, value in before.items())


@transaction.atomic
def product_import(*, handle: IO[bytes], user: User | None = None) -> ImportResult:
    """Import the workbook in ``handle``. Raises ImportRejected (listing every bad row) or
    ValidationError (a file-level problem) and then writes nothing."""
    rows, errors = _read(handle)
    labels = {column.key: str(column.header) for column in COLUMNS}
    first_row_of: dict[str, int] = {}
    for row in rows:
        sku = row.values["sku"]
        if sku and sku in first_row_of:
            errors.append(
                RowError(row.number, labels["sku"], _("This SKU is also on row %(row)s.") % {"row": first_row_of[sku]})
            )
        first_row_of.setdefault(sku, row.number)
    reported: dict[int, set[str]] = defaultdict(set)
    for error in errors:
        reported[error.row].add(error.column)
    existing = _existing_products([row.values["sku"] for row in rows if row.values["sku"]])
    trails = {tuple(search_key(part) for part in trail.split(" > ")): pk for pk, trail in category_trails().items()}
    compared = [name for name in UPDATED_FIELDS if name not in ("category", "search_text", "updated_at")]
    planned: list[tuple[_Row, Product, dict[str, Any] | None]] = []
    for row in rows:
        product = existing.get(row.values["sku"])
        before = {name: getattr(product, name) for name in compared} if product else None
        if before is not None:
            before["category_id"] = product.category_id
        product = product or Product()
        for name, value in row.values.items():
            setattr(product, name, value)
        product_prepare(product)
        try:
            # Uniqueness was checked above against the file and the catalogue in bulk; the
            # category may not exist yet.
            product.full_clean(exclude=["category"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            # A cell already reported as missing or unreadable is not reported twice.
            errors.extend(e for e in _field_errors(row.number, error, labels) if e.column not in reported[row.number])
        planned.append((row, product, before))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))

    categories_created = 0
    keys_of = {}
    for row, _product, _before in planned:
        for depth in range(1, len(row.category_trail) + 1):
            key = tuple(search_key(part) for part in row.category_trail[:depth])
            keys_of[key] = row.category_trail[:depth]
    for key in sorted(keys_of, key=len):
        if key not in trails:
            parent_id = trails.get(key[:-1]) if len(key) > 1 else None
            category = category_save(category=ProductCategory(name=keys_of[key][-1], parent_id=parent_id))
            trails[key] = category.pk
            categories_created += 1

    now = timezone.now()
    new, changed, unchanged = [], [], 0
    for row, product, before in planned:
        product.category_id = trails.get(tuple(search_key(part) for part in row.category_trail))
        if before is None:
            new.append(product)
        elif _changed(product, before) or product.category_id != before["category_id"]:
            product.updated_at = now
            changed.append(product)
        else:
            unchanged += 1
    if new:
        bulk_create_with_history(new, Product, batch_size=BATCH_SIZE, default_date=now, default_user=user)
    if changed:
        bulk_update_with_history(
            changed, Product, fields=UPDATED_FIELDS, batch_size=BATCH_SIZE, default_date=now, default_user=user
        )
    return ImportResult(
        created=len(new), updated=len(changed), unchanged=unchanged, categories_created=categories_created
    )
