"""The managers' dashboard: the business's main figures for a period, beside the period before,
with a chart of the last twelve months and a link to the list behind each figure.

Scope: every figure is narrowed to the rows the user may see in the "analytics" record family
(admins and marketing all, managers their teams, reps their own), then to the team and owner
chosen in the filters. Definitions (also written on the page):

* revenue, cost of goods, returns, orders, new and lost customers, leads and leads converted,
  deals won and lost, tickets resolved and in time, satisfaction answers: sums of the daily
  figures (``DailyFact``) the nightly computation writes; gross profit = revenue - cost of goods
  - returns;
* lead conversion = leads converted / leads created; win rate = deals won / (won + lost);
  SLA compliance = tickets resolved in time / tickets resolved; CSAT = average score (1 to 5);
* retention: of the customers who bought in the previous period, the share who bought again in
  this one (the nightly snapshot for the listed periods; a custom period is computed live from
  the orders, which is slower);
* average lifetime value: over the customers in scope, as last computed (now, not per period);
* pipeline: the open opportunities now, weighted by their win probability, by expected close
  month (sales' own forecast); the repeat-revenue forecast (whole base) comes from the snapshot;
* campaign ROI: marketing's figures over the campaigns run since the period began (every
  campaign: marketing figures are not per owner), refreshed every five minutes.

What only a computation changes (the sums of the daily facts, the lifetime values) is read once
per computation and kept in the cache under that run's id; the open pipeline, the campaign
figures and a custom period's retention are read from the live tables.

Query count: fixed whatever the number of facts or customers (two queries over the facts: one
with every metric of both periods by conditional aggregation, one grouped by month for the
charts; one over the customers' values, also by conditional aggregation).
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Avg, Case, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.urls import NoReverseMatch, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.models import CustomerValue, DailyFact, ReportSnapshot
from analytics.periods import Comparison, Period
from analytics.selectors.runs import LastRun, last_run
from crm_site.access import Scope, can_use_area, record_scope, scope_queryset, team_ids, team_member_ids
from crm_site.models import Team, User
from sales.models import Opportunity, Order
from sales.selectors.metrics import ForecastRow, pipeline_forecast
from sales.totals import ZERO, money, weighted_from_sum

FAMILY = "analytics"
Metric = DailyFact.Metric
SALE_STATUSES = [Order.Status.CONFIRMED, Order.Status.DELIVERED]
CHART_MONTHS = 12
RATE = Decimal("0.0001")  # rates are fractions, shown as percentages with one decimal
TENTH = Decimal("0.1")
CENT = Decimal("0.01")


class Kind(StrEnum):
    MONEY = "money"
    COUNT = "count"
    RATE = "rate"  # a fraction 0..1; compared in percentage points
    SCORE = "score"  # an average score 1..5


@dataclass(frozen=True)
class DashboardFilter:
    """What the dashboard shows: a period and the one before it, optionally one team or owner
    (already checked to be within the user's scope by the filter form)."""

    comparison: Comparison
    team: Team | None = None
    owner: User | None = None


@dataclass
class Series:
    label: str
    values: list  # Decimal, int or None per label


@dataclass
class Figure:
    key: str
    label: str
    icon: str
    kind: Kind
    current: Decimal | int | None
    previous: Decimal | int | None = None
    # False: a figure of now (open pipeline, lifetime value), with no previous period.
    compared: bool = True
    uncompared_note: str = ""  # said instead of the previous figure when there is none to compare
    lower_is_better: bool = False
    note: str = ""
    url: str = ""
    # The small chart: labels (the last twelve months unless said otherwise) and its series.
    chart_labels: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    chart_type: str = "line"
    meter: Decimal | None = None  # a share 0..1 drawn as a bar instead of a chart
    over_months: bool = False  # the chart's labels are the dashboard's twelve months

    @property
    def change(self) -> Decimal | None:
        """Percentage points for rates; otherwise the change relative to the previous figure, in
        percent. None when there is nothing to compare with."""
        if not self.compared or self.current is None or self.previous is None:
            return None
        if self.kind == Kind.RATE:
            return ((Decimal(self.current) - Decimal(self.previous)) * 100).quantize(TENTH)
        if not self.previous:
            return None
        return ((Decimal(self.current) - Decimal(self.previous)) * 100 / abs(Decimal(self.previous))).quantize(TENTH)

    @property
    def change_unit(self) -> str:
        return _("points") if self.kind == Kind.RATE else "%"

    @property
    def tone(self) -> str:
        """Bootstrap colour of the change: green when it is good news."""
        change = self.change
        if not change:
            return "secondary"
        return "success" if (change > 0) != self.lower_is_better else "danger"


@dataclass
class Dashboard:
    filters: DashboardFilter
    scope: Scope
    computed_at: datetime.datetime | None
    months: list[datetime.date]
    figures: list[Figure]
    pipeline: list[ForecastRow]
    retention_live: bool = False  # a custom period: retention computed from the orders now

    @property
    def current(self) -> Period:
        return self.filters.comparison.current

    @property
    def previous(self) -> Period:
        return self.filters.comparison.previous

    @property
    def is_empty(self) -> bool:
        """Nothing computed yet: the page offers the first computation instead of zeros."""
        return self.computed_at is None

    @property
    def scope_label(self) -> str:
        if self.filters.owner:
            return _("Figures of %(name)s") % {"name": self.filters.owner}
        if self.filters.team:
            return _("Figures of team %(name)s") % {"name": self.filters.team}
        return {Scope.OWN: _("Your figures"), Scope.TEAM: _("Your teams' figures"), Scope.ALL: _("All figures")}.get(
            self.scope, ""
        )

    def figure(self, key: str) -> Figure | None:
        return next((figure for figure in self.figures if figure.key == key), None)

    def chart_data(self) -> dict:
        """What the charts draw, for the page's JSON block: amounts as exact decimal strings,
        rates in percent."""

        def plain(figure: Figure, value):
            if value is None:
                return None
            if figure.kind == Kind.RATE:
                return str((Decimal(value) * 100).quantize(TENTH))
            return str(value)

        return {
            figure.key: {
                "type": figure.chart_type,
                "kind": str(figure.kind),
                "labels": figure.chart_labels,
                "series": [
                    {"label": series.label, "values": [plain(figure, value) for value in series.values]}
                    for series in figure.series
                ],
            }
            for figure in self.figures
            if figure.series
        }


# --- helpers -------------------------------------------------------------------------------------


def _ratio(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE)


def _month_start(day: datetime.date, months_back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _as_date(value) -> datetime.date:
    # TruncMonth over a DateField gives a date; some backends hand back a datetime.
    return value.date() if isinstance(value, datetime.datetime) else value


def _month_label(month: datetime.date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def _scoped(queryset: QuerySet, user: User, filters: DashboardFilter, *, via: str = "") -> QuerySet:
    """``queryset`` narrowed to the user's scope and the chosen team and owner; ``via`` is the
    path to the row that carries the owner and team ("customer__" for customer-based rows)."""
    queryset = scope_queryset(queryset, user, FAMILY, owner_field=f"{via}owner", team_field=f"{via}team")
    if filters.team:
        queryset = queryset.filter(**{f"{via}team": filters.team})
    if filters.owner:
        queryset = queryset.filter(**{f"{via}owner": filters.owner})
    return queryset


# --- the daily facts -----------------------------------------------------------------------------


def _fact_sums(facts: QuerySet[DailyFact], comparison: Comparison) -> tuple[dict, dict]:
    """Every metric summed over the current and the previous period: one query."""
    periods = {"c": comparison.current, "p": comparison.previous}
    aggregates = {
        f"{prefix}_{metric.value}": Sum(
            "value", filter=Q(metric=metric, day__gte=period.first_day, day__lte=period.last_day)
        )
        for prefix, period in periods.items()
        for metric in Metric
    }
    first = min(comparison.current.first_day, comparison.previous.first_day)
    last = max(comparison.current.last_day, comparison.previous.last_day)
    sums = facts.filter(day__gte=first, day__lte=last).aggregate(**aggregates)
    current = {metric: sums[f"c_{metric.value}"] or ZERO for metric in Metric}
    previous = {metric: sums[f"p_{metric.value}"] or ZERO for metric in Metric}
    return current, previous


def _fact_months(facts: QuerySet[DailyFact], months: list[datetime.date], last_day: datetime.date) -> list[dict]:
    """Every metric summed by month over the chart's months (one grouped query)."""
    rows = (
        facts.filter(day__gte=months[0], day__lte=last_day)
        .annotate(month=TruncMonth("day"))
        .values("month", "metric")
        .annotate(total=Sum("value"))
        .order_by()
    )
    by_month = {month: dict.fromkeys(Metric, ZERO) for month in months}
    for row in rows:
        month = _as_date(row["month"])
        if month in by_month and row["metric"] in Metric.values:
            by_month[month][Metric(row["metric"])] = row["total"] or ZERO
    return [by_month[month] for month in months]


def _derive(sums: dict) -> dict:
    """The dashboard's figures from one period's (or month's) metric sums."""
    revenue = money(sums[Metric.REVENUE])
    csat_answers = int(sums[Metric.CSAT_ANSWERS])
    return {
        "revenue": revenue,
        "gross_profit": revenue - money(sums[Metric.COST_OF_GOODS]) - money(sums[Metric.RETURNS]),
        "orders": int(sums[Metric.ORDERS]),
        "new_customers": int(sums[Metric.NEW_CUSTOMERS]),
        "lost_customers": int(sums[Metric.LOST_CUSTOMERS]),
        "lead_conversion": _ratio(sums[Metric.LEADS_CONVERTED], sums[Metric.LEADS]),
        "win_rate": _ratio(sums[Metric.DEALS_WON], sums[Metric.DEALS_WON] + sums[Metric.DEALS_LOST]),
        "sla": _ratio(sums[Metric.TICKETS_IN_SLA], sums[Metric.TICKETS_RESOLVED]),
        "csat": (Decimal(sums[Metric.CSAT_SCORE]) / csat_answers).quantize(CENT) if csat_answers else None,
        # The counts behind the rates, for the notes.
        "leads": int(sums[Metric.LEADS]),
        "leads_converted": int(sums[Metric.LEADS_CONVERTED]),
        "deals_won": int(sums[Metric.DEALS_WON]),
        "deals_lost": int(sums[Metric.DEALS_LOST]),
        "tickets_resolved": int(sums[Metric.TICKETS_RESOLVED]),
        "tickets_in_sla": int(sums[Metric.TICKETS_IN_SLA]),
        "csat_answers": csat_answers,
    }


# --- retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    base: int  # customers who bought in the period before
    retained: int  # those of them who bought again in the period

    @property
    def rate(self) -> Decimal | None:
        return _ratio(self.retained, self.base)


def _retention_entry(data: dict | None, *, user: User, filters: DashboardFilter, scope: Scope) -> Retention | None:
    """Read a retention snapshot's figures for the chosen owner or team, else the user's scope
    (a manager's teams are added up: each customer counts under one team)."""
    if not data:
        return None
    owners, teams = data.get("owners") or {}, data.get("teams") or {}
    if filters.owner:
        entries = [owners.get(str(filters.owner.pk))]
    elif filters.team:
        entries = [teams.get(str(filters.team.pk))]
    elif scope == Scope.ALL:
        entries = [data.get("all")]
    elif scope == Scope.TEAM:
        entries = [teams.get(str(team)) for team in sorted(team_ids(user))]
    else:
        entries = [owners.get(str(user.pk))]
    entries = [entry for entry in entries if entry]
    return Retention(
        base=sum(int(entry.get("base", 0)) for entry in entries),
        retained=sum(int(entry.get("retained", 0)) for entry in entries),
    )


def _period_before(period: Period) -> Period:
    """The stretch of the same number of days just before ``period``."""
    last = period.first_day - datetime.timedelta(days=1)
    return Period(period.key, last - datetime.timedelta(days=period.days - 1), last)


def retention_live(*, user: User, filters: DashboardFilter) -> tuple[Retention, Retention]:
    """Retention of the current and the previous period computed from the orders now, in one
    query (for a custom period, which the nightly computation cannot snapshot): the customers
    (by their owner and team) who bought in each of the three periods, then counted.

    Slower than reading a snapshot: it reads three periods of orders."""
    current, previous = filters.comparison.current, filters.comparison.previous
    before = _period_before(previous)
    windows = {"in_current": current, "in_previous": previous, "in_before": before}
    orders = _scoped(
        Order.objects.filter(status__in=SALE_STATUSES, ordered_at__gte=before.start, ordered_at__lt=current.end),
        user,
        filters,
        via="customer__",
    )
    flags = {
        name: Max(
            Case(
                When(ordered_at__gte=period.start, ordered_at__lt=period.end, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        for name, period in windows.items()
    }
    counts = (
        orders.values("customer_id")
        .annotate(**flags)
        .order_by()
        .aggregate(
            base=Sum("in_previous"),
            retained=Sum(F("in_previous") * F("in_current")),
            base_before=Sum("in_before"),
            retained_before=Sum(F("in_before") * F("in_previous")),
        )
    )
    return (
        Retention(base=counts["base"] or 0, retained=counts["retained"] or 0),
        Retention(base=counts["base_before"] or 0, retained=counts["retained_before"] or 0),
    )


# --- lifetime value, pipeline, campaigns -----------------------------------------------------------


def _lifetime_value(user: User, filters: DashboardFilter, months: list[datetime.date], last_day) -> dict:
    """The average historic and predicted lifetime value over the customers in scope, and the
    averages by month acquired for the chart: one scan of the customers' values (conditional
    aggregation), whatever the number of customers."""
    ends = [*months[1:], last_day + datetime.timedelta(days=1)]
    aggregates = {"historic": Avg("clv_historic"), "predicted": Avg("clv_predicted")}
    for index, (first, after) in enumerate(zip(months, ends, strict=True)):
        acquired = Q(acquired_on__gte=first, acquired_on__lt=after)
        aggregates[f"historic_{index}"] = Avg("clv_historic", filter=acquired)
        aggregates[f"predicted_{index}"] = Avg("clv_predicted", filter=acquired)
    averages = _scoped(CustomerValue.objects.all(), user, filters, via="customer__").aggregate(**aggregates)

    def amount(value) -> Decimal | None:
        return None if value is None else money(Decimal(value))

    return {
        "historic": amount(averages["historic"]),
        "predicted": amount(averages["predicted"]),
        "historic_by_month": [amount(averages[f"historic_{index}"]) for index in range(len(months))],
        "predicted_by_month": [amount(averages[f"predicted_{index}"]) for index in range(len(months))],
    }


# --- what only a computation changes, kept until the next one ------------------------------------

COMPUTED_CACHE_SECONDS = 24 * 3600


def _scope_signature(user: User, scope: Scope) -> str:
    """Who the user's scope reaches, for a cache key: everyone, one user, or their teams and
    members (a change of team gives another key)."""
    if scope == Scope.ALL:
        return "all"
    if scope == Scope.TEAM:
        reach = f"{sorted(team_ids(user))}:{sorted(team_member_ids(user))}"
        return "team:" + hashlib.sha256(reach.encode()).hexdigest()[:16]
    return f"own:{user.pk}"


def _computed_figures(
    *, user: User, filters: DashboardFilter, scope: Scope, months: list[datetime.date], run: LastRun | None
) -> dict:
    """The figures summed from what the computation wrote (the daily facts and the customers'
    values) for the user's scope and filters. They change only when a computation runs, so they
    are read once per computation and kept in the cache under that run's id: the next run's
    figures come with a new key (three aggregate queries on a miss, none on a hit)."""
    comparison = filters.comparison

    def read() -> dict:
        facts = _scoped(DailyFact.objects.all(), user, filters)
        current, previous = _fact_sums(facts, comparison)
        return {
            "current": current,
            "previous": previous,
            "monthly": _fact_months(facts, months, comparison.current.last_day),
            "value": _lifetime_value(user, filters, months, comparison.current.last_day),
        }

    if run is None:  # nothing computed: nothing worth keeping
        return read()
    parts = [
        "analytics:dashboard:v1",
        str(run.pk),
        run.finished_at.isoformat(),
        _scope_signature(user, scope),
        str(filters.team.pk if filters.team else ""),
        str(filters.owner.pk if filters.owner else ""),
        comparison.current.first_day.isoformat(),
        comparison.current.last_day.isoformat(),
        comparison.previous.first_day.isoformat(),
        comparison.previous.last_day.isoformat(),
    ]
    return cache.get_or_set(":".join(parts), read, COMPUTED_CACHE_SECONDS)


def _pipeline(*, user: User, filters: DashboardFilter, today: datetime.date) -> list[ForecastRow]:
    """The open pipeline in the analytics scope by expected close month, weighted by win
    probability: sales' own forecast rows (the sales home page's)."""
    opportunities = _scoped(Opportunity.objects.all(), user, filters)
    return pipeline_forecast(opportunities=opportunities, today=today)


# Campaign figures move during the day (messages go out, orders come in) but an overview can be a
# few minutes behind: the six queries of marketing's summary run once per period and interval.
CAMPAIGN_CACHE_SECONDS = 5 * 60


def _campaign_roi(comparison: Comparison) -> dict:
    # Imported here: marketing's selectors pull in its whole app, needed only by those who see it.
    from marketing.selectors.campaigns import campaigns_roi_summary

    since = comparison.current.start
    key = f"analytics:dashboard:v1:campaign_roi:{since.isoformat()}"
    return cache.get_or_set(key, lambda: campaigns_roi_summary(since=since), CAMPAIGN_CACHE_SECONDS)


# --- drill-down links ----------------------------------------------------------------------------


def _url(name: str, **params) -> str:
    try:
        url = reverse(name)
    except NoReverseMatch:  # a report not installed yet: no link rather than a broken page
        return ""
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{url}?{query}" if query else url


def _drill_urls(user: User, filters: DashboardFilter) -> dict[str, str]:
    """The list behind each figure, filtered like the dashboard where the list can be; only the
    lists the user may open."""
    current = filters.comparison.current
    team = filters.team.pk if filters.team else None
    owner = filters.owner.pk if filters.owner else None
    people = {"team": team, "owner": owner}
    # The reports take a listed period (not a custom one) and an owner.
    report = {"period": current.key if current.key != "custom" else None, "owner": owner}
    urls: dict[str, str] = {}
    if can_use_area(user, "sales"):
        orders = _url(
            "sales:order_list",
            ordered_after=current.first_day.isoformat(),
            ordered_before=current.last_day.isoformat(),
            owner=owner,
        )
        urls |= {"revenue": orders, "gross_profit": orders, "orders": orders}
        urls["pipeline"] = _url("sales:opportunity_list", status=Opportunity.Status.OPEN, **people)
        urls["win_rate"] = _url("sales:opportunity_list", status=Opportunity.Status.WON, **people)
        urls["lead_conversion"] = _url("sales:lead_list", owner=owner)
    if can_use_area(user, "customers"):
        urls["new_customers"] = _url(
            "customers:index",
            created_after=current.first_day.isoformat(),
            created_before=current.last_day.isoformat(),
            **people,
        )
    if can_use_area(user, "service"):
        urls["sla"] = urls["csat"] = _url("service:ticket_list", **people)
    if can_use_area(user, "marketing"):
        urls["campaign_roi"] = _url("marketing:campaign_list")
    urls["lost_customers"] = urls["retention"] = _url("analytics:churn", **report)
    urls["lifetime_value"] = _url("analytics:value", owner=owner)
    urls["repeat_forecast"] = _url("analytics:forecast")
    return urls


# --- the dashboard -------------------------------------------------------------------------------


def _snapshots(period_key: str) -> dict[str, ReportSnapshot]:
    """The retention snapshot of the period and the forecast snapshot (one query)."""
    rows = ReportSnapshot.objects.filter(Q(kind="retention", variant=period_key) | Q(kind="forecast", variant=""))
    return {row.kind: row for row in rows}


def _repeat_forecast_figure(snapshot: ReportSnapshot | None, url: str) -> Figure | None:
    """The next months' repeat revenue the time series predicts (whole base), with the last
    twelve months of history before it."""
    if snapshot is None:
        return None
    data = snapshot.data or {}
    history, forecast = data.get("history") or {}, data.get("forecast") or {}
    future = [money(Decimal(value)) for value in forecast.get("revenue") or []]
    if not future:
        return None
    past_months = (history.get("months") or [])[-CHART_MONTHS:]
    past = [money(Decimal(value)) for value in (history.get("revenue") or [])[-CHART_MONTHS:]]
    mape = (data.get("backtest") or {}).get("mape")
    note = _("Next %(months)d months, whole base") % {"months": len(future)}
    if mape is not None:
        note += " · " + _("backtest error %(mape)s%%") % {"mape": formats.number_format(mape * 100, 1)}
    labels = [*past_months, *(forecast.get("months") or [])]
    return Figure(
        key="repeat_forecast",
        label=_("Repeat revenue forecast"),
        icon="graph-up-arrow",
        kind=Kind.MONEY,
        current=sum(future, ZERO),
        compared=False,
        uncompared_note=_("Predicted for the coming months"),
        note=note,
        url=url,
        chart_labels=labels,
        series=[
            Series(_("Repeat revenue"), [*past, *[None] * len(future)]),
            Series(_("Forecast"), [*[None] * len(past), *future]),
        ],
    )


@dataclass(frozen=True)
class _Context:
    """What every figure's builder needs to know."""

    user: User
    filters: DashboardFilter
    scope: Scope
    today: datetime.date
    months: list[datetime.date]
    labels: list[str]
    urls: dict[str, str]


def _count(value: int) -> str:
    return formats.number_format(value, force_grouping=True)


def _amount(value: Decimal) -> str:
    return formats.number_format(value, 0, force_grouping=True)


def _fact_figures(ctx: _Context, current: dict, previous: dict, monthly: list[dict]) -> dict[str, Figure]:
    """The figures summed from the daily facts, by key."""

    def figure(key: str, label: str, icon: str, kind: Kind, note: str, **extra) -> Figure:
        return Figure(
            key=key,
            label=label,
            icon=icon,
            kind=kind,
            current=current[key],
            previous=previous[key],
            note=note,
            url=ctx.urls.get(key, ""),
            chart_labels=ctx.labels,
            series=[Series(label, [month[key] for month in monthly])],
            over_months=True,
            **extra,
        )

    leads, converted = current["leads"], current["leads_converted"]
    won, lost = current["deals_won"], current["deals_lost"]
    resolved, in_time = current["tickets_resolved"], current["tickets_in_sla"]
    answers = current["csat_answers"]
    figures = [
        figure("revenue", _("Revenue"), "cash-coin", Kind.MONEY, _("Net of discounts, before tax")),
        figure(
            "gross_profit", _("Gross profit"), "piggy-bank", Kind.MONEY, _("Revenue less cost of goods and returns")
        ),
        figure("orders", _("Orders"), "receipt", Kind.COUNT, _("Confirmed or delivered"), chart_type="bar"),
        figure(
            "new_customers",
            _("New customers"),
            "person-plus",
            Kind.COUNT,
            _("First purchase in the period"),
            chart_type="bar",
        ),
        figure(
            "lost_customers",
            _("Lost customers"),
            "person-dash",
            Kind.COUNT,
            _("No purchase for too long, or marked lost"),
            chart_type="bar",
            lower_is_better=True,
        ),
        figure(
            "lead_conversion",
            _("Lead conversion"),
            "person-check",
            Kind.RATE,
            ngettext("%(converted)s of %(leads)s lead converted", "%(converted)s of %(leads)s leads converted", leads)
            % {"converted": _count(converted), "leads": _count(leads)}
            if leads
            else _("No leads in the period"),
        ),
        figure(
            "win_rate",
            _("Win rate"),
            "trophy",
            Kind.RATE,
            _("%(won)s won, %(lost)s lost") % {"won": _count(won), "lost": _count(lost)}
            if won + lost
            else _("No deals closed in the period"),
        ),
        figure(
            "sla",
            _("SLA compliance"),
            "stopwatch",
            Kind.RATE,
            ngettext(
                "%(in_time)s of %(resolved)s ticket resolved in time",
                "%(in_time)s of %(resolved)s tickets resolved in time",
                resolved,
            )
            % {"in_time": _count(in_time), "resolved": _count(resolved)}
            if resolved
            else _("No tickets resolved in the period"),
        ),
        figure(
            "csat",
            _("Customer satisfaction"),
            "emoji-smile",
            Kind.SCORE,
            ngettext("Average of %(answers)s answer, 1 to 5", "Average of %(answers)s answers, 1 to 5", answers)
            % {"answers": _count(answers)}
            if answers
            else _("No survey answers in the period"),
        ),
    ]
    return {figure.key: figure for figure in figures}


def _retention_figure(ctx: _Context, snapshot: ReportSnapshot | None) -> Figure:
    """The period's retention from its snapshot, or computed now for a custom period."""
    if ctx.filters.comparison.current.key == "custom":
        now, before = retention_live(user=ctx.user, filters=ctx.filters)
    else:
        data = snapshot.data if snapshot else None
        now = _retention_entry(data, user=ctx.user, filters=ctx.filters, scope=ctx.scope)
        # The period before's figure, when the snapshot carries it.
        before = _retention_entry((data or {}).get("previous"), user=ctx.user, filters=ctx.filters, scope=ctx.scope)
    if now is None:
        note = _("Not computed yet")
    elif now.base:
        note = ngettext(
            "%(retained)s of %(base)s customer of the previous period bought again",
            "%(retained)s of %(base)s customers of the previous period bought again",
            now.base,
        ) % {"retained": _count(now.retained), "base": _count(now.base)}
    else:
        note = _("Nobody bought in the previous period")
    return Figure(
        key="retention",
        label=_("Retention rate"),
        icon="arrow-repeat",
        kind=Kind.RATE,
        current=now.rate if now else None,
        previous=before.rate if before else None,
        note=note,
        url=ctx.urls.get("retention", ""),
        meter=now.rate if now else None,
    )


def _lifetime_value_figure(ctx: _Context, value: dict) -> Figure:
    if value["predicted"] is not None:
        note = _("Predicted %(amount)s over the horizon") % {"amount": _amount(value["predicted"])}
    else:
        note = _("Historic lifetime value")
    return Figure(
        key="lifetime_value",
        label=_("Average lifetime value"),
        icon="gem",
        kind=Kind.MONEY,
        current=value["historic"],
        compared=False,
        uncompared_note=_("As last computed, not per period"),
        note=note,
        url=ctx.urls.get("lifetime_value", ""),
        chart_labels=ctx.labels,
        series=[
            Series(_("Historic, by month acquired"), value["historic_by_month"]),
            Series(_("Predicted, by month acquired"), value["predicted_by_month"]),
        ],
        over_months=True,
    )


def _pipeline_figure(ctx: _Context, pipeline: list[ForecastRow]) -> Figure:
    open_count = sum(row.count for row in pipeline)
    open_total = sum((row.total for row in pipeline), ZERO)
    return Figure(
        key="pipeline",
        label=_("Weighted pipeline"),
        icon="funnel",
        kind=Kind.MONEY,
        # Rounded once over the whole pipeline, as sales' own pages do.
        current=weighted_from_sum(sum((row.weighted_raw for row in pipeline), ZERO)),
        compared=False,
        uncompared_note=_("Open now, not per period"),
        note=ngettext("%(count)s open, %(total)s in total", "%(count)s open, %(total)s in total", open_count)
        % {"count": _count(open_count), "total": _amount(open_total)},
        url=ctx.urls.get("pipeline", ""),
        chart_labels=[row.label for row in pipeline],
        series=[Series(_("Weighted"), [row.weighted for row in pipeline])] if pipeline else [],
        chart_type="bar",
    )


def _campaign_roi_figure(ctx: _Context) -> Figure:
    roi = _campaign_roi(ctx.filters.comparison)
    first_day = formats.date_format(ctx.filters.comparison.current.first_day, "SHORT_DATE_FORMAT")
    note = ngettext(
        "%(campaigns)s campaign since %(day)s: profit %(profit)s on %(cost)s spent",
        "%(campaigns)s campaigns since %(day)s: profit %(profit)s on %(cost)s spent",
        roi["campaigns"],
    ) % {
        "campaigns": _count(roi["campaigns"]),
        "day": first_day,
        "profit": _amount(roi["profit"]),
        "cost": _amount(roi["cost"]),
    }
    return Figure(
        key="campaign_roi",
        label=_("Campaign ROI"),
        icon="megaphone",
        kind=Kind.RATE,
        current=roi["roi"],
        compared=False,
        uncompared_note=_("Not compared: campaigns since the period began"),
        note=note,
        url=ctx.urls.get("campaign_roi", ""),
    )


def dashboard_figures(*, user: User, filters: DashboardFilter, today: datetime.date) -> Dashboard:
    """Every figure of the dashboard for what ``user`` may see and the chosen filters."""
    comparison = filters.comparison
    months = [_month_start(comparison.current.last_day, back) for back in range(CHART_MONTHS - 1, -1, -1)]
    ctx = _Context(
        user=user,
        filters=filters,
        scope=record_scope(user, FAMILY),
        today=today,
        months=months,
        labels=[_month_label(month) for month in months],
        urls=_drill_urls(user, filters),
    )
    run = last_run()
    computed = _computed_figures(user=user, filters=filters, scope=ctx.scope, months=months, run=run)
    monthly = [_derive(sums) for sums in computed["monthly"]]
    by_key = _fact_figures(ctx, _derive(computed["current"]), _derive(computed["previous"]), monthly)
    snapshots = _snapshots(comparison.current.key)
    pipeline = _pipeline(user=user, filters=filters, today=today)

    figures = [by_key[key] for key in ("revenue", "gross_profit", "orders", "new_customers", "lost_customers")]
    figures += [_retention_figure(ctx, snapshots.get("retention")), _lifetime_value_figure(ctx, computed["value"])]
    figures.append(_pipeline_figure(ctx, pipeline))
    # The repeat-revenue forecast covers the whole base: shown only to those who see all of it.
    if ctx.scope == Scope.ALL and not filters.team and not filters.owner:
        forecast = _repeat_forecast_figure(snapshots.get("forecast"), ctx.urls.get("repeat_forecast", ""))
        figures += [forecast] if forecast else []
    figures += [by_key[key] for key in ("lead_conversion", "win_rate", "sla", "csat")]
    # Campaign figures are marketing's, for the whole base: for those who use the marketing area.
    if can_use_area(user, "marketing"):
        figures.append(_campaign_roi_figure(ctx))

    return Dashboard(
        filters=filters,
        scope=ctx.scope,
        computed_at=run.finished_at if run else _latest_snapshot_time(snapshots),
        months=months,
        figures=figures,
        pipeline=pipeline,
        retention_live=comparison.current.key == "custom",
    )


def _latest_snapshot_time(snapshots: dict[str, ReportSnapshot]) -> datetime.datetime | None:
    times = [snapshot.computed_at for snapshot in snapshots.values()]
    return max(times) if times else None
