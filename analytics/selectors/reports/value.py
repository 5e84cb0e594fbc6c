"""The lifetime-value report: customers ranked by historic or predicted lifetime value, the
figures of the whole list, the explanation of how the value is computed, and the 360° panel that
takes one customer's value apart."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, QuerySet, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from analytics.models import AnalyticsSettings, CustomerValue
from analytics.selectors.reports.common import analytics_scope, as_money, customer_scoped, settings_read, snapshot_get
from crm_site.access import Scope, team_ids, team_member_ids
from crm_site.models import User
from customers.models import Customer
from customers.selectors import customers_for
from sales.models import Order, OrderLine
from sales.selectors.suggestions import Suggestion, suggestions_for

RANK_HISTORIC = "historic"
RANK_PREDICTED = "predicted"
RANK_CHOICES = [
    (RANK_HISTORIC, _("Historic lifetime value")),
    (RANK_PREDICTED, _("Predicted lifetime value")),
]
# Products the customer bought most, used as the seeds of the cross-sell suggestions.
SUGGESTION_SEEDS = 10
SUGGESTIONS_SHOWN = 4


def value_rows(*, user: User) -> QuerySet[CustomerValue]:
    """Every customer's value the user may see, with what a row of the list shows (customer,
    owner, the figures on CustomerStats) joined in, ranked by historic lifetime value."""
    rows = CustomerValue.objects.select_related("customer__owner", "customer__stats")
    return customer_scoped(rows, user).order_by("-clv_historic", "-customer_id")


def value_rank(rows: QuerySet[CustomerValue], rank: str) -> QuerySet[CustomerValue]:
    """Re-rank by predicted lifetime value (customers without a prediction last)."""
    if rank == RANK_PREDICTED:
        return rows.order_by(F("clv_predicted").desc(nulls_last=True), "-customer_id")
    return rows


@dataclass(frozen=True)
class ValueTotals:
    customers: int
    clv_historic: Decimal
    clv_predicted: Decimal | None  # None when no customer has a prediction
    average_historic: Decimal | None
    average_predicted: Decimal | None


def value_totals(rows: QuerySet[CustomerValue]) -> ValueTotals:
    """The figures of the whole (filtered) list: one aggregate query."""
    figures = rows.order_by().aggregate(
        customers=Count("pk"),
        historic=Sum("clv_historic"),
        predicted=Sum("clv_predicted"),
        predicted_customers=Count("clv_predicted"),
    )
    historic, predicted = as_money(figures["historic"]), as_money(figures["predicted"])
    return ValueTotals(
        customers=figures["customers"],
        clv_historic=historic,
        clv_predicted=predicted if figures["predicted_customers"] else None,  # none predicted: no sum
        average_historic=as_money(historic / figures["customers"]) if figures["customers"] else None,
        average_predicted=(
            as_money(predicted / figures["predicted_customers"]) if figures["predicted_customers"] else None
        ),
    )


@dataclass(frozen=True)
class ValueExplanation:
    """What the page says about how the value is computed: the settings in force and the
    parameters the models were fitted to (None before the first computation)."""

    settings: AnalyticsSettings
    model: dict | None
    model_computed_at: datetime.datetime | None

    @property
    def discount_rate(self) -> Decimal:
        return plain(self.settings.annual_discount_rate)


def plain(number: Decimal) -> Decimal:
    """A percentage without trailing zeros for prose: 20.00 -> 20, 15.50 -> 15.5."""
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def value_explanation() -> ValueExplanation:
    snapshot = snapshot_get("model")
    return ValueExplanation(
        settings=settings_read(),
        model=snapshot.data if snapshot else None,
        model_computed_at=snapshot.computed_at if snapshot else None,
    )


# --- the 360° panel --------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """One line of the breakdown: a cash flow as it happened and discounted to acquisition."""

    label: Promise
    nominal: Decimal
    discounted: Decimal
    sign: int  # +1 brought in, -1 a cost
    count: int | None = None  # how many orders, activities, messages or tickets
    key: str = ""

    @property
    def signed_nominal(self) -> Decimal:
        return self.sign * self.nominal

    @property
    def signed_discounted(self) -> Decimal:
        return self.sign * self.discounted


@dataclass
class ValueBreakdown:
    value: CustomerValue
    margin: list[Component] = field(default_factory=list)
    costs: list[Component] = field(default_factory=list)

    @property
    def gross_margin(self) -> tuple[Decimal, Decimal]:
        return self.value.gross_margin, self.value.gross_margin_pv

    @property
    def total_costs(self) -> tuple[Decimal, Decimal]:
        nominal = sum((item.nominal for item in self.costs), Decimal(0))
        return nominal, self.value.costs_pv

    @property
    def nominal_value(self) -> Decimal:
        """The lifetime value without discounting, for comparison."""
        return self.value.gross_margin - self.total_costs[0]


def value_breakdown(value: CustomerValue) -> ValueBreakdown:
    """Every component of a customer's historic lifetime value, in the order they add up."""
    margin = [
        Component(_("Revenue"), value.revenue, value.revenue_pv, +1, value.orders, "revenue"),
        Component(_("Returns"), value.returns, value.returns_pv, -1, None, "returns"),
        Component(_("Cost of goods"), value.cost_of_goods, value.cost_of_goods_pv, -1, None, "cost_of_goods"),
    ]
    costs = [
        # Spent on the day of acquisition: nothing to discount.
        Component(_("Acquisition"), value.acquisition_cost, value.acquisition_cost, -1, None, "acquisition"),
        Component(_("Order handling"), value.order_costs, value.order_costs_pv, -1, value.orders, "orders"),
        Component(
            _("Sales activities"), value.activity_costs, value.activity_costs_pv, -1, value.activities, "activities"
        ),
        Component(_("Campaign messages"), value.message_costs, value.message_costs_pv, -1, value.messages, "messages"),
        Component(_("Service"), value.service_costs, value.service_costs_pv, -1, value.tickets, "service"),
    ]
    return ValueBreakdown(value=value, margin=margin, costs=costs)


