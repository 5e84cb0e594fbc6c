"""Fast bulk inserts for generated data (the demo seed, benchmarks): rows in, no ORM per row.

``bulk_table(model)`` gives a table writer for the connection's database: ``CopyTable`` on
PostgreSQL with psycopg2 (``COPY ... FROM STDIN``), ``BulkTable`` elsewhere (multi-row INSERTs).
Both take rows as keyword arguments of the model's attribute names (``customer_id=...``), fill
every column not given with the model field's default, and write on ``flush()``, inside the
caller's transaction. ``BulkTables`` flushes several in order (parents before the rows that
point at them). Nothing here runs ``save()``, signals, ``full_clean()`` or ``auto_now``: callers
give complete, valid rows, and with ``with_pk=True`` their own primary keys (then reset the
sequences with ``sequences_reset`` afterwards).
"""

import io
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.core.management.color import no_style
from django.db import connection
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    IntegerField,
    JSONField,
    Model,
)

BATCH = 5000  # rows per bulk insert (SQLite splits further by its parameter limit)


def _fields(model: type[Model], with_pk: bool) -> list[Field]:
    return [item for item in model._meta.concrete_fields if with_pk or not item.primary_key]


class BulkTable:
    """Rows for one model's table, inserted without the ORM.

    At this volume Django's per-value preparation in ``bulk_create`` costs several times more
    than the database's own work, so rows are plain values: every column gets the model field's
    default unless given, and only dates, decimals and JSON go through the backend's adapters.
    """

    def __init__(self, model: type[Model], *, with_pk: bool = False) -> None:
        ops, quote = connection.ops, connection.ops.quote_name
        fields = _fields(model, with_pk)
        self.names = [item.attname for item in fields]
        self.positions = {name: position for position, name in enumerate(self.names)}
        self.defaults = [item.get_db_prep_save(item.get_default(), connection) for item in fields]
        self.adapters: list[Callable | None] = []
        for item in fields:
            if isinstance(item, DateTimeField):
                self.adapters.append(_datetime_adapter())
            elif isinstance(item, DateField):
                self.adapters.append(ops.adapt_datefield_value)
            elif isinstance(item, DecimalField):
                self.adapters.append(
                    partial(
                        ops.adapt_decimalfield_value, max_digits=item.max_digits, decimal_places=item.decimal_places
                    )
                )
            elif isinstance(item, JSONField):
                self.adapters.append(partial(item.get_db_prep_save, connection=connection))
            else:
                self.adapters.append(None)
        columns = ", ".join(quote(item.column) for item in fields)
        # Names from the model's own metadata, quoted; the values always go as parameters.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
        self.rows: list[list] = []

    def add(self, **values) -> None:
        row = self.defaults.copy()
        for name, value in values.items():
            position = self.positions[name]
            adapt = self.adapters[position]
            row[position] = value if adapt is None or value is None else adapt(value)
        self.rows.append(row)

    def flush(self) -> int:
        count = len(self.rows)
        placeholders = ", ".join(["%s"] * len(self.names))
        with connection.cursor() as cursor:
            for start in range(0, count, BATCH):
                cursor.executemany(f"{self.sql}({placeholders})", self.rows[start : start + BATCH])
        self.rows = []
        return count


def _datetime_adapter() -> Callable:
    if connection.vendor != "sqlite":
        return connection.ops.adapt_datetimefield_value
    database_zone = connection.timezone

    def adapt(value: datetime) -> str:
        # The backend's adapter without its checks: every value here is aware.
        return str(value.astimezone(database_zone).replace(tzinfo=None))

    return adapt


# --- PostgreSQL: COPY ----------------------------------------------------------------------------

# COPY's text format: one line per row, columns separated by tabs, NULL written \N; a backslash,
# tab, newline or carriage return inside a value is written with a backslash. Doubled
# backslashes also mean that no value can read as \N or as the end-of-data marker \.
COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_READ_SIZE = 1 << 20  # bytes psycopg2 reads from the buffer (and sends) at a time


def copy_text(value: object) -> str:
    """A value as COPY's text format writes it (not NULL: the caller writes COPY_NULL)."""
    text = value if isinstance(value, str) else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _copy_bool(value: bool) -> str:
    return "t" if value else "f"


