"""The figures of the service home page, for the tickets the user may see.

Every figure comes from a handful of aggregate queries (GROUP BY in the database), so the page
costs the same at ten tickets and at a hundred thousand; Python only merges the few grouped rows.

Definitions (also written on the page):
* open: every ticket not resolved or closed, now;
* first-response compliance in a period: the tickets whose first-response deadline fell in the
  period (up to now) or that got their first response in it; met when the first response came at
  or before the deadline. A ticket whose deadline passed without a response counts as missed;
* resolution compliance: the same with the resolution deadline and the resolution time; a ticket
  whose clock is paused (waiting on the customer) is left out until it is resolved;
* breaches: the breaches the SLA job marked in the period (first response and resolution apart);
* hand-offs: the average number of transfers of the tickets created in the period, and how many
  of them were transferred more often than the service settings allow;
* satisfaction (CSAT): the average score of the surveys answered in the period, 1 to 5;
* complaints by category: complaints created in each of the last twelve months, by top-level
  category.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm_site.access import Scope, record_scope, scope_queryset
from crm_site.dates import local_midnight
from crm_site.models import User
from service.models import SatisfactionSurvey, ServiceSettings, Ticket, TicketCategory

FAMILY = "service"
OPEN_STATUSES = [
    Ticket.Status.NEW,
    Ticket.Status.OPEN,
    Ticket.Status.WAITING_CUSTOMER,
    Ticket.Status.WAITING_CONTRACTOR,
]
COMPLAINT_MONTHS = 12
# Python's weekday() of the first day of the week: Saturday, as the Iranian week starts.
WEEK_STARTS_ON = 5


def tickets_for(*, user: User) -> QuerySet[Ticket]:
    return scope_queryset(Ticket.objects.all(), user, FAMILY, owner_field="owner", team_field="team")


def surveys_for(*, user: User) -> QuerySet[SatisfactionSurvey]:
    # A survey is the user's to see when its ticket is.
    return scope_queryset(
        SatisfactionSurvey.objects.all(), user, FAMILY, owner_field="ticket__owner", team_field="ticket__team"
    )


# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: datetime.datetime
    end: datetime.datetime  # now: figures never look into the future


def dashboard_periods(*, now: datetime.datetime) -> list[Period]:
    """This week (from Saturday) and this month, each up to ``now``."""
    today = timezone.localtime(now).date()
    week_start = today - datetime.timedelta(days=(today.weekday() - WEEK_STARTS_ON) % 7)
    return [
        Period("week", _("This week"), local_midnight(week_start), now),
        Period("month", _("This month"), local_midnight(today.replace(day=1)), now),
    ]


def _months_back(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


# --- figures -------------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


@dataclass
class Compliance:
    met: int = 0
    total: int = 0

    @property
    def missed(self) -> int:
        return self.total - self.met

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.met, self.total)


@dataclass
class PeriodFigures:
    period: Period
    first_response: Compliance
    resolution: Compliance
    first_response_breaches: int = 0
    resolution_breaches: int = 0
    created: int = 0
    handoffs: int = 0
    over_handoff_limit: int = 0
    csat_average: Decimal | None = None
    csat_answers: int = 0

    @property
    def breaches(self) -> int:
        return self.first_response_breaches + self.resolution_breaches

    @property
    def average_handoffs(self) -> Decimal | None:
        if not self.created:
            return None
        return (Decimal(self.handoffs) / Decimal(self.created)).quantize(Decimal("0.01"))


@dataclass
class CountRow:
    key: object  # the status, priority or owner id the row links to
    label: str
    count: int
    breached: int = 0


@dataclass
class ServiceDashboard:
    scope: Scope
    open_count: int
    open_breached: int
    by_status: list[CountRow]
    by_priority: list[CountRow]
    by_owner: list[CountRow]
    periods: list[PeriodFigures]
    handoff_limit: int
    chart: dict = field(default_factory=dict)

    @property
    def week(self) -> PeriodFigures:
        return self.periods[0]

    @property
    def month(self) -> PeriodFigures:
        return self.periods[1]

    @property
    def scope_label(self) -> str:
        return {Scope.OWN: _("Your tickets"), Scope.TEAM: _("Your team's tickets"), Scope.ALL: _("All tickets")}.get(
            self.scope, ""
        )


def _between(column: str, period: Period) -> Q:
    return Q(**{f"{column}__gte": period.start, f"{column}__lte": period.end})


def _period_aggregates(period: Period, handoff_limit: int) -> dict:
    """The conditional counts of one period, keyed ``<period>_<figure>`` (one SELECT for all periods)."""
    key = period.key
    fr_counted = Q(first_response_due_at__isnull=False) & (
        _between("first_response_due_at", period) | _between("first_response_at", period)
    )
    fr_met = Q(first_response_at__isnull=False, first_response_at__lte=F("first_response_due_at"))
    resolution_counted = (
        Q(resolution_due_at__isnull=False)
        & (_between("resolution_due_at", period) | _between("resolved_at", period))
        & ~Q(sla_paused_at__isnull=False, resolved_at__isnull=True)
    )
    resolution_met = Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at"))
    created = _between("created_at", period)
    return {
        f"{key}_fr_total": Count("id", filter=fr_counted),
        f"{key}_fr_met": Count("id", filter=fr_counted & fr_met),
        f"{key}_res_total": Count("id", filter=resolution_counted),
        f"{key}_res_met": Count("id", filter=resolution_counted & resolution_met),
        f"{key}_fr_breaches": Count("id", filter=_between("first_response_breached_at", period)),
        f"{key}_res_breaches": Count("id", filter=_between("resolution_breached_at", period)),
        f"{key}_created": Count("id", filter=created),
        f"{key}_handoffs": Sum("handoffs", filter=created),
        f"{key}_over_limit": Count("id", filter=created & Q(handoffs__gt=handoff_limit)),
    }


def _user_names(ids: set[int | None]) -> dict[int, str]:
    users = User.objects.filter(pk__in=ids - {None}).values_list("pk", "first_name", "last_name", "username")
    return {pk: f"{first} {last}".strip() or username for pk, first, last, username in users}


def service_dashboard(*, user: User, now: datetime.datetime | None = None) -> ServiceDashboard:
    """Every figure of the service home page for what ``user`` may see: five aggregate queries
    and three small ones (the settings row, the names of the owners and of the categories)."""
    now = now or timezone.now()
    tickets = tickets_for(user=user)
    handoff_limit = ServiceSettings.load().handoff_limit
    periods = dashboard_periods(now=now)

    # 1. Open tickets now, by status, priority and owner, with how many of them breached.
    open_groups = list(
        tickets.filter(status__in=OPEN_STATUSES)
        .values("status", "priority", "owner_id")
        .annotate(
            count=Count("id"),
            breached=Count(
                "id", filter=Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
            ),
        )
        .order_by()
    )
    # 2. Compliance, breaches and hand-offs of both periods.
    aggregates: dict = {}
    for period in periods:
        aggregates.update(_period_aggregates(period, handoff_limit))
    totals = tickets.aggregate(**aggregates)
    # 3. Satisfaction answers of both periods.
    csat = surveys_for(user=user).aggregate(
        **{
            name: aggregate
            for period in periods
            for name, aggregate in (
                (f"{period.key}_avg", Avg("score", filter=_between("answered_at", period) & Q(score__isnull=False))),
                (
                    f"{period.key}_count",
                    Count("id", filter=_between("answered_at", period) & Q(score__isnull=False)),
                ),
            )
        }
    )
    # 4. Complaints by month and category over the last twelve months.
    first_month = _months_back(timezone.localtime(now).date(), COMPLAINT_MONTHS - 1)
    complaint_groups = list(
        tickets.filter(kind=Ticket.Kind.COMPLAINT, created_at__gte=local_midnight(first_month), created_at__lte=now)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "category_id")
        .annotate(count=Count("id"))
        .order_by()
    )

    figures = [
        PeriodFigures(
            period=period,
            first_response=Compliance(met=totals[f"{period.key}_fr_met"], total=totals[f"{period.key}_fr_total"]),
            resolution=Compliance(met=totals[f"{period.key}_res_met"], total=totals[f"{period.key}_res_total"]),
            first_response_breaches=totals[f"{period.key}_fr_breaches"],
            resolution_breaches=totals[f"{period.key}_res_breaches"],
            created=totals[f"{period.key}_created"],
            handoffs=totals[f"{period.key}_handoffs"] or 0,
            over_handoff_limit=totals[f"{period.key}_over_limit"],
            csat_average=(
                Decimal(str(csat[f"{period.key}_avg"])).quantize(Decimal("0.01"))
                if csat[f"{period.key}_avg"] is not None
                else None
            ),
            csat_answers=csat[f"{period.key}_count"],
        )
        for period in periods
    ]
    dashboard = ServiceDashboard(
        scope=record_scope(user, FAMILY),
        open_count=sum(row["count"] for row in open_groups),
        open_breached=sum(row["breached"] for row in open_groups),
        by_status=_by_status(open_groups),
        by_priority=_by_priority(open_groups),
        by_owner=_by_owner(open_groups),
        periods=figures,
        handoff_limit=handoff_limit,
    )
    dashboard.chart = {
        "complaints": _complaints_chart(complaint_groups, first_month),
        "status": {
            "labels": [row.label for row in dashboard.by_status],
            "values": [row.count for row in dashboard.by_status],
            "label": _("Open tickets"),
        },
    }
    return dashboard


def _by_status(groups: list[dict]) -> list[CountRow]:
    counts: dict[str, CountRow] = {status: CountRow(status, Ticket.Status(status).label, 0) for status in OPEN_STATUSES}
    for row in groups:
        counts[row["status"]].count += row["count"]
        counts[row["status"]].breached += row["breached"]
    return list(counts.values())


def _by_priority(groups: list[dict]) -> list[CountRow]:
    counts: dict[int, CountRow] = {
        value: CountRow(value, label, 0) for value, label in reversed(Ticket.Priority.choices)
    }
    for row in groups:
        target = counts.setdefault(row["priority"], CountRow(row["priority"], str(row["priority"]), 0))
        target.count += row["count"]
        target.breached += row["breached"]
    return list(counts.values())


def _by_owner(groups: list[dict]) -> list[CountRow]:
    names = _user_names({row["owner_id"] for row in groups})
    counts: dict[int | None, CountRow] = {}
    for row in groups:
        owner = row["owner_id"]
        target = counts.setdefault(owner, CountRow(owner, names.get(owner, _("Unassigned")), 0))
        target.count += row["count"]
        target.breached += row["breached"]
    return sorted(counts.values(), key=lambda row: (-row.count, row.label))


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _complaints_chart(groups: list[dict], first_month: datetime.date) -> dict:
    """One stacked series per top-level category, one bar per month (oldest first)."""
    months = [_months_back(first_month, -offset) for offset in range(COMPLAINT_MONTHS)]
    # The category tree is small (tens of rows): read once for the names of the roots.
    categories = (
        {pk: (path, name) for pk, path, name in TicketCategory.objects.values_list("pk", "path", "name")}
        if groups
        else {}
    )
    root_names = {pk: name for pk, (path, name) in categories.items() if path.count("/") <= 1}
    series: dict[str, list[int]] = {}
    for row in groups:
        category = categories.get(row["category_id"])
        if category is None:
            label = _("No category")
        else:
            root_id = int(category[0].split("/", 1)[0])
            label = root_names.get(root_id, category[1])
        month = _as_date(row["month"])
        if month not in months:
            continue
        series.setdefault(label, [0] * COMPLAINT_MONTHS)[months.index(month)] += row["count"]
    return {
        "labels": [formats.date_format(month, "YEAR_MONTH_FORMAT") for month in months],
        "series": [{"label": label, "values": values} for label, values in sorted(series.items())],
        "total": sum(sum(values) for values in series.values()),
    }