def value_customer_get(*, user: User, pk: int) -> Customer:
    """A customer the user may open (customers family) and whose figures they may see, or 404."""
    customer = get_object_or_404(customers_for(user=user), pk=pk)
    if not may_see_figures(user, customer):
        raise Http404
    return customer


def may_see_figures(user: User, customer: Customer) -> bool:
    """Whether ``customer`` is among those whose figures ``user`` may see: the same rule as
    ``customer_scoped`` applied to one customer already loaded (no query beyond the user's
    cached teams). The 360° page admits by the customer family, which can be wider."""
    scope = analytics_scope(user)
    if scope == Scope.ALL:
        return True
    if scope == Scope.OWN:
        return customer.owner_id == user.pk
    if scope == Scope.TEAM:
        return customer.owner_id in team_member_ids(user) or customer.team_id in team_ids(user)
    return False


def cross_sell(customer: Customer) -> list[Suggestion]:
    """What customers like this one buy that this one has not: sales' suggestions seeded with the
    products the customer buys most and excluding every product they already bought. A fixed
    number of queries: this one and sales' handful."""
    bought = list(
        OrderLine.objects.filter(
            order__customer_id=customer.pk, order__status__in=[Order.Status.CONFIRMED, Order.Status.DELIVERED]
        )
        .values("product_id")
        .annotate(orders=Count("order_id", distinct=True))
        .order_by("-orders", "product_id")
        .values_list("product_id", flat=True)
    )
    return suggestions_for(
        customer=customer,
        product_ids=bought[:SUGGESTION_SEEDS],
        exclude_product_ids=bought,
        limit=SUGGESTIONS_SHOWN,
    )


def customer_value_panel(*, user: User, customer: Customer) -> dict:
    """The 360° panel's context in two queries (the value row and the settings); the customer's
    ``stats`` row comes loaded with the customer. The cross-sell suggestions load after the
    page (``cross_sell``), so the customer page does not wait for them."""
    if not may_see_figures(user, customer):
        return {"hidden": True}
    value = CustomerValue.objects.filter(customer_id=customer.pk).first()
    settings = settings_read()
    try:
        stats = customer.stats
    except ObjectDoesNotExist:
        stats = None
    return {
        "hidden": False,
        "breakdown": value_breakdown(value) if value else None,
        "stats": stats,
        "settings": settings,
        "discount_rate": plain(settings.annual_discount_rate),
    }
