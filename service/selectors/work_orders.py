"""Reads of work orders: staff reach them through the ticket they belong to (record family
"service"); a contractor reaches only the orders assigned to them, and nothing else."""

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from crm_site.access import Action, Role, get_for_user_or_404, has_role, scope_queryset
from crm_site.models import User
from service.models import Skill, Ticket, WorkOrder, WorkOrderUpdate

FAMILY = "service"
OPEN_STATUSES = (WorkOrder.Status.OFFERED, WorkOrder.Status.ACCEPTED, WorkOrder.Status.IN_PROGRESS)

# --- staff -------------------------------------------------------------------------------------


def work_order_ticket_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Ticket:
    """The ticket a staff member works orders on: 404 when unseen, 403 when seen but not theirs to change."""
    queryset = Ticket.objects.select_related("category__skill", "customer")
    return get_for_user_or_404(queryset, user, FAMILY, action, owner_field="owner", team_field="team", pk=pk)


def _updates_prefetch() -> Prefetch:
    return Prefetch("updates", queryset=WorkOrderUpdate.objects.select_related("author").order_by("created_at", "id"))


def work_orders_for_ticket(*, ticket: Ticket) -> QuerySet[WorkOrder]:
    """A ticket's work orders, newest first, with their contractor, company and updates."""
    return (
        ticket.work_orders.select_related("contractor__contractor__company", "created_by")
        .prefetch_related(_updates_prefetch())
        .order_by("-created_at", "-id")
    )


def work_order_staff_get(*, user: User, pk: int, action: Action = Action.VIEW) -> WorkOrder:
    """A work order through the scope of its ticket."""
    queryset = WorkOrder.objects.select_related("ticket", "contractor")
    return get_for_user_or_404(
        queryset, user, FAMILY, action, owner_field="ticket__owner", team_field="ticket__team", pk=pk
    )


def work_order_update_staff_get(*, user: User, pk: int) -> WorkOrderUpdate:
    """A work order update (for its photo) whose ticket the user may see."""
    visible = scope_queryset(
        WorkOrderUpdate.objects.exclude(photo=""),
        user,
        FAMILY,
        owner_field="work_order__ticket__owner",
        team_field="work_order__ticket__team",
    )
    update = visible.filter(pk=pk).first()
    if update is None:
        raise Http404
    return update


def contractor_choices(*, skill: Skill | None = None) -> QuerySet[User]:
    """The contractors a work order can go to: active users in the Contractor role whose
    company is active, optionally only those with ``skill``."""
    queryset = User.objects.filter(
        is_active=True,
        groups__name=Role.CONTRACTOR.value,
        contractor__isnull=False,
        contractor__company__is_active=True,
    ).select_related("contractor__company")
    if skill is not None:
        queryset = queryset.filter(contractor__skills=skill)
    return queryset.distinct().order_by("contractor__company__name", "first_name", "last_name", "username")


# --- the contractor's portal -------------------------------------------------------------------


def _contractor_orders(user: User) -> QuerySet[WorkOrder]:
    # Belt and braces: the portal's area check already admits only contractors.
    if not has_role(user, Role.CONTRACTOR):
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(contractor=user)


def portal_work_orders(*, user: User, status: str = "") -> QuerySet[WorkOrder]:
    """The contractor's work orders: open ones first (soonest visit first), then the rest, newest first."""
    queryset = _contractor_orders(user)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.annotate(
        is_closed=Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("is_closed", "-created_at", "-id")


def portal_status_counts(*, user: User) -> dict[str, int]:
    """How many of the contractor's work orders are in each status (one query)."""
    aggregates = {status.value: Count("pk", filter=Q(status=status.value)) for status in WorkOrder.Status}
    return _contractor_orders(user).aggregate(**aggregates)


def portal_work_order_get(*, user: User, pk: int) -> WorkOrder:
    """One of the contractor's own work orders with its history, or 404 for any other."""
    queryset = _contractor_orders(user).prefetch_related(_updates_prefetch())
    work_order = queryset.filter(pk=pk).first()
    if work_order is None:
        raise Http404
    return work_order


def portal_photo_get(*, user: User, pk: int) -> WorkOrderUpdate:
    """A photo on one of the contractor's own work orders, or 404."""
    if not has_role(user, Role.CONTRACTOR):
        raise Http404
    update = WorkOrderUpdate.objects.exclude(photo="").filter(pk=pk, work_order__contractor=user).first()
    if update is None:
        raise Http404
    return update


def ticket_changeable(*, user: User, ticket: Ticket) -> bool:
    """Whether ``user`` may change ``ticket`` (and so issue and cancel its work orders)."""
    changeable = scope_queryset(
        Ticket.objects.all(), user, FAMILY, Action.CHANGE, owner_field="owner", team_field="team"
    )
    return changeable.filter(pk=ticket.pk).exists()
