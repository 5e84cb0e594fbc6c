"""Compiling a (validated) rule tree to one ``Q`` over ``Customer``.

Every condition becomes a filter on the customer's own columns or a subquery: ``Exists`` for
"has a row that..." (groups, tags, products bought, complaints, figures), and ``pk IN (SELECT
customer_id ... GROUP BY customer_id HAVING ...)`` for counts and sums, which PostgreSQL runs as
one hashed aggregate over the orders in the window rather than once per customer. Negative
conditions ("has none of", "at most") are written so that customers without any rows match.
Nothing loops over customers in Python.

The only queries made while compiling are the paths of the groups or categories a condition
names (one small query each), so "with its sub-groups" stays one indexed prefix match.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from customers.models import Customer, CustomerGroup, CustomerStats
from marketing.rules.catalogue import FIELDS_BY_NAME, Field
from sales.models import Order, OrderLine, ProductCategory
from service.models import SatisfactionSurvey, Ticket

# Orders that count as purchases: confirmed or delivered (not drafts, not cancelled).
REAL_ORDER_STATUSES = (Order.Status.CONFIRMED, Order.Status.DELIVERED)
OPEN_TICKET_EXCLUDED = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)

NOTHING = Q(pk__in=[])


class _Context:
    def __init__(self, now: datetime.datetime):
        self.now = now
        self.today = timezone.localdate(now)

    def day_start(self, iso_date: str) -> datetime.datetime:
        day = datetime.date.fromisoformat(iso_date)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def days_ago(self, days: int) -> datetime.datetime:
        return self.now - datetime.timedelta(days=days)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


# --- the customer's own columns --------------------------------------------------------------------


def _column(field_def: Field, cond: dict, ctx: _Context) -> Q:
    column, op, value = field_def.column, cond["op"], cond["value"]
    model_field = Customer._meta.get_field(column)
    if op == "in":
        return Q(**{f"{column}__in": value})
    if op == "not_in":
        # Django's negation keeps rows whose column is NULL: "none of" includes "not filled in".
        return ~Q(**{f"{column}__in": value})
    if op in ("empty", "not_empty"):
        empty = Q(**{f"{column}__isnull": True})
        if not model_field.null:
            empty = Q(**{column: ""})
        elif model_field.get_internal_type() in ("CharField", "TextField"):
            empty |= Q(**{column: ""})
        return empty if op == "empty" else ~empty
    if op == "eq":
        return Q(**{f"{column}__iexact": value})
    if op == "neq":
        return ~Q(**{f"{column}__iexact": value})
    if op == "contains":
        return Q(**{f"{column}__icontains": value})
    if op == "not_contains":
        return ~Q(**{f"{column}__icontains": value})
    if op in ("gte", "lte"):
        return Q(**{f"{column}__{op}": value})
    if op in ("yes", "no"):
        return Q(**{column: op == "yes"})
    is_datetime = model_field.get_internal_type() == "DateTimeField"
    if op in ("before", "after"):
        bound = ctx.day_start(value) if is_datetime else datetime.date.fromisoformat(value)
        return Q(**{f"{column}__{'lt' if op == 'before' else 'gte'}": bound})
    if op in ("within_days", "over_days"):
        bound = ctx.days_ago(value) if is_datetime else ctx.today - datetime.timedelta(days=value)
        return Q(**{f"{column}__{'gte' if op == 'within_days' else 'lt'}": bound})
    raise AssertionError(op)


def _age(field_def: Field, cond: dict, ctx: _Context) -> Q:
    years = cond["value"]
    if cond["op"] == "gte":  # had their N-th birthday on or before today
        return Q(birth_date__lte=_years_before(ctx.today, years))
    # Not yet N + 1: born after this day N + 1 years ago.
    return Q(birth_date__gt=_years_before(ctx.today, years + 1))


def _m2m(field_def: Field, cond: dict, ctx: _Context) -> Q:
    relation = Customer._meta.get_field(field_def.column)
    through = relation.remote_field.through
    target = next(f for f in through._meta.fields if f.related_model is relation.related_model)
    links = through.objects.filter(customer_id=OuterRef("pk"))
    op, ids = cond["op"], cond["value"]
    if op == "all":
        result = Q()
        for pk in ids:
            result &= Q(Exists(links.filter(**{target.attname: pk})))
        return result
    has_any = Exists(links.filter(**{f"{target.attname}__in": ids}))
    return Q(has_any) if op == "in" else ~Q(has_any)


def _tree_m2m(field_def: Field, cond: dict, ctx: _Context) -> Q:
    """Group membership including sub-groups: the customer is linked to a group whose path
    starts with one of the chosen groups' paths."""
    paths = list(CustomerGroup.objects.filter(pk__in=cond["value"]).values_list("path", flat=True))
    if not paths:
        return NOTHING if cond["op"] == "in" else Q()
    under = Q()
    for path in paths:
        under |= Q(customergroup__path__startswith=path)
    links = Customer.groups.through.objects.filter(under, customer_id=OuterRef("pk"))
    return Q(Exists(links)) if cond["op"] == "in" else ~Q(Exists(links))


