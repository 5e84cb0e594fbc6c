"""Historic lifetime value: each customer's cash flows as they happened and discounted to the
day the customer was acquired, summed per customer with ``np.bincount`` (no loop over customers).

- acquired on: the earlier of the customer's creation day and first purchase;
- each flow on day d is worth ``amount * (1 + r) ** -((d - acquired) / 365.25)`` then, with r the
  annual discount rate (AnalyticsSettings, a percentage); the acquisition cost is on the day of
  acquisition, so not discounted;
- clv_historic = revenue - returns - cost of goods - acquisition - order handling - sales
  activities - campaign messages - service, all discounted, each rounded to the cent first so
  that the components shown on the customer's page add up to the total exactly.

The period figures rank key customers (Pareto): revenue and profit (revenue - returns - cost of
goods, nominal) from ``period_first_day`` to today.
"""

from dataclasses import dataclass

import numpy as np

from analytics.services.compute.transactions import CashFlows, CustomerBase, Flow

DAYS_PER_YEAR = 365.25
NEVER = np.iinfo(np.int64).max  # "no purchase" in a day column before masking

# CustomerValue's nominal components and their discounted twins (acquisition is never discounted).
COMPONENTS = (
    "revenue",
    "returns",
    "cost_of_goods",
    "order_costs",
    "activity_costs",
    "message_costs",
    "service_costs",
)
COSTS = ("returns", "cost_of_goods", "order_costs", "activity_costs", "message_costs", "service_costs")


@dataclass(frozen=True)
class HistoricValues:
    """Per customer (positions of the base); money in whole cents (float)."""

    acquired: np.ndarray  # day numbers
    bought: np.ndarray  # has at least one purchase
    first_purchase: np.ndarray  # day numbers (meaningless where not bought)
    last_purchase: np.ndarray
    orders: np.ndarray
    activities: np.ndarray
    messages: np.ndarray
    tickets: np.ndarray
    nominal: dict[str, np.ndarray]  # COMPONENTS and "acquisition_cost"
    present: dict[str, np.ndarray]  # COMPONENTS, discounted
    clv: np.ndarray
    period_revenue: np.ndarray
    period_profit: np.ndarray

    @property
    def gross_margin(self) -> np.ndarray:
        """Revenue - returns - cost of goods, nominal, over the whole history."""
        return self.nominal["revenue"] - self.nominal["returns"] - self.nominal["cost_of_goods"]


def _per_customer(flow: Flow, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(flow.customer, weights=values, minlength=n)


def _discounted(flow: Flow, values: np.ndarray, acquired: np.ndarray, rate: float, n: int) -> np.ndarray:
    years = (flow.day - acquired[flow.customer]) / DAYS_PER_YEAR
    return _per_customer(flow, values * np.power(1.0 + rate, -years), n)


def historic_values(
    base: CustomerBase,
    flows: CashFlows,
    *,
    annual_rate: float,
    cost_per_order_cents: float,
    cost_per_activity_cents: float,
    period_first_day: int | None,
) -> HistoricValues:
    """Every component of every customer's historic lifetime value (``annual_rate``: 0.2 for 20%)."""
    n = len(base)
    purchases = flows.purchases
    first = np.full(n, NEVER, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, purchases.customer, purchases.day)
    np.maximum.at(last, purchases.customer, purchases.day)
    bought = first != NEVER
    acquired = np.where(bought, np.minimum(base.created, first), base.created)

    # Each component: the flow it comes from and its amount per row of the flow.
    sources: dict[str, tuple[Flow, np.ndarray]] = {
        "revenue": (flows.revenue, flows.revenue.cents),
        "returns": (flows.returns, flows.returns.cents),
        "cost_of_goods": (flows.cost_of_goods, flows.cost_of_goods.cents),
        "order_costs": (purchases, purchases.count * cost_per_order_cents),
        "activity_costs": (flows.activities, flows.activities.count * cost_per_activity_cents),
        "message_costs": (flows.messages, flows.messages.cents),
        "service_costs": (flows.tickets, flows.tickets.cents),
    }
    nominal = {name: np.round(_per_customer(flow, values, n)) for name, (flow, values) in sources.items()}
    nominal["acquisition_cost"] = np.round(flows.acquisition_cents)
    present = {
        name: np.round(_discounted(flow, values, acquired, annual_rate, n)) for name, (flow, values) in sources.items()
    }
    clv = present["revenue"] - nominal["acquisition_cost"] - sum(present[name] for name in COSTS)

    def in_period(flow: Flow) -> np.ndarray:
        if period_first_day is None:
            return flow.cents
        return np.where(flow.day >= period_first_day, flow.cents, 0.0)

    period_revenue = np.round(_per_customer(flows.revenue, in_period(flows.revenue), n))
    period_profit = (
        period_revenue
        - np.round(_per_customer(flows.returns, in_period(flows.returns), n))
        - np.round(_per_customer(flows.cost_of_goods, in_period(flows.cost_of_goods), n))
    )
    return HistoricValues(
        acquired=acquired,
        bought=bought,
        first_purchase=np.where(bought, first, 0),
        last_purchase=np.where(bought, last, 0),
        orders=np.bincount(purchases.customer, weights=purchases.count, minlength=n).astype(np.int64),
        activities=np.bincount(flows.activities.customer, weights=flows.activities.count, minlength=n).astype(np.int64),
        messages=np.bincount(flows.messages.customer, weights=flows.messages.count, minlength=n).astype(np.int64),
        tickets=np.bincount(flows.tickets.customer, weights=flows.tickets.count, minlength=n).astype(np.int64),
        nominal=nominal,
        present=present,
        clv=clv,
        period_revenue=period_revenue,
        period_profit=period_profit,
    )
