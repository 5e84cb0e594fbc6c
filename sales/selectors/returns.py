"""Reads of returns, scoped like their orders (record family "sales": the order's owner and team).

Analytics sums returns in SQL itself (``OrderReturn.amount`` by ``customer`` and ``returned_on``,
both indexed); these are the reads the sales pages need.
"""

from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from crm_site.access import Action, get_for_user_or_404, scope_queryset
from crm_site.models import User
from sales.models import Order, OrderLine, OrderReturn
from sales.models.orders import QUANTITY
from sales.selectors.orders import FAMILY
from sales.totals import ZERO, money


def returns_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[OrderReturn]:
    """The returns of the orders the user may see (or change)."""
    return scope_queryset(
        OrderReturn.objects.all(), user, FAMILY, action, owner_field="order__owner", team_field="order__team"
    )


def order_for_return(*, user: User, pk: int) -> Order:
    """The order a return is recorded against, with its customer: one the user may change (404
    when they cannot see it, 403 when they may only look at it)."""
    queryset = Order.objects.select_related("customer")
    return get_for_user_or_404(queryset, user, FAMILY, Action.CHANGE, owner_field="owner", team_field="team", pk=pk)


def order_returns_for(*, order: Order) -> list[OrderReturn]:
    """The returns of an order the caller has already fetched for the user (``order_get``), oldest
    first, with who recorded them: one query, however many returns."""
    return list(OrderReturn.objects.filter(order=order).select_related("created_by").order_by("returned_on", "id"))


def returnable_lines(*, order: Order) -> list[OrderLine]:
    """The order's lines with their product, ``returned`` (the quantity already back),
    ``remaining`` (what may still be returned) and ``unit_net`` (net per unit, to show), in one
    query."""
    returned = Coalesce(Sum("return_lines__quantity"), Value(ZERO), output_field=DecimalField(**QUANTITY))
    lines = list(
        OrderLine.objects.filter(order=order).select_related("product").annotate(returned=returned).order_by("id")
    )
    for line in lines:
        line.returned = Decimal(line.returned)
        line.remaining = line.quantity - line.returned
        line.unit_net = money(line.net_amount / line.quantity) if line.quantity else ZERO
    return lines