def _copy_decimal(value: Decimal) -> str:
    return format(value, "f")  # never exponent notation ("1E+6")


def _copy_encoder(item: Field) -> Callable[[object], str]:
    """How a field's values are written; PostgreSQL parses them as it parses SQL literals."""
    if isinstance(item, BooleanField):
        return _copy_bool
    if isinstance(item, DateTimeField):
        # "2025-03-01T09:30:00.250000+00:00": aware values keep their offset, so the instant
        # does not depend on the session's time zone.
        return datetime.isoformat
    if isinstance(item, DateField):
        return date.isoformat
    if isinstance(item, DecimalField):
        return _copy_decimal
    if isinstance(item, JSONField):
        encoder = item.encoder
        return lambda value: copy_text(json.dumps(value, cls=encoder))
    if isinstance(item.target_field if item.is_relation else item, IntegerField):
        return str  # ids and counts: digits only, nothing to escape
    return copy_text


class CopyTable:
    """The same rows as ``BulkTable``, sent with PostgreSQL's ``COPY ... FROM STDIN`` (psycopg2).

    COPY skips the parsing, planning and per-statement work of INSERTs, and a row is encoded
    straight to a line of COPY's text format when added, a batch at a time streamed from memory.
    It runs on the connection, so inside the caller's transaction like any statement.
    """

    def __init__(self, model: type[Model], *, with_pk: bool = False) -> None:
        quote = connection.ops.quote_name
        fields = _fields(model, with_pk)
        self.positions = {item.attname: position for position, item in enumerate(fields)}
        self.encoders = [_copy_encoder(item) for item in fields]
        self.defaults = [
            COPY_NULL if default is None else encode(default)
            for default, encode in zip((item.get_default() for item in fields), self.encoders, strict=True)
        ]
        columns = ", ".join(quote(item.column) for item in fields)
        # Names from the model's own metadata, quoted; the values go as data, never as SQL.
        self.sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN WITH (FORMAT text)"
        self.rows: list[str] = []

    def add(self, **values) -> None:
        row = self.defaults.copy()
        for name, value in values.items():
            position = self.positions[name]
            row[position] = COPY_NULL if value is None else self.encoders[position](value)
        self.rows.append("\t".join(row))

    def flush(self) -> int:
        count = len(self.rows)
        with connection.cursor() as cursor:
            for start in range(0, count, BATCH):
                buffer = io.StringIO("\n".join(self.rows[start : start + BATCH]) + "\n")
                cursor.cursor.copy_expert(self.sql, buffer, size=COPY_READ_SIZE)
        self.rows = []
        return count


def bulk_table(model: type[Model], *, with_pk: bool = False) -> BulkTable | CopyTable:
    """The fastest writer the connection has: COPY on PostgreSQL (psycopg2), INSERTs elsewhere."""
    if connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2":
        return CopyTable(model, with_pk=with_pk)
    return BulkTable(model, with_pk=with_pk)


class BulkTables:
    """Named tables flushed together, in the order given: ``BulkTables(orders=..., lines=...)``
    makes ``tables.orders`` and ``tables.lines``, and ``flush()`` writes the orders first."""

    def __init__(self, **tables: BulkTable | CopyTable) -> None:
        self._order = list(tables.values())
        vars(self).update(tables)

    def flush(self) -> None:
        for table in self._order:
            table.flush()


def sequences_reset(*models: type[Model]) -> None:
    """Move PostgreSQL's id sequences past ids given explicitly (``with_pk=True``); SQLite's
    AUTOINCREMENT follows on its own, and the statements are empty there."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def next_ids(*models: type[Model]) -> dict[type[Model], int]:
    """The first id above every existing row of each model's table, read in one query, for
    writers that give ids themselves (rows that point at each other need them up front)."""
    quote = connection.ops.quote_name
    # Names from the models' own metadata, quoted; nothing else goes into the statement.
    maxima = [
        f"(SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(model._meta.db_table)})"  # noqa: S608
        for model in models
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(maxima)}")
        row = cursor.fetchone()
    return {model: (value or 0) + 1 for model, value in zip(models, row, strict=True)}
