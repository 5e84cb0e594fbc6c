"""The Pareto (80/20) report: how concentrated the value is, the Lorenz curve, ABC classes and
the key customers (class A).

Users who see every customer read the snapshot the nightly computation wrote for the measure
and period; a manager or rep gets the same figures computed live over their own customers'
stored values (``CustomerValue``), with ``analytics.metrics.pareto``. Either way the key-customer
list is every customer whose value reaches the smallest class-A value (ties share a class, so
that threshold takes exactly class A) and is read with an index on the period's columns.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.db.models import BigIntegerField, F, Q, QuerySet
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext_lazy as _

from analytics.metrics.pareto import abc_classes, pareto_summary
from analytics.models import AnalyticsSettings, CustomerValue, ReportSnapshot
from analytics.selectors.reports.common import (
    CENT,
    ZERO,
    analytics_scope,
    as_money,
    customer_scoped,
    share,
    snapshot_get,
)
from crm_site.access import Scope
from crm_site.models import User

PERIOD_RECENT = "recent"  # the settings' pareto_months
PERIOD_ALL = "all"  # the whole history
CLASS_LABELS = {
    "A": _("A — the first 80% of the value"),
    "B": _("B — the next 15%"),
    "C": _("C — the rest"),
}


def measure_expression(measure: str, months: int) -> Combinable:
    """The value a customer is ranked by: profit (revenue less returns and cost of goods) or
    revenue, over the last ``months`` months (the stored period columns) or the whole history."""
    profit = measure == AnalyticsSettings.ParetoMeasure.PROFIT
    if months:
        return F("period_profit") if profit else F("period_revenue")
    return F("revenue") - F("returns") - F("cost_of_goods") if profit else F("revenue")


@dataclass(frozen=True)
class ClassRow:
    code: str
    customers: int
    value: Decimal
    customer_share: float | None
    value_share: float | None

    @property
    def label(self) -> str:
        return str(CLASS_LABELS[self.code])


@dataclass
class ParetoReport:
    measure: str
    months: int  # 0: the whole history
    scope: Scope
    live: bool  # computed now over the user's customers (not read from the snapshot)
    customers: int
    total: Decimal  # the positive values' sum: the base of every share
    top20_share: float | None
    share_for_80: float | None
    gini: float | None
    lorenz_x: list[float]
    lorenz_y: list[float]
    classes: list[ClassRow]
    first_day: datetime.date | None
    last_day: datetime.date | None
    computed_at: datetime.datetime | None
    # The smallest class-A value: the key customers are those at or above it (None: no class A).
    threshold: Decimal | None = None
    chart: dict = field(default_factory=dict)

    @property
    def key_customers(self) -> int:
        return next((row.customers for row in self.classes if row.code == "A"), 0)


def _day(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _class_rows(counts: dict[str, tuple[int, Decimal]], customers: int, total: Decimal) -> list[ClassRow]:
    return [
        ClassRow(
            code=code,
            customers=counts.get(code, (0, ZERO))[0],
            value=counts.get(code, (0, ZERO))[1],
            customer_share=share(counts.get(code, (0, ZERO))[0], customers),
            value_share=share(counts.get(code, (0, ZERO))[1], total),
        )
        for code in ("A", "B", "C")
    ]


def _from_snapshot(user: User, measure: str, months: int) -> ParetoReport | None:
    snapshot = snapshot_get("pareto", f"{measure}:{months}")
    if snapshot is None:
        return None
    data = snapshot.data
    total = as_money(data.get("total"))
    customers = int(data.get("customers") or 0)
    classes = data.get("classes") or {}
    counts = {
        code: (int(classes.get(code, {}).get("customers") or 0), as_money(classes.get(code, {}).get("value")))
        for code in ("A", "B", "C")
    }
    report = ParetoReport(
        measure=measure,
        months=months,
        scope=Scope.ALL,
        live=False,
        customers=customers,
        total=total,
        top20_share=data.get("top20_share"),
        share_for_80=data.get("share_for_80"),
        gini=data.get("gini"),
        lorenz_x=list((data.get("lorenz") or {}).get("x") or []),
        lorenz_y=list((data.get("lorenz") or {}).get("y") or []),
        classes=_class_rows(counts, customers, total),
        first_day=_day(data.get("first_day")),
        last_day=_day(data.get("last_day")),
        computed_at=snapshot.computed_at,
    )
    a_count = counts["A"][0]
    if classes.get("A", {}).get("min") is not None:  # the smallest class-A value, when the run wrote it
        report.threshold = as_money(classes["A"]["min"])
    elif a_count:
        # The a_count-th largest value; ties at it are class A too (they share a class).
        report.threshold = (
            customer_scoped(CustomerValue.objects.all(), user)
            .annotate(measure=measure_expression(measure, months))
            .order_by("-measure")
            .values_list("measure", flat=True)[a_count - 1 : a_count]
            .first()
        )
    return report


def counted(months: int) -> Q:
    """The customers a variant counts, as the computation does: those with revenue or profit in
    the period (a customer who bought nothing there is no part of its 80/20)."""
    if months:
        return ~Q(period_revenue=0) | ~Q(period_profit=0)
    return ~Q(revenue=0) | ~Q(gross=0)


def _cents(measure: Combinable) -> Cast:
    """The measure in whole cents: exact integers for numpy's sums."""
    return Cast(Round(measure * 100), BigIntegerField())


