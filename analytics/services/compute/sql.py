"""The SQL pieces the computation's steps share, for PostgreSQL and SQLite alike.

The steps aggregate in the database (GROUP BY customer and day) and bring back plain numbers:
days as integers (days since 1970-01-01, local time) and money as integer cents, so that no
row becomes a ``date`` or a ``Decimal`` object in Python and a million order lines cost a few
hundred thousand small tuples, turned into numpy arrays a chunk at a time. Sums of cents are
exact in float64 up to 2^53 cents, far beyond the 14 digits a money column holds.
"""

from collections.abc import Sequence

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Model

FETCH_CHUNK = 50_000  # rows turned into arrays at a time


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def local_date(sql: str) -> tuple[str, list]:
    """The local date (settings.TIME_ZONE) of an aware datetime column, as the ORM's TruncDate
    writes it for the connection's database: ``(sql, params)``."""
    date_sql, params = connection.ops.datetime_cast_date_sql(sql, (), settings.TIME_ZONE)
    return date_sql, list(params)


def day_number(date_sql: str) -> str:
    """A date as days since 1970-01-01."""
    if connection.vendor == "postgresql":
        return f"(({date_sql}) - DATE '1970-01-01')"
    return f"CAST(julianday({date_sql}) - 2440587.5 AS INTEGER)"


def local_day_number(sql: str) -> tuple[str, list]:
    """The local day of an aware datetime column as days since 1970-01-01: ``(sql, params)``."""
    date_sql, params = local_date(sql)
    return day_number(date_sql), params


def cents(sql: str) -> str:
    """A money expression (an amount or a SUM) as whole cents."""
    return f"CAST(ROUND(({sql}) * 100) AS BIGINT)"


def hours_between(start_sql: str, end_sql: str) -> str:
    """Hours from one datetime column to another (negative when the end comes first)."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({end_sql}) - ({start_sql})) / 3600.0)"
    return f"((julianday({end_sql}) - julianday({start_sql})) * 24.0)"


def fetch_columns(sql: str, params: Sequence, dtypes: Sequence[type]) -> list[np.ndarray]:
    """Run a query and return its columns as numpy arrays of the given dtypes. No value may be
    NULL (COALESCE in the query). Rows become one structured array a chunk at a time (fromiter,
    no Python loop), so the tuples of a large result never all exist at once."""
    row_type = np.dtype([(f"c{position}", dtype) for position, dtype in enumerate(dtypes)])
    chunks: list[np.ndarray] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            chunks.append(np.fromiter(rows, dtype=row_type, count=len(rows)))
    table_ = np.concatenate(chunks) if chunks else np.zeros(0, dtype=row_type)
    return [np.ascontiguousarray(table_[name]) for name in row_type.names]


def more_work_memory() -> None:
    """Let PostgreSQL sort and hash the run's aggregates (a few hundred thousand groups) in memory
    rather than on disk, for the current transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


def days_as_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as datetime64[D]."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def date_number(day) -> int:
    """A ``date`` as days since 1970-01-01."""
    return int(np.datetime64(day, "D").astype(np.int64))
