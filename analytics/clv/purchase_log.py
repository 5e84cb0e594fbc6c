"""Reading a raw purchase log from a file: one row per purchase (customer, date, amount).

Two families of format:

- ``cdnow``: the whitespace-separated files of the CDNOW data set. The master file has a header
  and four columns (customer_id, date, number_of_cds, dollar_value); the 1/10 sample has no header
  and five (master_id, sample_id, date, number_of_cds, dollar_value), and its customers are keyed
  by sample_id, the ID that the published summary uses.
- ``csv``: a generic export with customer, date and amount columns, comma, semicolon, tab or
  ``|`` separated. A first row that does not read as data is a header, whose names pick the
  columns (``customer``/``customer_id``/``id``, ``date``/``order_date``, ``amount``/``value``/
  ``total``... and their Persian names); without one the first three columns are taken in that
  order.

Dates are YYYY-MM-DD (or with ``/`` or ``.``) or YYYYMMDD, optionally followed by a time, which
is ignored. Persian and Arabic-Indic digits, and the Arabic decimal and thousands separators,
are read like ASCII ones. Customer keys that are all whole numbers become integers ("00004" is
customer 4); otherwise they stay strings.

Rows that cannot be read (a missing column, a bad date or amount) are skipped and their line
numbers reported, so one stray "Total" line does not reject an export; a file with no usable row
is an error. Messages are marked with ``gettext_noop`` (a local stand-in, this module does not
import Django) so that ``makemessages`` collects them and the command can show them translated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

__all__ = ["FORMATS", "PurchaseLog", "PurchaseLogError", "parse_amount", "parse_day", "read_purchase_log"]

FORMATS = ("auto", "csv", "cdnow")

# Persian and Arabic-Indic digits as ASCII; the Arabic decimal separator as a point, and the Arabic
# thousands separator dropped (as a comma it would split a CSV field).
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫", "0123456789" * 2 + ".", "٬")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_INTEGER = re.compile(r"\d+")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_CURRENCY = str.maketrans("", "", "$€£¥﷼\u00a0\u202f _'")
# Dates outside these years are typos or another calendar (a Solar Hijri 1403-01-15 would
# otherwise pass for a Gregorian date six centuries ago).
_YEARS = range(1900, 2200)

_HEADER_NAMES = {
    "customer": (
        "customer",
        "customer_id",
        "customerid",
        "customer_key",
        "customer_no",
        "customer_number",
        "client",
        "client_id",
        "id",
        "مشتری",
        "کد_مشتری",
        "شناسه_مشتری",
        "شماره_مشتری",
    ),
    "date": ("date", "day", "order_date", "purchase_date", "placed_at", "created_at", "created", "تاریخ"),
    "amount": (
        "amount",
        "value",
        "total",
        "dollar_value",
        "price",
        "revenue",
        "sales",
        "order_total",
        "مبلغ",
        "جمع",
        "مبلغ_کل",
    ),
}


def gettext_noop(message: str) -> str:
    """Marks a message for translation without translating it here (no Django in this package)."""
    return message


class PurchaseLogError(ValueError):
    """A log that cannot be read. ``template % params`` is the message; the command translates
    ``template`` first."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params)


@dataclass(frozen=True)
class PurchaseLog:
    """The purchases read from a file, one entry per usable row."""

    customers: np.ndarray  # int64 keys when every key is a whole number, else str
    days: np.ndarray  # datetime64[D]
    amounts: np.ndarray  # float64
    format: str  # "csv", "cdnow-master" or "cdnow-sample"
    skipped_lines: tuple[int, ...]  # 1-based line numbers of the rows that could not be read

    def __len__(self) -> int:
        return len(self.amounts)


def parse_day(text: str) -> np.datetime64 | None:
    """'1997-01-01', '1997/1/1', '19970101' or '1997-01-01 10:30' -> 1997-01-01; None if not a date."""
    text = text.strip().translate(_DIGITS)
    match = _COMPACT_DATE.fullmatch(text) or _ISO_DATE.match(text)
    if match is None or (match.end() < len(text) and text[match.end()] not in " T"):
        return None
    year, month, day = (int(part) for part in match.groups())
    if year not in _YEARS:
        return None
    try:
        return np.datetime64(dt.date(year, month, day), "D")
    except ValueError:
        return None