def _live(user: User, measure: str, months: int) -> ParetoReport | None:
    """The figures over the user's own customers, from their stored values read once (one
    query, in cents) and worked out by numpy: the summary and classes by analytics.metrics,
    each class's sum exactly in integer cents."""
    rows = (
        customer_scoped(CustomerValue.objects.all(), user)
        .annotate(gross=F("revenue") - F("returns") - F("cost_of_goods"))
        .filter(counted(months))
        .annotate(cents=_cents(measure_expression(measure, months)))
    )
    cents = np.array(list(rows.order_by().values_list("cents", flat=True)), dtype=np.int64)
    if not cents.size:
        return None
    numbers = cents / 100.0
    summary = pareto_summary(numbers)
    classes = abc_classes(numbers)
    counts = {
        code: (int((classes == code).sum()), _from_cents(int(cents[classes == code].sum()))) for code in ("A", "B", "C")
    }
    total = _from_cents(int(cents[cents > 0].sum()))
    in_a = cents[classes == "A"]
    # The run that wrote the values wrote the snapshots too: its time is theirs.
    computed_at = (
        ReportSnapshot.objects.filter(kind="pareto")
        .order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )
    return ParetoReport(
        measure=measure,
        months=months,
        scope=analytics_scope(user),
        live=True,
        customers=summary.customers,
        total=total,
        top20_share=summary.top20_share,
        share_for_80=summary.share_for_80,
        gini=summary.gini,
        lorenz_x=summary.lorenz_x,
        lorenz_y=summary.lorenz_y,
        classes=_class_rows(counts, summary.customers, total),
        first_day=None,
        last_day=None,
        computed_at=computed_at,
        # Ties share a class, so "value >= the smallest A value" is exactly class A.
        threshold=_from_cents(int(in_a.min())) if in_a.size else None,
    )


def _from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def pareto_report(*, user: User, measure: str, months: int) -> ParetoReport | None:
    """The report for ``measure`` over ``months`` (0: whole history) as ``user`` may see it, or
    None when nothing has been computed yet."""
    if analytics_scope(user) == Scope.ALL:
        report = _from_snapshot(user, measure, months)
    else:
        report = _live(user, measure, months)
    if report is not None:
        report.chart = _chart(report)
    return report


def _chart(report: ParetoReport) -> dict:
    return {
        "lorenz": {
            "x": report.lorenz_x,
            "y": report.lorenz_y,
            "label": str(_("Share of the value held")),
            "equality": str(_("Perfect equality")),
            "xTitle": str(_("Share of customers, smallest first")),
            "yTitle": str(_("Share of the value")),
        }
    }


def key_customers(*, user: User, report: ParetoReport) -> QuerySet[CustomerValue]:
    """Class A of the report (within the user's customers), ranked by the measure, with what a
    row shows (customer, owner, figures) joined in."""
    rows = (
        customer_scoped(CustomerValue.objects.select_related("customer__owner", "customer__stats"), user)
        .annotate(measure=measure_expression(report.measure, report.months))
        .order_by("-measure", "-customer_id")
    )
    if report.threshold is None or report.threshold <= 0:
        return rows.none()
    return rows.filter(measure__gte=report.threshold, measure__gt=0)
