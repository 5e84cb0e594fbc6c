"""The figures of the sales home page, for the user's scope and a period.

Every figure comes from a handful of aggregate queries (GROUP BY in the database), so the page
costs the same at ten rows and at a hundred thousand; Python only merges and divides the few
grouped rows (one per source, rep or month). Money stays Decimal.

Definitions:
* conversion: the leads created in the period, how many became an opportunity, and how many of
  those opportunities were won (whenever), by source and by rep;
* win rate: of the opportunities closed in the period, the share won;
* sales cycle: for the opportunities won in the period, days from creation to close (average);
* pipeline and forecast: every open opportunity now (whatever the period), its amount and its
  amount weighted by its win probability, by expected close month;
* revenue: payments received in the period.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm_site.access import Scope, record_scope, scope_queryset
from crm_site.dates import local_midnight
from crm_site.models import User
from customers.models import Source
from sales.models import Lead, Opportunity, Payment
from sales.totals import ZERO, money, weighted_from_sum, weighted_sum_expression

FAMILY = "sales"

PERIOD_CHOICES = [
    ("this_month", gettext_lazy("This month")),
    ("last_3_months", gettext_lazy("Last 3 months")),
    ("this_year", gettext_lazy("This year")),
    ("last_12_months", gettext_lazy("Last 12 months")),
    ("custom", gettext_lazy("Custom")),
]
_MONTHS_BACK = {"this_month": 0, "last_3_months": 2, "last_12_months": 11}


# --- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    first_day: datetime.date
    last_day: datetime.date  # included

    @property
    def start(self) -> datetime.datetime:
        """Local midnight at the start of the first day, as an aware datetime."""
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime.datetime:
        """Local midnight after the last day (excluded)."""
        return local_midnight(self.last_day + datetime.timedelta(days=1))

    @property
    def label(self) -> str:
        return dict(PERIOD_CHOICES).get(self.key, "")


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_resolve(
    *, key: str, today: datetime.date, start: datetime.date | None = None, end: datetime.date | None = None
) -> Period:
    """The days a period choice covers, up to and including ``today`` (custom: start to end)."""
    if key == "custom" and start and end:
        return Period(key=key, first_day=start, last_day=end)
    if key == "this_year":
        return Period(key=key, first_day=datetime.date(today.year, 1, 1), last_day=today)
    key = key if key in _MONTHS_BACK else "this_month"
    return Period(key=key, first_day=_months_before(today, _MONTHS_BACK[key]), last_day=today)


# --- the figures -------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent with one decimal, or None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass
class ConversionRow:
    label: str
    leads: int = 0
    opportunities: int = 0
    won: int = 0

    @property
    def lead_to_opportunity(self) -> Decimal | None:
        return _rate(self.opportunities, self.leads)

    @property
    def opportunity_to_won(self) -> Decimal | None:
        return _rate(self.won, self.opportunities)

    @property
    def lead_to_won(self) -> Decimal | None:
        return _rate(self.won, self.leads)


@dataclass
class RepRow(ConversionRow):
    closed_won: int = 0
    closed_lost: int = 0
    won_amount: Decimal = ZERO
    avg_cycle_days: Decimal | None = None

    @property
    def win_rate(self) -> Decimal | None:
        return _rate(self.closed_won, self.closed_won + self.closed_lost)


@dataclass
class ForecastRow:
    month: datetime.date | None  # None: no expected close date
    label: str
    count: int
    total: Decimal
    weighted_raw: Decimal  # sum of amount × probability, see sales.totals

    @property
    def weighted(self) -> Decimal:
        return weighted_from_sum(self.weighted_raw)


@dataclass
class SalesMetrics:
    period: Period
    funnel: ConversionRow
    by_source: list[ConversionRow]
    by_rep: list[RepRow]
    forecast: list[ForecastRow]
    open_count: int = 0
    open_total: Decimal = ZERO
    weighted_total: Decimal = ZERO
    closed_won: int = 0
    closed_lost: int = 0
    won_amount: Decimal = ZERO
    avg_cycle_days: Decimal | None = None
    revenue: Decimal = ZERO
    payments: int = 0
    scope: Scope = Scope.NONE
    chart: dict = field(default_factory=dict)

    @property
    def scope_label(self) -> str:
        return {Scope.OWN: _("Your figures"), Scope.TEAM: _("Your team's figures"), Scope.ALL: _("All sales")}.get(
            self.scope, ""
        )

    @property
    def win_rate(self) -> Decimal | None:
        return _rate(self.closed_won, self.closed_won + self.closed_lost)


def _leads(user: User) -> QuerySet[Lead]:
    return scope_queryset(Lead.objects.all(), user, FAMILY, owner_field="owner", team_field="team")


def _opportunities(user: User) -> QuerySet[Opportunity]:
    return scope_queryset(Opportunity.objects.all(), user, FAMILY, owner_field="owner", team_field="team")


def _payments(user: User) -> QuerySet[Payment]:
    # Payments carry no owner: they are the rep's (or team's) through their invoice.
    return scope_queryset(Payment.objects.all(), user, FAMILY, owner_field="invoice__owner", team_field="invoice__team")


_CONVERSION = {
    "leads": Count("id"),
    "opportunities": Count("opportunity"),
    "won": Count("id", filter=Q(opportunity__status=Opportunity.Status.WON)),
}
_CYCLE = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
_WON = Q(status=Opportunity.Status.WON)
_LOST = Q(status=Opportunity.Status.LOST)


def _days(duration: datetime.timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    return (Decimal(duration.total_seconds()) / 86400).quantize(Decimal("0.1"))


def sales_metrics(*, user: User, period: Period, today: datetime.date) -> SalesMetrics:
    """Every figure of the sales home page, for what ``user`` may see: four aggregate queries
    over the big tables (each table read once), and two small ones for the names of the sources
    and reps that appear."""
    closed_in_period = Q(closed_at__gte=period.start, closed_at__lt=period.end) & (_WON | _LOST)
    opportunities = _opportunities(user)

    # 1. The period's leads by source and rep: how many, turned into opportunities, won.
    lead_groups = list(
        _leads(user)
        .filter(created_at__gte=period.start, created_at__lt=period.end)
        .values("source_id", "owner_id")
        .annotate(**_CONVERSION)
        .order_by()
    )
    # 2. The opportunities closed in the period, by rep: won, lost, won value, total cycle time.
    closed_groups = list(
        opportunities.filter(closed_in_period)
        .values("owner_id")
        .annotate(
            closed_won=Count("id", filter=_WON),
            closed_lost=Count("id", filter=_LOST),
            won_amount=Sum("amount", filter=_WON),
            cycle_total=Sum(_CYCLE, filter=_WON),
        )
        .order_by()
    )
    # 3. The open pipeline by expected close month.
    forecast = pipeline_forecast(opportunities=opportunities, today=today)
    # 4. Money received in the period.
    paid = (
        _payments(user)
        .filter(paid_at__gte=period.start, paid_at__lt=period.end)
        .aggregate(revenue=Sum("amount"), payments=Count("id"))
    )

    source_names = dict(
        Source.objects.filter(pk__in={row["source_id"] for row in lead_groups}).values_list("pk", "name")
    )
    rep_names = _rep_names({row["owner_id"] for row in lead_groups} | {row["owner_id"] for row in closed_groups})

    sources: dict[int | None, ConversionRow] = {}
    reps: dict[int | None, RepRow] = {}
    for row in lead_groups:
        source = sources.setdefault(
            row["source_id"], ConversionRow(label=source_names.get(row["source_id"]) or _("No source"))
        )
        rep = reps.setdefault(row["owner_id"], RepRow(label=rep_names.get(row["owner_id"], _("Unassigned"))))
        for target in (source, rep):
            target.leads += row["leads"]
            target.opportunities += row["opportunities"]
            target.won += row["won"]
    cycle_total, cycle_count = datetime.timedelta(0), 0
    for row in closed_groups:
        rep = reps.setdefault(row["owner_id"], RepRow(label=rep_names.get(row["owner_id"], _("Unassigned"))))
        rep.closed_won, rep.closed_lost = row["closed_won"], row["closed_lost"]
        rep.won_amount = money(row["won_amount"] or ZERO)
        if row["closed_won"]:
            rep.avg_cycle_days = _days(row["cycle_total"] / row["closed_won"])
            cycle_total += row["cycle_total"]
            cycle_count += row["closed_won"]

    by_source = sorted(sources.values(), key=lambda row: (-row.leads, row.label))
    funnel = ConversionRow(
        label=_("All sources"),
        leads=sum(row.leads for row in by_source),
        opportunities=sum(row.opportunities for row in by_source),
        won=sum(row.won for row in by_source),
    )
    metrics = SalesMetrics(
        period=period,
        funnel=funnel,
        by_source=by_source,
        by_rep=sorted(reps.values(), key=lambda rep: (-rep.won_amount, -rep.leads, rep.label)),
        forecast=forecast,
        open_count=sum(row.count for row in forecast),
        open_total=sum((row.total for row in forecast), ZERO),
        # Rounded once over the whole open pipeline, as the pipeline board does.
        weighted_total=weighted_from_sum(sum((row.weighted_raw for row in forecast), ZERO)),
        closed_won=sum(row["closed_won"] for row in closed_groups),
        closed_lost=sum(row["closed_lost"] for row in closed_groups),
        won_amount=sum((rep.won_amount for rep in reps.values()), ZERO),
        avg_cycle_days=_days(cycle_total / cycle_count) if cycle_count else None,
        revenue=money(paid["revenue"] or ZERO),
        payments=paid["payments"],
        scope=record_scope(user, FAMILY),
    )
    metrics.chart = _chart_data(metrics)
    return metrics


def pipeline_forecast(*, opportunities: QuerySet[Opportunity], today: datetime.date) -> list[ForecastRow]:
    """The open ones among ``opportunities`` (already scoped by the caller) by expected close
    month, with their amount and weighted amount: one aggregate query. Also read by the
    analytics forecast page."""
    rows = (
        opportunities.filter(status=Opportunity.Status.OPEN)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(count=Count("id"), total=Sum("amount"), weighted=weighted_sum_expression())
        .order_by(F("month").asc(nulls_last=True))
    )
    return _forecast(list(rows), today=today)


def _rep_names(ids: set[int | None]) -> dict[int, str]:
    users = User.objects.filter(pk__in=ids - {None}).values_list("pk", "first_name", "last_name", "username")
    return {pk: f"{first} {last}".strip() or username for pk, first, last, username in users}


def _as_date(value) -> datetime.date | None:
    # TruncMonth over a DateField gives a date; some backends hand back a datetime.
    return value.date() if isinstance(value, datetime.datetime) else value


def _forecast(rows: list[dict], *, today: datetime.date) -> list[ForecastRow]:
    """One row per month from this month on; earlier months fold into "overdue", and the
    opportunities without a date come last."""
    this_month = today.replace(day=1)
    overdue = ForecastRow(month=None, label=_("Overdue"), count=0, total=ZERO, weighted_raw=ZERO)
    months, undated = [], None
    for row in rows:
        month = _as_date(row["month"])
        total, weighted = money(row["total"] or ZERO), money(row["weighted"] or ZERO)
        if month is None:
            undated = ForecastRow(
                month=None, label=_("No date"), count=row["count"], total=total, weighted_raw=weighted
            )
        elif month < this_month:
            overdue.count += row["count"]
            overdue.total += total
            overdue.weighted_raw += weighted
        else:
            label = formats.date_format(month, "YEAR_MONTH_FORMAT")
            months.append(ForecastRow(month=month, label=label, count=row["count"], total=total, weighted_raw=weighted))
    return ([overdue] if overdue.count else []) + months + ([undated] if undated else [])


def _chart_data(metrics: SalesMetrics) -> dict:
    """What the two charts draw (labels translated here; amounts as exact decimal strings)."""
    return {
        "forecast": {
            "labels": [row.label for row in metrics.forecast],
            "total": [str(row.total) for row in metrics.forecast],
            "weighted": [str(row.weighted) for row in metrics.forecast],
            "weightedLabel": _("Weighted forecast"),
            "restLabel": _("Rest of the pipeline value"),
        },
        "funnel": {
            "labels": [_("Leads"), _("Opportunities"), _("Won")],
            "values": [metrics.funnel.leads, metrics.funnel.opportunities, metrics.funnel.won],
            "label": _("Leads of the period"),
        },
    }