def parse_amount(text: str) -> float | None:
    """'12.5', '1,234.50', '12,5', '$12', '۱۲٫۵' -> a float; None if not a finite number.

    A lone comma followed by one or two digits is a decimal comma; commas in groups of three are
    thousands separators."""
    text = text.strip().translate(_DIGITS).translate(_CURRENCY)
    if "," in text:
        if _THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
        elif text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        else:
            return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def read_purchase_log(source: str | Path | TextIO, *, format: str = "auto") -> PurchaseLog:
    """Read a purchase log from a path or an open text file. ``format``: auto, csv or cdnow."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    text = _read_text(source).translate(_DIGITS)
    if not text.strip():
        raise PurchaseLogError(gettext_noop("The file is empty."))
    if format == "cdnow" or (format == "auto" and _looks_like_cdnow(text)):
        return _read_cdnow(text)
    return _read_csv(text)


def _read_text(source: str | Path | TextIO) -> str:
    if isinstance(source, str | Path):
        try:
            # utf-8-sig: spreadsheet programs start their CSV files with a byte-order mark.
            return Path(source).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise PurchaseLogError(gettext_noop("No such file: %(path)s"), path=str(source)) from None
        except IsADirectoryError:
            raise PurchaseLogError(gettext_noop("%(path)s is a folder, not a file."), path=str(source)) from None
        except UnicodeDecodeError:
            raise PurchaseLogError(
                gettext_noop("%(path)s is not a UTF-8 text file (save the export as CSV UTF-8)."), path=str(source)
            ) from None
        except OSError as error:
            raise PurchaseLogError(
                gettext_noop("Cannot read %(path)s: %(reason)s"), path=str(source), reason=error.strerror or error
            ) from None
    text = source.read()
    return text.removeprefix("\ufeff")


def _looks_like_cdnow(text: str) -> bool:
    """Space-separated numbers only, 4 or 5 to a row (after an optional header), the date (second
    or third) as YYYYMMDD: a CSV or a tab-separated export never looks like this."""
    lines = [line for line in text.splitlines()[:6] if line.strip()]
    data = lines[1:] if lines and not lines[0].split()[0].isdigit() else lines
    return bool(data) and all(
        not any(separator in line for separator in ",;\t|")
        and len(fields := line.split()) in (4, 5)
        and all(_is_number(field) for field in fields)
        and _COMPACT_DATE.fullmatch(fields[len(fields) - 3]) is not None
        for line in data
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_cdnow(text: str) -> PurchaseLog:
    lines = text.splitlines()
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    width = None
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if width is None:
            width = len(fields)
            if width not in (4, 5):
                raise PurchaseLogError(
                    gettext_noop(
                        "Line %(line)d has %(count)d columns; a CDNOW file has 4 (customer_id, date, "
                        "number_of_cds, dollar_value) or 5 (master_id, sample_id, date, number_of_cds, dollar_value)."
                    ),
                    line=number,
                    count=width,
                )
            if not fields[0].isdigit():
                continue  # the master file's header line
        rows.append(fields)
        line_numbers.append(number)
    # The sample file keys its customers by sample_id (column 2), as the published summary does.
    columns = (0, 1, 3) if width == 4 else (1, 2, 4)
    return _build(rows, line_numbers, columns, "cdnow-master" if width == 4 else "cdnow-sample")


def _read_csv(text: str) -> PurchaseLog:
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    for fields in reader:
        if any(field.strip() for field in fields):
            rows.append(fields)
            line_numbers.append(reader.line_num)
    if not rows:
        raise PurchaseLogError(gettext_noop("The file is empty."))
    columns = (0, 1, 2)
    first = rows[0]
    if not _is_data_row(first, columns):
        columns = _columns_from_header(first)
        rows, line_numbers = rows[1:], line_numbers[1:]
    elif len(first) < 3:
        raise PurchaseLogError(
            gettext_noop("Line %(line)d has %(count)d columns; expected customer, date and amount."),
            line=line_numbers[0],
            count=len(first),
        )
    return _build(rows, line_numbers, columns, "csv")


def _is_data_row(fields: list[str], columns: tuple[int, int, int]) -> bool:
    customer, date, amount = columns
    return (
        len(fields) > max(columns)
        and bool(fields[customer].strip())
        and parse_day(fields[date]) is not None
        and parse_amount(fields[amount]) is not None
    )


def _normalise_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold()).replace("\u200c", "_")


def _columns_from_header(header: list[str]) -> tuple[int, int, int]:
    names = [_normalise_name(name) for name in header]
    columns = []
    for role, aliases in _HEADER_NAMES.items():
        index = next((names.index(alias) for alias in aliases if alias in names), None)
        if index is None:
            if len(header) == 3:  # three unknown names: take them in the documented order
                return (0, 1, 2)
            raise PurchaseLogError(
                gettext_noop("No %(column)s column in the header (%(header)s); name it one of: %(names)s."),
                column=role,
                header=", ".join(header),
                names=", ".join(aliases[:6]),
            )
        columns.append(index)
    return tuple(columns)  # type: ignore[return-value]


def _build(rows: list[list[str]], line_numbers: list[int], columns: tuple[int, int, int], name: str) -> PurchaseLog:
    """Turn the text rows into arrays. Each distinct date and amount text is parsed once."""
    width = max(columns) + 1
    complete = np.array([len(fields) >= width for fields in rows], dtype=bool)
    blank = ("",) * width
    cells = np.array([fields[:width] if len(fields) >= width else blank for fields in rows], dtype=str)
    cells = cells.reshape(-1, width)[:, list(columns)]
    cells[:, 0] = np.char.strip(cells[:, 0])

    days = _parse_unique(cells[:, 1], parse_day, np.datetime64("NaT", "D"), "datetime64[D]")
    amounts = _parse_unique(cells[:, 2], parse_amount, np.nan, np.float64)
    keys = cells[:, 0]
    usable = complete & (keys != "") & ~np.isnat(days) & ~np.isnan(amounts)

    skipped = tuple(int(number) for number in np.asarray(line_numbers, dtype=np.int64)[~usable])
    if not usable.any():
        if line_numbers:
            first_bad = line_numbers[int(np.flatnonzero(~usable)[0])]
            raise PurchaseLogError(
                gettext_noop(
                    "No usable rows: none has a customer, a date (YYYY-MM-DD or YYYYMMDD) and an amount "
                    "(the first bad one is line %(line)d)."
                ),
                line=first_bad,
            )
        raise PurchaseLogError(gettext_noop("No usable rows: the file has a header but no data."))
    keys = keys[usable]
    if all(_INTEGER.fullmatch(key) and len(key) <= 18 for key in np.unique(keys)):  # 18 digits fit an int64
        keys = keys.astype(np.int64)
    return PurchaseLog(customers=keys, days=days[usable], amounts=amounts[usable], format=name, skipped_lines=skipped)


def _parse_unique(texts: np.ndarray, parse, missing, dtype) -> np.ndarray:
    unique, inverse = np.unique(texts, return_inverse=True)
    parsed = np.array([(value if (value := parse(text)) is not None else missing) for text in unique], dtype=dtype)
    return parsed[inverse] if len(texts) else np.zeros(0, dtype=dtype)
