"""The report snapshots the pages read (ReportSnapshot, one row per kind and variant), made from
the arrays the run already holds. Money is written as strings of Decimal with two places, shares
as floats from 0 to 1, days as "YYYY-MM-DD" (see the analytics contract for each kind's shape).

- "pareto" f"{measure}:{months}": concentration of profit or revenue over the settings' months and
  over the whole history, among the customers with a value there (revenue or profit not zero);
- "rfm": the 5 x 5 grid of recency and frequency scores and the named segments;
- "forecast": monthly repeat revenue (purchases that are not the customer's first), the last 36
  whole months, six months ahead by Holt-Winters, with a backtest on the last six months;
- "retention" per period: customers who bought in the previous period, and how many of them
  bought again in the current one, for everyone, per team and per owner (the customer's);
- "churn_lost" per period (churn.py); "model": the fitted parameters.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
from django.utils import timezone

from analytics.metrics import (
    RFM_SEGMENTS,
    abc_classes,
    backtest,
    holt_winters_fit,
    pareto_summary,
)
from analytics.models import ReportSnapshot
from analytics.periods import SNAPSHOT_PERIODS, Period, period_compare
from analytics.services.compute.models_fit import Predictions
from analytics.services.compute.scores import Scores
from analytics.services.compute.sql import date_number, days_as_dates
from analytics.services.compute.transactions import CustomerBase, Flow
from analytics.services.compute.values import HistoricValues

HISTORY_MONTHS = 36
FORECAST_MONTHS = 6
BACKTEST_MONTHS = 6
SEASON_MONTHS = 12


def money(cents: float) -> str:
    """Cents as a money string with two places ("1234.50")."""
    return str(Decimal(round(float(cents))).scaleb(-2))


def money_of(value: float) -> str:
    """An amount in money units (a model's float) as a money string."""
    return money(value * 100.0)


def fraction(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def iso(day: int) -> str:
    return str(days_as_dates(np.array([day]))[0])


# --- Pareto -------------------------------------------------------------------------------------


def pareto_data(values_cents: np.ndarray, counted: np.ndarray, *, first_day: int | None, today: int) -> dict:
    """One Pareto variant over the ``counted`` customers (those with revenue or profit in the
    period: a customer who bought nothing there is no part of its 80/20)."""
    measured = values_cents[counted] / 100.0
    summary = pareto_summary(measured)
    classes = abc_classes(measured)
    by_class = {
        name: {"customers": int((classes == name).sum()), "value": money_of(float(measured[classes == name].sum()))}
        for name in ("A", "B", "C")
    }
    return {
        "customers": summary.customers,
        "total": money_of(summary.total),
        "net_total": money_of(summary.net_total),
        "top20_share": fraction(summary.top20_share),
        "share_for_80": fraction(summary.share_for_80),
        "gini": fraction(summary.gini),
        "lorenz": {"x": summary.lorenz_x, "y": summary.lorenz_y},
        "classes": by_class,
        "first_day": iso(first_day) if first_day is not None else None,
        "last_day": iso(today),
    }


def pareto_snapshots(values: HistoricValues, *, months: int, first_day: int | None, today: int) -> dict[str, dict]:
    """The settings' period (CustomerValue.period_*) and the whole history, by profit and revenue."""
    periods = [(months, values.period_revenue, values.period_profit, first_day)]
    if months:
        periods.append((0, values.nominal["revenue"], values.gross_margin, None))
    variants = {}
    for span, revenue, profit, first in periods:
        counted = (revenue != 0) | (profit != 0)
        variants[f"profit:{span}"] = pareto_data(profit, counted, first_day=first, today=today)
        variants[f"revenue:{span}"] = pareto_data(revenue, counted, first_day=first, today=today)
    return variants


# --- RFM ----------------------------------------------------------------------------------------


def rfm_data(scores: Scores) -> dict:
    scored = scores.rfm_recency > 0
    r, f = scores.rfm_recency[scored], scores.rfm_frequency[scored]
    monetary = scores.monetary_cents[scored]
    cell = (r - 1) * 5 + (f - 1)
    counts = np.bincount(cell, minlength=25)
    sums = np.bincount(cell, weights=monetary, minlength=25)
    cells = [
        {"r": index // 5 + 1, "f": index % 5 + 1, "customers": int(counts[index]), "monetary": money(sums[index])}
        for index in range(25)
    ]
    codes = scores.rfm_segment[scored].astype(str)
    recency, frequency = scores.recency_days[scored], scores.frequency[scored]
    segments = []
    for code, _label, _description in RFM_SEGMENTS:  # eleven segments, each a vector operation
        members = codes == code
        count = int(members.sum())
        segments.append(
            {
                "code": code,
                "customers": count,
                "monetary": money(float(monetary[members].sum())),
                "recency_days": float(recency[members].mean()) if count else 0.0,
                "frequency": float(frequency[members].mean()) if count else 0.0,
            }
        )
    return {"cells": cells, "segments": segments}


# --- forecast -----------------------------------------------------------------------------------


def _month_labels(first: int, count: int) -> list[str]:
    return [str(month) for month in (np.arange(first, first + count)).astype("datetime64[M]")]


def forecast_data(purchases: Flow, values: HistoricValues, *, today: int) -> dict:
    """Repeat revenue per month and its forecast (see the module docstring)."""
    month = days_as_dates(purchases.day).astype("datetime64[M]").astype(np.int64)
    current = int(days_as_dates(np.array([today])).astype("datetime64[M]").astype(np.int64)[0])
    repeat = purchases.day > values.first_purchase[purchases.customer]
    start = current - HISTORY_MONTHS
    if repeat.any():
        start = max(start, int(month[repeat].min()))
    length = max(current - start, 0)
    in_history = repeat & (month >= start) & (month < current)
    history = np.bincount(month[in_history] - start, weights=purchases.cents[in_history], minlength=length) / 100.0
    model = holt_winters_fit(history, SEASON_MONTHS)
    ahead = model.forecast(FORECAST_MONTHS)
    check: dict = {"months": [], "actual": [], "predicted": [], "mape": None}
    if length > BACKTEST_MONTHS:
        tested = backtest(history, holdout=BACKTEST_MONTHS, season_length=SEASON_MONTHS)
        check = {
            "months": _month_labels(current - BACKTEST_MONTHS, BACKTEST_MONTHS),
            "actual": [money_of(value) for value in tested.actual.tolist()],
            "predicted": [money_of(value) for value in tested.predicted.tolist()],
            "mape": fraction(tested.mape),
        }
    return {
        "history": {"months": _month_labels(start, length), "revenue": [money_of(v) for v in history.tolist()]},
        "forecast": {
            "months": _month_labels(current, FORECAST_MONTHS),
            "revenue": [money_of(value) for value in ahead.tolist()],
        },
        "backtest": check,
        "method": model.method,
    }


# --- retention ----------------------------------------------------------------------------------


def _bought_between(purchases: Flow, customers: int, first: int, last: int) -> np.ndarray:
    inside = (purchases.day >= first) & (purchases.day <= last)
    return np.bincount(purchases.customer[inside], minlength=customers) > 0


def _by_key(keys: np.ndarray, base: np.ndarray, retained: np.ndarray) -> dict[str, dict]:
    """{"<key>": {"base", "retained"}} for every non-zero key with a customer in the base."""
    chosen = base & (keys != 0)
    ids, inverse = np.unique(keys[chosen], return_inverse=True)
    bases = np.bincount(inverse, minlength=len(ids))
    kept = np.bincount(inverse, weights=retained[chosen], minlength=len(ids))
    return {
        str(key): {"base": int(b), "retained": int(k)}
        for key, b, k in zip(ids.tolist(), bases.tolist(), kept.tolist(), strict=True)
    }


def _retention(purchases: Flow, base: CustomerBase, current: Period, previous: Period) -> dict:
    n = len(base)
    earlier = _bought_between(purchases, n, date_number(previous.first_day), date_number(previous.last_day))
    again = earlier & _bought_between(purchases, n, date_number(current.first_day), date_number(current.last_day))
    return {
        "all": {"base": int(earlier.sum()), "retained": int(again.sum())},
        "teams": _by_key(base.team, earlier, again),
        "owners": _by_key(base.owner, earlier, again),
        "first_day": current.first_day.isoformat(),
        "last_day": current.last_day.isoformat(),
    }


def retention_snapshots(purchases: Flow, base: CustomerBase, *, today: datetime.date) -> dict[str, dict]:
    """Per period key; "previous" holds the same figures one period earlier (the previous
    period against the same number of days before it), for the comparison beside it."""
    variants = {}
    for key in SNAPSHOT_PERIODS:
        comparison = period_compare(key=key, today=today)
        current, previous = comparison.current, comparison.previous
        before_last = previous.first_day - datetime.timedelta(days=1)
        before = Period(key, before_last - datetime.timedelta(days=previous.days - 1), before_last)
        variants[key] = {
            **_retention(purchases, base, current, previous),
            "previous": _retention(purchases, base, previous, before),
        }
    return variants


# --- model and writing --------------------------------------------------------------------------


def model_data(predictions: Predictions) -> dict:
    return dict(predictions.summary)


def write_snapshots(snapshots: Iterable[tuple[str, str, dict]], *, computed_at: datetime.datetime | None = None) -> int:
    """Upsert (kind, variant, data) rows and delete the variants of these kinds not written now
    (e.g. "profit:12" after the setting changed to 6 months). Returns the rows written."""
    computed_at = computed_at or timezone.now()
    rows = [
        ReportSnapshot(kind=kind, variant=variant, data=data, computed_at=computed_at)
        for kind, variant, data in snapshots
    ]
    ReportSnapshot.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["kind", "variant"], update_fields=["data", "computed_at"]
    )
    written = {(row.kind, row.variant) for row in rows}
    stale = [
        pk
        for pk, kind, variant in ReportSnapshot.objects.filter(kind__in={row.kind for row in rows}).values_list(
            "pk", "kind", "variant"
        )
        if (kind, variant) not in written
    ]
    ReportSnapshot.objects.filter(pk__in=stale).delete()
    return len(rows)
