"""The forecast report: next months' revenue from the weighted pipeline (sales' own computation,
over the opportunities whose figures the user may see) beside the time-series forecast of
repeat revenue from history, with its backtest on the last six months (the nightly snapshot,
computed over the whole company)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.selectors.reports.common import FAMILY, ZERO, analytics_scope, as_money, snapshot_get
from crm_site.access import Scope, scope_queryset
from crm_site.models import User
from sales.models import Opportunity
from sales.selectors.metrics import ForecastRow, pipeline_forecast

# The forecast methods of analytics.metrics.forecast (which one fits depends on the history's
# length): a short name and what it does.
METHODS = {
    "holt_winters": (gettext_lazy("Holt-Winters"), gettext_lazy("exponential smoothing with trend and seasonality")),
    "holt": (gettext_lazy("Holt"), gettext_lazy("exponential smoothing with a trend; too little history for seasons")),
    "mean": (gettext_lazy("Average"), gettext_lazy("the average month; too little history for a trend")),
}


@dataclass(frozen=True)
class MonthRow:
    month: datetime.date
    actual: Decimal | None = None  # repeat revenue that happened
    predicted: Decimal | None = None  # the backtest's prediction, or the forecast ahead
    pipeline: Decimal | None = None  # weighted pipeline expected to close that month
    pipeline_total: Decimal | None = None

    @property
    def label(self) -> str:
        return formats.date_format(self.month, "YEAR_MONTH_FORMAT")

    @property
    def error(self) -> float | None:
        """The backtest's absolute percentage error of the month (None without an actual)."""
        if self.actual is None or self.predicted is None or not self.actual:
            return None
        return abs(float(self.predicted - self.actual)) / abs(float(self.actual))

    @property
    def expected(self) -> Decimal:
        """Repeat revenue forecast plus the weighted pipeline: the revenue expected that month."""
        return (self.predicted or ZERO) + (self.pipeline or ZERO)


@dataclass
class ForecastReport:
    scope: Scope
    history: list[MonthRow]
    backtest: list[MonthRow]
    ahead: list[MonthRow]  # the forecast months, with the pipeline of each
    pipeline_later: list[ForecastRow]  # pipeline months past the forecast horizon
    pipeline_overdue: ForecastRow | None
    pipeline_undated: ForecastRow | None
    pipeline_weighted: Decimal
    mape: float | None
    method: str
    computed_at: datetime.datetime | None
    chart: dict = field(default_factory=dict)

    @property
    def method_name(self) -> str:
        return str(METHODS[self.method][0]) if self.method in METHODS else self.method

    @property
    def method_note(self) -> str:
        return str(METHODS[self.method][1]) if self.method in METHODS else ""

    @property
    def forecast_total(self) -> Decimal:
        return sum((row.predicted for row in self.ahead if row.predicted is not None), ZERO)

    @property
    def pipeline_extra(self) -> list[ForecastRow]:
        """The overdue deals and those without a date, shown after the months."""
        return [row for row in (self.pipeline_overdue, self.pipeline_undated) if row is not None]

    @property
    def has_series(self) -> bool:
        return bool(self.history or self.ahead)

    @property
    def adds_up(self) -> bool:
        """Whether the repeat forecast and the pipeline cover the same customers (only for users
        who see everyone: the time series is the whole company's) and may be added."""
        return self.scope == Scope.ALL


def _month(value: str) -> datetime.date:
    return datetime.date.fromisoformat(f"{value}-01")


def _series(block: dict, key: str) -> dict[datetime.date, Decimal]:
    months, amounts = block.get("months") or [], block.get(key) or []
    return {
        _month(month): as_money(amount) for month, amount in zip(months, amounts, strict=False) if amount is not None
    }


def forecast_report(*, user: User, today: datetime.date) -> ForecastReport:
    """Both forecasts as ``user`` may see them: the pipeline scoped to the user's opportunities
    (one aggregate query), the time series from the snapshot (one query)."""
    opportunities = scope_queryset(Opportunity.objects.all(), user, FAMILY, owner_field="owner", team_field="team")
    pipeline = pipeline_forecast(opportunities=opportunities, today=today)
    dated = {row.month: row for row in pipeline if row.month is not None}
    # Sales folds the months before this one into an "Overdue" row and lists the opportunities
    # without a date in a last row; both have no month and are told apart by sales' own label.
    overdue = next((row for row in pipeline if row.month is None and row.label == _("Overdue")), None)
    undated = next((row for row in pipeline if row.month is None and row is not overdue), None)

    snapshot = snapshot_get("forecast")
    data = snapshot.data if snapshot else {}
    history = _series(data.get("history") or {}, "revenue")
    ahead = _series(data.get("forecast") or {}, "revenue")
    backtest_block = data.get("backtest") or {}
    actual = _series(backtest_block, "actual")
    predicted = _series(backtest_block, "predicted")

    ahead_rows = [
        MonthRow(
            month=month,
            predicted=amount,
            pipeline=dated[month].weighted if month in dated else None,
            pipeline_total=dated[month].total if month in dated else None,
        )
        for month, amount in sorted(ahead.items())
    ]
    if not ahead_rows:  # no series yet: the pipeline months alone
        ahead_rows = [
            MonthRow(month=month, pipeline=row.weighted, pipeline_total=row.total)
            for month, row in sorted(dated.items())
        ]
    shown = {row.month for row in ahead_rows}
    report = ForecastReport(
        scope=analytics_scope(user),
        history=[MonthRow(month=month, actual=amount) for month, amount in sorted(history.items())],
        backtest=[
            MonthRow(month=month, actual=actual.get(month), predicted=predicted.get(month))
            for month in sorted(set(actual) | set(predicted))
        ],
        ahead=ahead_rows,
        pipeline_later=[row for month, row in sorted(dated.items()) if month not in shown],
        pipeline_overdue=overdue,
        pipeline_undated=undated,
        pipeline_weighted=sum((row.weighted for row in pipeline), ZERO),
        mape=backtest_block.get("mape"),
        method=data.get("method") or "",
        computed_at=snapshot.computed_at if snapshot else None,
    )
    report.chart = _chart(report)
    return report


def _chart(report: ForecastReport) -> dict:
    """One chart over one month axis: history, the backtest's predictions over the last months of
    history, the forecast ahead, and the weighted pipeline ahead (amounts as exact strings)."""
    months = sorted({row.month for row in report.history} | {row.month for row in report.ahead})
    history = {row.month: row.actual for row in report.history}
    backtest = {row.month: row.predicted for row in report.backtest}
    ahead = {row.month: row.predicted for row in report.ahead if row.predicted is not None}
    pipeline = {row.month: row.pipeline for row in report.ahead}
    if ahead and history:  # the forecast line starts from the last month of history
        last = max(history)
        ahead[last] = history[last]

    def series(values: dict) -> list[str | None]:
        return [str(values[month]) if values.get(month) is not None else None for month in months]

    return {
        "labels": [formats.date_format(month, "YEAR_MONTH_FORMAT") for month in months],
        "history": {"label": _("Repeat revenue"), "values": series(history)},
        "backtest": {"label": _("Backtest: predicted"), "values": series(backtest)},
        "forecast": {"label": _("Forecast"), "values": series(ahead)},
        "pipeline": {"label": _("Weighted pipeline"), "values": series(pipeline)},
    }
