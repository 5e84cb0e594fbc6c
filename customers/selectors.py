"""Reads of the customer file, always scoped to the user through crm_site.access."""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from crm_site.access import Action, get_for_user_or_404, scope_queryset
from crm_site.models import User
from customers.models import Customer, CustomerGroup, Interaction

FAMILY = "customers"


def customers_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Customer]:
    """Every customer ``user`` may see (or change): the base of every list, search, export, count."""
    return scope_queryset(Customer.objects.all(), user, FAMILY, action, owner_field="owner", team_field="team")


def customer_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Customer:
    """One customer with what the 360° page shows, or 404 (403 when seen but not changeable)."""
    queryset = Customer.objects.select_related("owner", "team", "source", "organisation", "stats").prefetch_related(
        "phones",
        "emails",
        "groups",
        "tags",
        "interests",
        Prefetch("contacts", queryset=Customer.objects.order_by("name")),
    )
    return get_for_user_or_404(queryset, user, FAMILY, action, owner_field="owner", team_field="team", pk=pk)


def customer_list_queryset(*, user: User) -> QuerySet[Customer]:
    """The list's rows, with what each row shows loaded in a fixed number of queries."""
    return customers_for(user=user).select_related("owner", "team", "source").prefetch_related("tags")


def group_with_descendants(group: CustomerGroup) -> QuerySet[CustomerGroup]:
    return CustomerGroup.objects.filter(path__startswith=group.path)


def in_group_subtree(group: CustomerGroup):
    """An ``Exists`` condition: the customer is in ``group`` or any of its sub-groups."""
    memberships = Customer.groups.through.objects.filter(
        customer_id=OuterRef("pk"), customergroup__path__startswith=group.path
    )
    return Exists(memberships)


def timeline_for(*, customer: Customer, kind: str | None = None) -> QuerySet[Interaction]:
    queryset = customer.interactions.select_related("user").order_by("-occurred_at", "-id")
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset
