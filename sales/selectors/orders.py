"""Reads of quotes, orders, invoices and payments, scoped to the user (record family "sales").

Each list and detail loads what its page shows in a fixed number of queries, however many rows
or lines there are.
"""

from decimal import Decimal

from django.db.models import BooleanField, Count, DecimalField, ExpressionWrapper, F, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from crm_site.access import Action, Role, Scope, get_for_user_or_404, record_scope, scope_queryset, team_member_ids
from crm_site.models import User
from customers.filters import search_condition
from customers.models import Customer
from customers.selectors import customers_for
from sales.models import Invoice, Opportunity, Order, OrderLine, Payment, Product, Quote, QuoteLine
from sales.totals import HUNDRED, ZERO, money

FAMILY = "sales"
OPEN_INVOICE = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)
PANEL_ORDERS = 5
PANEL_OVERDUE = 5
CUSTOMER_SEARCH_LIMIT = 20


def _scoped(queryset: QuerySet, user: User, action: Action) -> QuerySet:
    return scope_queryset(queryset, user, FAMILY, action, owner_field="owner", team_field="team")


def _get(queryset: QuerySet, user: User, action: Action, pk: int):
    return get_for_user_or_404(queryset, user, FAMILY, action, owner_field="owner", team_field="team", pk=pk)


# --- quotes ------------------------------------------------------------------------------------


def quotes_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Quote]:
    return _scoped(Quote.objects.all(), user, action)


def _with_lapsed(queryset: QuerySet[Quote]) -> QuerySet[Quote]:
    """``lapsed``: still awaiting an answer but past its validity date, so shown as expired even
    before the nightly sales.expire_quotes marks it."""
    condition = Q(status__in=[Quote.Status.DRAFT, Quote.Status.SENT], valid_until__lt=timezone.localdate())
    return queryset.annotate(lapsed=ExpressionWrapper(condition, output_field=BooleanField()))


def quote_list_queryset(*, user: User) -> QuerySet[Quote]:
    return _with_lapsed(quotes_for(user=user).select_related("customer", "owner"))


def quote_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Quote:
    queryset = Quote.objects.select_related("customer", "owner", "team", "opportunity", "order").prefetch_related(
        Prefetch("lines", queryset=QuoteLine.objects.select_related("product"))
    )
    return _get(_with_lapsed(queryset), user, action, pk)


# --- orders ------------------------------------------------------------------------------------


def orders_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Order]:
    return _scoped(Order.objects.all(), user, action)


def order_list_queryset(*, user: User) -> QuerySet[Order]:
    return orders_for(user=user).select_related("customer", "owner")


def order_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Order:
    queryset = Order.objects.select_related("customer", "owner", "team", "quote", "opportunity").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
        Prefetch(
            "invoices",
            queryset=Invoice.objects.order_by("issued_on", "id").prefetch_related(
                Prefetch("payments", queryset=Payment.objects.select_related("received_by"))
            ),
        ),
    )
    return _get(queryset, user, action, pk)


def order_margin(order: Order) -> dict[str, Decimal | None]:
    """The order's gross margin: net sales (after discounts, before tax) less the cost of goods."""
    net = order.subtotal - order.discount_total
    margin = net - order.cost_total
    percent = money(margin * HUNDRED / net) if net else None
    return {"net": net, "margin": margin, "percent": percent}


# --- invoices and payments ---------------------------------------------------------------------


def invoices_for(*, user: User, action: Action = Action.VIEW) -> QuerySet[Invoice]:
    return _scoped(Invoice.objects.all(), user, action)


def invoice_list_queryset(*, user: User) -> QuerySet[Invoice]:
    overdue = Q(status__in=OPEN_INVOICE, due_on__lt=timezone.localdate())
    return (
        invoices_for(user=user)
        .select_related("customer", "order", "owner")
        .annotate(overdue=ExpressionWrapper(overdue, output_field=BooleanField()))
    )


def invoice_get(*, user: User, pk: int, action: Action = Action.VIEW) -> Invoice:
    queryset = Invoice.objects.select_related("customer", "order", "owner", "team").prefetch_related(
        Prefetch("payments", queryset=Payment.objects.select_related("received_by")),
        Prefetch("order__lines", queryset=OrderLine.objects.select_related("product")),
    )
    return _get(queryset, user, action, pk)


