"""Writing CustomerValue and CustomerStats for every customer in bulk.

Every customer gets a row in both tables on every run, so a customer whose figures went away
(their only order cancelled) is reset rather than left with last night's numbers. The columns
are built whole from the numpy arrays (no Python object per customer and field until the last
moment) and written:

- on PostgreSQL (psycopg2), streamed with COPY (the text format of crm_site/bulkload.py) into a
  temporary table and merged with one INSERT ... ON CONFLICT DO UPDATE: one statement, whatever
  the number of customers, and readers see the old rows until the transaction commits. Most of
  its time is the tables' indexes, updated row by row;
- elsewhere (SQLite), the same INSERT ... ON CONFLICT DO UPDATE for each row, sent in batches
  with ``executemany`` (a query per batch, not per row, and no model instance per row).

Rows of customers deleted while the run was reading are skipped (their foreign key would fail).
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.db import connection
from django.db.models import Model

from analytics.models import CustomerValue
from analytics.services.compute.models_fit import Predictions
from analytics.services.compute.scores import Scores
from analytics.services.compute.transactions import CustomerBase
from analytics.services.compute.values import COMPONENTS, HistoricValues
from crm_site.bulkload import COPY_NULL, COPY_READ_SIZE, copy_text
from customers.models import Customer, CustomerStats

BATCH = 20_000  # rows per COPY buffer


@dataclass(frozen=True)
class Column:
    """One column of the rows to write: a model attribute and its values for every customer.

    kind: "int"; "int_or_null" (floats holding whole numbers, NaN for NULL); "money" (whole cents,
    NaN for NULL); "float" (NaN for NULL); "day" (day numbers, with ``null`` marking NULLs);
    "text"; "constant" (one value for every row)."""

    name: str
    kind: str
    values: object
    null: np.ndarray | None = None


# The temporary table's type per kind of column: money travels as whole cents (integers format
# several times faster than decimals) and becomes numeric in the INSERT ... SELECT.
_COPY_TYPES = {
    "int": "bigint",
    "int_or_null": "bigint",
    "money": "bigint",
    "float": "double precision",
    "day": "date",
    "text": "text",
}


def _copy_strings(column: Column) -> list[str]:
    """A column as COPY's text format writes it (money as cents)."""
    values = column.values
    if column.kind == "int":
        return [str(value) for value in np.asarray(values, dtype=np.int64).tolist()]
    if column.kind == "text":
        return [copy_text(value) for value in np.asarray(values).tolist()]
    if column.kind == "day":
        texts = np.datetime_as_string(np.asarray(values, dtype=np.int64).astype("datetime64[D]")).tolist()
        return _with_nulls(texts, column.null)
    array = np.asarray(values, dtype=np.float64)
    missing = np.isnan(array)
    if column.kind in {"money", "int_or_null"}:
        texts = [str(value) for value in np.where(missing, 0, np.round(array)).astype(np.int64).tolist()]
    else:
        texts = [repr(value) for value in array.tolist()]
    return _with_nulls(texts, missing)


def _with_nulls(texts: list[str], null: np.ndarray | None) -> list[str]:
    if null is not None and null.any():
        for position in np.flatnonzero(null).tolist():
            texts[position] = COPY_NULL
    return texts


def _db_values(column: Column, n: int) -> list:
    """A column as parameters of an INSERT (the path without COPY)."""
    values = column.values
    if column.kind == "constant":
        value = connection.ops.adapt_datetimefield_value(values) if isinstance(values, datetime) else values
        return [value] * n
    if column.kind == "int":
        return np.asarray(values, dtype=np.int64).tolist()
    if column.kind == "text":
        return np.asarray(values).tolist()
    if column.kind == "day":
        days = np.datetime_as_string(np.asarray(values, dtype=np.int64).astype("datetime64[D]")).tolist()
        null = column.null if column.null is not None else np.zeros(n, dtype=bool)
        return [None if missing else day for day, missing in zip(days, null.tolist(), strict=True)]
    array = np.asarray(values, dtype=np.float64)
    if column.kind == "money":
        return [None if value != value else Decimal(f"{value:.2f}") for value in (array / 100.0).tolist()]
    if column.kind == "int_or_null":
        return [None if value != value else int(value) for value in array.tolist()]
    return [None if value != value else value for value in array.tolist()]