def _stats(field_def: Field, cond: dict, ctx: _Context) -> Q:
    """A figure analytics computed; customers without figures match no positive condition."""
    column, op, value = field_def.column, cond["op"], cond["value"]
    if op == "not_in":
        figures = CustomerStats.objects.filter(customer_id=OuterRef("pk")).exclude(**{f"{column}__in": value})
    else:
        lookup = "in" if op == "in" else op
        if isinstance(value, str) and op in ("gte", "lte"):
            value = Decimal(value)
        figures = CustomerStats.objects.filter(customer_id=OuterRef("pk"), **{f"{column}__{lookup}": value})
    return Q(Exists(figures))


# --- behaviour -----------------------------------------------------------------------------------


def _real_orders(cond: dict, ctx: _Context):
    orders = Order.objects.filter(status__in=REAL_ORDER_STATUSES)
    if cond.get("days"):
        orders = orders.filter(ordered_at__gte=ctx.days_ago(cond["days"]))
    return orders


def _orders_count(field_def: Field, cond: dict, ctx: _Context) -> Q:
    count, orders = cond["value"], _real_orders(cond, ctx)
    if cond["op"] == "gte":
        if count <= 0:
            return Q()
        if count == 1:
            return Q(Exists(orders.filter(customer_id=OuterRef("pk"))))
        return Q(pk__in=_customers_having(orders, Count("id"), count, ctx))
    # "At most N": everyone but those with N + 1 or more (customers without orders included).
    if count == 0:
        return ~Q(Exists(orders.filter(customer_id=OuterRef("pk"))))
    return ~Q(pk__in=_customers_having(orders, Count("id"), count + 1, ctx))


def _customers_having(orders, aggregate, at_least, ctx: _Context):
    """The customers whose orders' ``aggregate`` reaches ``at_least``, as ``customer_id IN
    (SELECT ... GROUP BY customer_id HAVING ...)``: one aggregate, not a subquery per customer.

    The aggregate runs over every customer's orders, not only those of customers the sibling
    conditions allow: on PostgreSQL it then streams through the covering index of real orders
    (sales' order_spent_idx, customer then total) without a sort or a hash, which measured
    faster at 100,000 customers (about 0.3 s against 0.65 s for a province-narrowed join)."""
    return (
        orders.order_by()
        .values("customer_id")
        .annotate(figure=aggregate)
        .filter(figure__gte=at_least)
        .values("customer_id")
    )


def _total_spent(field_def: Field, cond: dict, ctx: _Context) -> Q:
    amount, orders = Decimal(cond["value"]), _real_orders(cond, ctx)
    if cond["op"] == "gte":
        if amount <= 0:
            return Q()
        return Q(pk__in=_customers_having(orders, Sum("total"), amount, ctx))
    # "At most X": not among those who spent more than X (nobody spends a fraction of a cent).
    return ~Q(pk__in=_customers_having(orders, Sum("total"), amount + Decimal("0.01"), ctx))