def payments_for(*, user: User) -> QuerySet[Payment]:
    """Payments of the invoices the user may see (an invoice's owner and team scope its payments)."""
    return scope_queryset(
        Payment.objects.all(), user, FAMILY, Action.VIEW, owner_field="invoice__owner", team_field="invoice__team"
    )


def is_overdue(invoice: Invoice, today=None) -> bool:
    return invoice.status in OPEN_INVOICE and invoice.due_on < (today or timezone.localdate())


# --- what the document forms offer -------------------------------------------------------------


def product_choices(*, include_ids=()) -> list[tuple[int, str]]:
    """The products a line may pick: active ones, plus those already on the document (one query)."""
    products = Product.objects.filter(Q(is_active=True) | Q(pk__in=list(include_ids))).order_by("name", "id")
    return [(pk, f"{name} ({sku})") for pk, name, sku in products.values_list("pk", "name", "sku")]


def document_owner_choices(*, user: User) -> QuerySet[User]:
    """The owners the list filters offer, as far as the user's scope reaches: a rep themselves,
    a manager the members of their teams, admin every active sales user."""
    scope = record_scope(user, FAMILY, Action.VIEW)
    if scope == Scope.NONE:
        return User.objects.none()
    if scope == Scope.OWN:
        return User.objects.filter(pk=user.pk)
    staff = (
        User.objects.filter(is_active=True, groups__name__in=[Role.ADMIN, Role.MANAGER, Role.SALES_REP])
        .distinct()
        .order_by("username")
    )
    if scope == Scope.TEAM:
        return staff.filter(pk__in=team_member_ids(user))
    return staff


def products_by_id(ids) -> dict[int, Product]:
    return Product.objects.in_bulk([int(pk) for pk in ids])


def document_customer(*, user: User, pk) -> Customer:
    """The customer a new document is for: one the user may see, or 404."""
    try:
        return customers_for(user=user).get(pk=int(pk))
    except (Customer.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def customer_search(*, user: User, query: str) -> list[Customer]:
    """Customers the user may see that match ``query`` (name, code, phone, email)."""
    if not query.strip():
        return []
    return list(customers_for(user=user).filter(search_condition(query)).order_by("name", "id")[:CUSTOMER_SEARCH_LIMIT])


def document_opportunity(*, user: User, pk) -> Opportunity:
    """The opportunity a new quote is made from, with its product lines, or 404."""
    queryset = Opportunity.objects.select_related("customer").prefetch_related("lines__product")
    try:
        return get_for_user_or_404(queryset, user, FAMILY, Action.VIEW, pk=int(pk))
    except (TypeError, ValueError):
        raise Http404 from None


# --- the 360° panel ----------------------------------------------------------------------------


def customer_orders_summary(*, user: User, customer: Customer) -> dict:
    """The customer's balance, overdue invoices, last orders and revenue paid, as far as the user
    may see them: four queries, whatever the customer's history."""
    today = timezone.localdate()
    money_field = DecimalField(max_digits=14, decimal_places=2)
    invoices = invoices_for(user=user).filter(customer=customer)
    overdue = Q(status__in=OPEN_INVOICE, due_on__lt=today)
    figures = invoices.filter(status__in=OPEN_INVOICE).aggregate(
        balance=Coalesce(Sum(F("total") - F("amount_paid"), output_field=money_field), Value(ZERO)),
        overdue_balance=Coalesce(
            Sum(F("total") - F("amount_paid"), filter=overdue, output_field=money_field), Value(ZERO)
        ),
        overdue_count=Count("pk", filter=overdue),
    )
    revenue = (
        payments_for(user=user)
        .filter(customer=customer)
        .aggregate(paid=Coalesce(Sum("amount", output_field=money_field), Value(ZERO)))["paid"]
    )
    return {
        # Below ALL the figures leave out invoices the user may not see: the page says so.
        "partial_view": record_scope(user, FAMILY, Action.VIEW) != Scope.ALL,
        "balance": figures["balance"],
        "overdue_balance": figures["overdue_balance"],
        "overdue_count": figures["overdue_count"],
        "overdue_invoices": list(invoices.filter(overdue).order_by("due_on", "id")[:PANEL_OVERDUE]),
        "recent_orders": list(
            orders_for(user=user).filter(customer=customer).order_by("-ordered_at", "-id")[:PANEL_ORDERS]
        ),
        "revenue_paid": revenue,
        "today": today,
    }
