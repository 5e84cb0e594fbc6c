"""Reads of activities, scoped to the user: a rep sees the activities assigned to them, a manager
those of their team's members, admin all ("sales" family, owned by the assignee)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from crm_site.access import Action, Role, Scope, get_for_user_or_404, record_scope, scope_queryset, team_member_ids
from crm_site.models import User
from customers.models import Customer
from customers.selectors import customers_for
from sales.models import Activity, Lead, Opportunity

FAMILY = "sales"
SCOPE = {"owner_field": "assignee", "team_field": None}
SALES_ROLES = (Role.ADMIN, Role.MANAGER, Role.SALES_REP)
MY_DAY_CAP = 50
UPCOMING_DAYS = 7
PANEL_LIMIT = 8


def activities_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Activity]:
    return scope_queryset(Activity.objects.all(), user, FAMILY, action, **SCOPE)


def activity_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Activity:
    queryset = Activity.objects.select_related(
        "assignee", "created_by", "customer", "lead", "opportunity", "follow_up_of", "interaction"
    )
    return get_for_user_or_404(queryset, user, FAMILY, action, pk=pk, **SCOPE)


def activity_follow_ups(*, activity: Activity) -> QuerySet[Activity]:
    return activity.follow_ups.select_related("assignee").order_by("due_at", "id")


def activity_list_queryset(*, user: User) -> QuerySet[Activity]:
    return activities_for(user=user).select_related("assignee", "customer", "lead", "opportunity")


def assignable_users(*, user: User) -> QuerySet[User]:
    """Who ``user`` may give an activity to: people who work in sales, within the user's "sales"
    change scope (a rep: themselves; a manager: their team; admin: anyone in sales)."""
    scope = record_scope(user, FAMILY, Action.CHANGE)
    users = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    if scope == Scope.NONE:
        return users.none()
    in_sales = Q(is_superuser=True) | Exists(
        Group.user_set.through.objects.filter(user_id=OuterRef("pk"), group__name__in=[r.value for r in SALES_ROLES])
    )
    users = users.filter(in_sales)
    if scope == Scope.ALL:
        return users
    if scope == Scope.TEAM:
        return users.filter(pk__in=team_member_ids(user))
    return users.filter(pk=user.pk)


def visible_customer(*, user: User, pk) -> Customer | None:
    return customers_for(user=user).filter(pk=pk).first()


def visible_customer_by_code(*, user: User, code: str) -> Customer | None:
    return customers_for(user=user).filter(code__iexact=code.strip()).first()


def visible_lead(*, user: User, pk) -> Lead | None:
    return (
        scope_queryset(Lead.objects.all(), user, FAMILY, owner_field="owner", team_field="team").filter(pk=pk).first()
    )


def visible_opportunity(*, user: User, pk) -> Opportunity | None:
    queryset = scope_queryset(Opportunity.objects.all(), user, FAMILY, owner_field="owner", team_field="team")
    return queryset.select_related("customer").filter(pk=pk).first()


@dataclass(frozen=True)
class DaySection:
    key: str
    activities: list[Activity]
    has_more: bool


def local_day_start(now: datetime) -> datetime:
    """Midnight that began the current day in the current time zone (aware)."""
    today = timezone.localdate(now)
    return timezone.make_aware(datetime.combine(today, time.min))


def my_day(*, user: User, now: datetime | None = None, cap: int = MY_DAY_CAP) -> list[DaySection]:
    """The user's own open activities: overdue (due before today), today, and the next days;
    ``cap`` rows each (three queries, whatever the numbers)."""
    now = now or timezone.now()
    today = local_day_start(now)
    tomorrow = timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), time.min))
    horizon = timezone.make_aware(
        datetime.combine(timezone.localdate(now) + timedelta(days=UPCOMING_DAYS + 1), time.min)
    )
    base = Activity.objects.filter(assignee=user, status=Activity.Status.OPEN).select_related(
        "customer", "lead", "opportunity"
    )
    ranges = {
        "overdue": Q(due_at__lt=today),
        "today": Q(due_at__gte=today, due_at__lt=tomorrow),
        "upcoming": Q(due_at__gte=tomorrow, due_at__lt=horizon),
    }
    sections = []
    for key, condition in ranges.items():
        rows = list(base.filter(condition).order_by("due_at", "id")[: cap + 1])
        sections.append(DaySection(key=key, activities=rows[:cap], has_more=len(rows) > cap))
    return sections


def my_day_bounds(*, now: datetime | None = None) -> dict[str, str]:
    """The list filter's dates that match each section (for "see all" links)."""
    today = timezone.localdate(now or timezone.now())
    return {
        "today": today.isoformat(),
        "tomorrow": (today + timedelta(days=1)).isoformat(),
        "horizon": (today + timedelta(days=UPCOMING_DAYS)).isoformat(),
    }


def customer_activities_panel(*, user: User, customer: Customer, limit: int = PANEL_LIMIT) -> dict:
    """The customer's open activities the user may see, next due first (one query)."""
    rows = list(
        activities_for(user=user)
        .filter(customer=customer, status=Activity.Status.OPEN)
        .select_related("assignee")
        .order_by("due_at", "id")[: limit + 1]
    )
    return {"activities": rows[:limit], "has_more": len(rows) > limit, "now": timezone.now()}