def _last_purchase(field_def: Field, cond: dict, ctx: _Context) -> Q:
    orders = Order.objects.filter(status__in=REAL_ORDER_STATUSES, customer_id=OuterRef("pk"))
    op, value = cond["op"], cond["value"]
    if op == "never":
        return ~Q(Exists(orders))
    if op in ("after", "within_days"):
        bound = ctx.day_start(value) if op == "after" else ctx.days_ago(value)
        return Q(Exists(orders.filter(ordered_at__gte=bound)))
    # "Before a date" / "more than N days ago": bought once, and not since.
    bound = ctx.day_start(value) if op == "before" else ctx.days_ago(value)
    return Q(Exists(orders)) & ~Q(Exists(orders.filter(ordered_at__gte=bound)))


def _bought(field_def: Field, cond: dict, ctx: _Context) -> Q:
    lines = OrderLine.objects.filter(order__customer_id=OuterRef("pk"), order__status__in=REAL_ORDER_STATUSES)
    if cond.get("days"):
        lines = lines.filter(order__ordered_at__gte=ctx.days_ago(cond["days"]))
    if field_def.column == "product":
        lines = lines.filter(product_id__in=cond["value"])
    else:
        paths = list(ProductCategory.objects.filter(pk__in=cond["value"]).values_list("path", flat=True))
        if not paths:
            return NOTHING if cond["op"] == "in" else Q()
        under = Q()
        for path in paths:
            under |= Q(product__category__path__startswith=path)
        lines = lines.filter(under)
    return Q(Exists(lines)) if cond["op"] == "in" else ~Q(Exists(lines))


def _open_complaint(field_def: Field, cond: dict, ctx: _Context) -> Q:
    # Open complaints are few: "id IN (their customers)" is one small hashed set, which stays
    # fast inside an "any" group where a correlated EXISTS would run once per customer.
    complaints = (
        Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT)
        .exclude(status__in=OPEN_TICKET_EXCLUDED)
        .order_by()
        .values("customer_id")
    )
    return Q(pk__in=complaints) if cond["op"] == "yes" else ~Q(pk__in=complaints)


def _last_csat(field_def: Field, cond: dict, ctx: _Context) -> Q:
    """The customer's latest answered survey scored below (or at least) N. Answered surveys
    are few next to customers, so their customers are one small hashed set, as above."""
    answered = SatisfactionSurvey.objects.filter(score__isnull=False, answered_at__isnull=False)
    later = answered.filter(customer_id=OuterRef("customer_id")).filter(
        Q(answered_at__gt=OuterRef("answered_at")) | Q(answered_at=OuterRef("answered_at"), pk__gt=OuterRef("pk"))
    )
    score = {"score__lt": cond["value"]} if cond["op"] == "lt" else {"score__gte": cond["value"]}
    latest = answered.filter(**score).filter(~Exists(later)).order_by().values("customer_id")
    return Q(pk__in=latest)


COMPILERS: dict[str, Callable[[Field, dict, _Context], Q]] = {
    "column": _column,
    "age": _age,
    "m2m": _m2m,
    "tree_m2m": _tree_m2m,
    "stats": _stats,
    "orders_count": _orders_count,
    "total_spent": _total_spent,
    "last_purchase": _last_purchase,
    "bought": _bought,
    "open_complaint": _open_complaint,
    "last_csat": _last_csat,
}


def _compile_group(node: dict, ctx: _Context) -> Q:
    children = node.get("conditions", [])
    parts = []
    for child in children:
        if "conditions" in child:
            parts.append(_compile_group(child, ctx))
        else:
            field_def = FIELDS_BY_NAME[child["field"]]
            parts.append(COMPILERS[field_def.kind](field_def, child, ctx))
    result = Q()
    if node.get("match", "all") == "any" and parts:
        result = parts[0]
        for part in parts[1:]:
            result |= part
    else:
        for part in parts:
            result &= part
    if node.get("negate"):
        result = ~result if parts else NOTHING
    return result


def rules_q(tree: dict, *, now: datetime.datetime | None = None) -> Q:
    """The condition a customer must meet to match ``tree`` (already validated; see
    ``validate_rules``). An empty tree matches every customer. Relative dates ("in the last 30
    days") are counted back from ``now`` (the current time when not given)."""
    if not tree or not tree.get("conditions"):
        return Q()
    return _compile_group(tree, _Context(now or timezone.now()))