def _copy_lines(columns: list[Column], n: int) -> Iterator[str]:
    """The rows as COPY lines, one buffer of up to BATCH rows at a time."""
    for start in range(0, n, BATCH):
        stop = min(start + BATCH, n)
        texts = [_copy_strings(_slice(column, start, stop)) for column in columns]
        yield "\n".join("\t".join(row) for row in zip(*texts, strict=True)) + "\n"


def _slice(column: Column, start: int, stop: int) -> Column:
    null = column.null[start:stop] if column.null is not None else None
    return Column(column.name, column.kind, np.asarray(column.values)[start:stop], null)


def _upsert_copy(model: type[Model], columns: list[Column], n: int) -> int:
    quote = connection.ops.quote_name
    meta = model._meta
    target, temp = quote(meta.db_table), quote(f"compute_{meta.db_table}")
    key = quote(meta.pk.column)
    copied = [column for column in columns if column.kind != "constant"]
    constants = [column for column in columns if column.kind == "constant"]
    copied_names = [quote(meta.get_field(column.name).column) for column in copied]
    names = copied_names + [quote(meta.get_field(column.name).column) for column in constants]
    # Money arrives in cents; constants (the run's time) are parameters of the INSERT.
    selected = [
        f"t.{name} * 0.01" if column.kind == "money" else f"t.{name}"
        for name, column in zip(copied_names, copied, strict=True)
    ] + ["%s"] * len(constants)
    listed = ", ".join(names)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name != key)
    customer_table, customer_pk = quote(Customer._meta.db_table), quote(Customer._meta.pk.column)
    definition = ", ".join(
        f"{name} {_COPY_TYPES[column.kind]}" for name, column in zip(copied_names, copied, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} ({definition})")
        for buffer in _copy_lines(copied, n):
            cursor.cursor.copy_expert(
                f"COPY {temp} ({', '.join(copied_names)}) FROM STDIN WITH (FORMAT text)",
                io.StringIO(buffer),
                size=COPY_READ_SIZE,
            )
        # Names come from the models' metadata, quoted; the values came in through COPY and as
        # parameters. Customers deleted since the run read them are skipped.
        cursor.execute(
            f"""INSERT INTO {target} ({listed}) SELECT {", ".join(selected)} FROM {temp} t
                WHERE EXISTS (SELECT 1 FROM {customer_table} c WHERE c.{customer_pk} = t.{key})
                ON CONFLICT ({key}) DO UPDATE SET {updates}""",  # noqa: S608
            [column.values for column in constants],
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {temp}")
    return written


def _upsert_rows(model: type[Model], columns: list[Column], n: int) -> int:
    """The same merge as one INSERT ... ON CONFLICT DO UPDATE run over batches of rows
    (executemany): SQLite, and PostgreSQL drivers without psycopg2's COPY."""
    quote = connection.ops.quote_name
    meta = model._meta
    names = [quote(meta.get_field(column.name).column) for column in columns]
    key = quote(meta.pk.column)
    key_position = names.index(key)
    customer_table, customer_pk = quote(Customer._meta.db_table), quote(Customer._meta.pk.column)
    updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != key)
    # Names come from the models' metadata, quoted; every value is a parameter.
    sql = f"""INSERT INTO {quote(meta.db_table)} ({", ".join(names)})
              SELECT {", ".join(["%s"] * len(names))}
              WHERE EXISTS (SELECT 1 FROM {customer_table} c WHERE c.{customer_pk} = %s)
              ON CONFLICT ({key}) DO UPDATE SET {updates}"""  # noqa: S608
    values = [_db_values(column, n) for column in columns]
    rows = [(*row, row[key_position]) for row in zip(*values, strict=True)]
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, n, BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
            written += max(cursor.rowcount, 0)
    return written


def upsert(model: type[Model], columns: list[Column], n: int) -> int:
    """Insert or update ``n`` rows keyed by the customer (the table's primary key)."""
    writer: Callable[[type[Model], list[Column], int], int] = _upsert_rows
    if connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2":
        writer = _upsert_copy
    return writer(model, columns, n)


def _money_or_null(cents: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.where(known, np.round(cents), np.nan)


def value_columns(
    base: CustomerBase, values: HistoricValues, predictions: Predictions, *, computed_at: datetime
) -> list[Column]:
    not_bought = ~values.bought
    predicted = ~np.isnan(predictions.value)
    columns = [
        Column("customer_id", "int", base.ids),
        Column("acquired_on", "day", values.acquired),
        Column("first_purchase_on", "day", values.first_purchase, null=not_bought),
        Column("last_purchase_on", "day", values.last_purchase, null=not_bought),
        Column("orders", "int", values.orders),
        Column("activities", "int", values.activities),
        Column("messages", "int", values.messages),
        Column("tickets", "int", values.tickets),
        Column("acquisition_cost", "money", values.nominal["acquisition_cost"]),
    ]
    columns += [Column(name, "money", values.nominal[name]) for name in COMPONENTS]
    columns += [Column(f"{name}_pv", "money", values.present[name]) for name in COMPONENTS]
    columns += [
        Column("clv_historic", "money", values.clv),
        Column("expected_purchases", "float", predictions.expected_purchases),
        Column("expected_spend", "money", _money_or_null(predictions.expected_spend * 100.0, predicted)),
        Column("margin_ratio", "float", predictions.margin_ratio),
        Column("clv_predicted", "money", _money_or_null(predictions.value * 100.0, predicted)),
        Column("period_revenue", "money", values.period_revenue),
        Column("period_profit", "money", values.period_profit),
        Column("computed_at", "constant", computed_at),
    ]
    return columns


def stats_columns(
    base: CustomerBase,
    values: HistoricValues,
    predictions: Predictions,
    scores: Scores,
    *,
    computed_at: datetime,
) -> list[Column]:
    predicted = ~np.isnan(predictions.value)
    no_score = ~values.bought
    return [
        Column("customer_id", "int", base.ids),
        Column("recency_days", "int_or_null", scores.recency_days),
        Column("frequency", "int", scores.frequency),
        Column("monetary", "money", np.round(scores.monetary_cents)),
        Column("clv_historic", "money", values.clv),
        Column("clv_predicted", "money", _money_or_null(predictions.value * 100.0, predicted)),
        Column("p_alive", "float", predictions.p_alive),
        Column("pareto_class", "text", scores.pareto_class),
        Column("rfm_segment", "text", scores.rfm_segment),
        Column("churn_risk", "float", scores.churn_risk),
        Column("rfm_recency", "int_or_null", np.where(no_score, np.nan, scores.rfm_recency)),
        Column("rfm_frequency", "int_or_null", np.where(no_score, np.nan, scores.rfm_frequency)),
        Column("rfm_monetary", "int_or_null", np.where(no_score, np.nan, scores.rfm_monetary)),
        Column("expected_purchases", "float", predictions.expected_purchases),
        Column("value_at_risk", "money", np.round(scores.value_at_risk * 100.0)),
        Column("computed_at", "constant", computed_at),
    ]


def write_customer_figures(
    base: CustomerBase,
    values: HistoricValues,
    predictions: Predictions,
    scores: Scores,
    *,
    computed_at: datetime,
) -> int:
    """Both tables for every customer; returns the rows written (customers x 2)."""
    n = len(base)
    written = upsert(CustomerValue, value_columns(base, values, predictions, computed_at=computed_at), n)
    written += upsert(CustomerStats, stats_columns(base, values, predictions, scores, computed_at=computed_at), n)
    return written
