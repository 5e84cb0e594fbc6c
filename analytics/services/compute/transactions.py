"""Reading the base: every customer, and their purchases and cash flows per customer and day.

Each reader is one GROUP BY query that returns a row per (customer, local day) — never a row per
order line — fetched into numpy arrays. Customers are addressed by their position in
``CustomerBase.ids`` (ascending ids) so that later steps sum with ``np.bincount``.

Definitions (the contract the report pages explain):

- purchases (for the models, RFM and the forecast): orders confirmed or delivered, one per
  customer and local day of ``ordered_at``, worth subtotal - discounts - the order's returns;
- revenue: paid invoices (subtotal - discounts) on the local day they were paid; cost of goods:
  the order's cost in the invoice's share of the order, less the cost of goods returned;
- returns: what returns refunded, on the day of the return;
- activities: done sales activities of the customer; messages: campaign recipients messaged
  (a message handed to the outbox and not suppressed, or a call task); tickets: every ticket
  with the hours it was open (until now when it still is).
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection

from analytics.models import TicketCost
from analytics.services.compute.sql import (
    cents,
    column,
    day_number,
    fetch_columns,
    hours_between,
    local_day_number,
    table,
)
from crm_site.models import OutboxMessage
from customers.models import Customer
from marketing.models import Campaign, CampaignRecipient, CampaignRun
from sales.models import Activity, Invoice, Lead, Order, OrderReturn
from service.models import Ticket, TicketCategory

SALE_STATUSES = (Order.Status.CONFIRMED.value, Order.Status.DELIVERED.value)
I64, F64 = np.int64, np.float64


@dataclass(frozen=True)
class CustomerBase:
    """Every customer, by position: ids ascending, owner and team (0 for none), the local day the
    record was created and last changed, the acquisition cost in cents (NaN when not set)."""

    ids: np.ndarray
    owner: np.ndarray
    team: np.ndarray
    created: np.ndarray
    updated: np.ndarray
    acquisition_cents: np.ndarray
    lost: np.ndarray  # status is "lost"

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, customer_ids: np.ndarray) -> np.ndarray:
        """Positions of customer ids (every id must be in the base)."""
        return np.searchsorted(self.ids, customer_ids)

    def known(self, customer_ids: np.ndarray) -> np.ndarray:
        """Which ids are in the base (a customer created while the run reads is left for the next)."""
        found = np.searchsorted(self.ids, customer_ids).clip(max=max(len(self.ids) - 1, 0))
        return (self.ids[found] == customer_ids) if len(self.ids) else np.zeros(len(customer_ids), dtype=bool)


@dataclass(frozen=True)
class Flow:
    """Amounts per customer and day: ``customer`` positions, ``day`` numbers, ``cents`` (float,
    whole cents for money read from the database) and ``count`` (events behind each row)."""

    customer: np.ndarray
    day: np.ndarray
    cents: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)

    def until(self, last_day: int) -> "Flow":
        """The rows up to ``last_day`` (an order dated in the future is no purchase yet)."""
        keep = self.day <= last_day
        if keep.all():
            return self
        return Flow(self.customer[keep], self.day[keep], self.cents[keep], self.count[keep])


@dataclass(frozen=True)
class CashFlows:
    """Everything the historic lifetime value is made of, as flows per customer and day."""

    purchases: Flow  # net of the order's returns; count = orders that day
    revenue: Flow  # paid invoices; count = invoices
    cost_of_goods: Flow  # invoices' share of their order's cost, less cost of goods returned
    returns: Flow  # refunds; count = returns
    activities: Flow  # count = done activities (cents unused)
    messages: Flow  # cents = what the messages cost; count = messages
    tickets: Flow  # cents = what serving them cost; count = tickets
    acquisition_cents: np.ndarray  # per customer (the customer's own cost or its campaign's share)

    @property
    def rows(self) -> int:
        flows = (self.purchases, self.revenue, self.cost_of_goods, self.returns, self.activities, self.messages)
        return sum(len(flow) for flow in (*flows, self.tickets))


def _flow(base: CustomerBase, customer_ids, days, amounts, counts=None) -> Flow:
    """A flow from fetched columns, without rows of customers the base does not know."""
    keep = base.known(customer_ids)
    counts = np.ones(len(customer_ids), I64) if counts is None else counts
    return Flow(
        customer=base.positions(customer_ids[keep]),
        day=days[keep],
        cents=amounts[keep].astype(F64),
        count=counts[keep].astype(I64),
    )


def load_base() -> CustomerBase:
    c = table(Customer)
    created, created_params = local_day_number(f"{c}.{column(Customer, 'created_at')}")
    updated, updated_params = local_day_number(f"{c}.{column(Customer, 'updated_at')}")
    sql = f"""
        SELECT {c}.{column(Customer, "id")}, COALESCE({c}.{column(Customer, "owner")}, 0),
               COALESCE({c}.{column(Customer, "team")}, 0), {created}, {updated},
               COALESCE({cents(f"{c}.{column(Customer, 'acquisition_cost')}")}, -1),
               CASE WHEN {c}.{column(Customer, "acquisition_cost")} IS NULL THEN 0 ELSE 1 END,
               CASE WHEN {c}.{column(Customer, "status")} = %s THEN 1 ELSE 0 END
        FROM {c} ORDER BY 1
    """  # noqa: S608  (identifiers from the models; values are parameters)
    params = [*created_params, *updated_params, Customer.Status.LOST.value]
    ids, owner, team, created_day, updated_day, acquisition, has_acquisition, lost = fetch_columns(
        sql, params, [I64, I64, I64, I64, I64, F64, I64, I64]
    )
    acquisition = np.where(has_acquisition == 1, acquisition, np.nan)
    return CustomerBase(ids, owner, team, created_day, updated_day, acquisition, lost.astype(bool))


def load_purchases(base: CustomerBase) -> Flow:
    """Orders confirmed or delivered, per customer and local day, net of discounts and of what
    was returned from them (count: the orders)."""
    o, r = table(Order), table(OrderReturn)
    day, params = local_day_number(f"o.{column(Order, 'ordered_at')}")
    net = f"o.{column(Order, 'subtotal')} - o.{column(Order, 'discount_total')} - COALESCE(back.amount, 0)"
    sql = f"""
        SELECT o.{column(Order, "customer")}, {day}, {cents(f"SUM({net})")}, COUNT(*)
        FROM {o} o
        LEFT JOIN (
            SELECT {column(OrderReturn, "order")} AS order_id, SUM({column(OrderReturn, "amount")}) AS amount
            FROM {r} GROUP BY {column(OrderReturn, "order")}
        ) back ON back.order_id = o.{column(Order, "id")}
        WHERE o.{column(Order, "status")} IN (%s, %s)
        GROUP BY 1, 2
    """  # noqa: S608
    ids, days, amounts, counts = fetch_columns(sql, [*params, *SALE_STATUSES], [I64, I64, F64, I64])
    return _flow(base, ids, days, amounts, counts)


def load_revenue(base: CustomerBase) -> tuple[Flow, Flow]:
    """Paid invoices per customer and local day paid: (revenue, cost of goods). An invoice's cost
    of goods is its order's cost in the invoice's share of the order's net amount."""
    i, o = table(Invoice), table(Order)
    paid_day, params = local_day_number(f"i.{column(Invoice, 'paid_at')}")
    issued_day = day_number(f"i.{column(Invoice, 'issued_on')}")
    invoice_net = f"(i.{column(Invoice, 'subtotal')} - i.{column(Invoice, 'discount_total')})"
    order_net = f"(o.{column(Order, 'subtotal')} - o.{column(Order, 'discount_total')})"
    cost = f"o.{column(Order, 'cost_total')}"
    share = f"CASE WHEN {order_net} > 0 THEN {cost} * {invoice_net} / {order_net} ELSE {cost} END"
    sql = f"""
        SELECT i.{column(Invoice, "customer")}, COALESCE({paid_day}, {issued_day}),
               {cents(f"SUM({invoice_net})")}, {cents(f"SUM({share})")}, COUNT(*)
        FROM {i} i JOIN {o} o ON o.{column(Order, "id")} = i.{column(Invoice, "order")}
        WHERE i.{column(Invoice, "status")} = %s
        GROUP BY 1, 2
    """  # noqa: S608
    ids, days, revenue, cost_of_goods, counts = fetch_columns(
        sql, [*params, Invoice.Status.PAID.value], [I64, I64, F64, F64, I64]
    )
    return _flow(base, ids, days, revenue, counts), _flow(base, ids, days, cost_of_goods, counts)


def load_returns(base: CustomerBase) -> tuple[Flow, Flow]:
    """Returns per customer and day: (refunds, cost of goods recovered)."""
    r = table(OrderReturn)
    sql = f"""
        SELECT {column(OrderReturn, "customer")}, {day_number(column(OrderReturn, "returned_on"))},
               {cents(f"SUM({column(OrderReturn, 'amount')})")},
               {cents(f"SUM({column(OrderReturn, 'cost_recovered')})")}, COUNT(*)
        FROM {r} GROUP BY 1, 2
    """  # noqa: S608
    ids, days, amounts, recovered, counts = fetch_columns(sql, [], [I64, I64, F64, F64, I64])
    return _flow(base, ids, days, amounts, counts), _flow(base, ids, days, recovered, counts)


def load_activities(base: CustomerBase) -> Flow:
    """Done sales activities per customer and local day done (or due, when not recorded)."""
    a = table(Activity)
    when = f"COALESCE({column(Activity, 'done_at')}, {column(Activity, 'due_at')})"
    day, params = local_day_number(when)
    sql = f"""
        SELECT {column(Activity, "customer")}, {day}, COUNT(*) FROM {a}
        WHERE {column(Activity, "customer")} IS NOT NULL AND {column(Activity, "status")} = %s
        GROUP BY 1, 2
    """  # noqa: S608
    ids, days, counts = fetch_columns(sql, [*params, Activity.Status.DONE.value], [I64, I64, I64])
    return _flow(base, ids, days, np.zeros(len(ids)), counts)


def _messaged_sql() -> tuple[str, list]:
    """The recipients a campaign reached (as marketing counts them): a call task, or a message
    handed to the outbox and not suppressed by an opt-out before it left."""
    sql = f"""(rc.{column(CampaignRecipient, "status")} = %s OR (rc.{column(CampaignRecipient, "status")} = %s
              AND (ob.{column(OutboxMessage, "status")} IS NULL OR ob.{column(OutboxMessage, "status")} <> %s)))"""
    status = CampaignRecipient.Status
    return sql, [status.TASK_CREATED.value, status.QUEUED.value, OutboxMessage.Status.SUPPRESSED.value]


@dataclass(frozen=True)
class CampaignCosts:
    """Per campaign (positions of ``ids``): its cost per message and its other (fixed) costs, in
    cents, and how many customers it acquired.

    A campaign's money is charged once. Each message costs the campaign's cost per message (the
    settings' cost per message when it recorded none). Its other costs are the price of winning
    customers: shared by the customers it acquired (their acquisition cost) or, when it acquired
    none, shared over its messages."""

    ids: np.ndarray
    per_message_cents: np.ndarray
    fixed_cents: np.ndarray
    acquired: np.ndarray

    def position(self, campaign_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, campaign_ids)

    def message_unit(self, sent: np.ndarray, default_cents: float) -> np.ndarray:
        unit = np.where(self.per_message_cents > 0, self.per_message_cents, default_cents)
        fixed_share = np.where((self.acquired == 0) & (sent > 0), self.fixed_cents / np.maximum(sent, 1), 0.0)
        return unit + fixed_share

    def acquisition_share(self) -> np.ndarray:
        return np.where(self.acquired > 0, self.fixed_cents / np.maximum(self.acquired, 1), 0.0)


def _campaign_acquisitions(base: CustomerBase) -> tuple[np.ndarray, np.ndarray]:
    """(customer ids, campaign ids): customers converted from a lead whose campaign code is a
    campaign's tracking code; a customer converted from several such leads belongs to the
    campaign of the earliest conversion."""
    lead, c = table(Lead), table(Campaign)
    sql = f"""
        SELECT l.{column(Lead, "customer")}, c.{column(Campaign, "id")}
        FROM {lead} l JOIN {c} c ON c.{column(Campaign, "tracking_code")} = l.{column(Lead, "campaign")}
        WHERE l.{column(Lead, "customer")} IS NOT NULL AND l.{column(Lead, "status")} = %s
              AND l.{column(Lead, "campaign")} <> ''
        ORDER BY 1, l.{column(Lead, "converted_at")}, 2
    """  # noqa: S608
    ids, campaign_ids = fetch_columns(sql, [Lead.Status.CONVERTED.value], [I64, I64])
    keep = base.known(ids)
    ids, campaign_ids = ids[keep], campaign_ids[keep]
    if len(ids):
        first = np.r_[True, ids[1:] != ids[:-1]]  # each customer's earliest conversion (rows are sorted)
        ids, campaign_ids = ids[first], campaign_ids[first]
    return ids, campaign_ids


def load_campaigns(base: CustomerBase) -> tuple[CampaignCosts, np.ndarray]:
    """Every campaign's costs, and per customer the share of the campaign that acquired it (cents;
    0 for none)."""
    c = table(Campaign)
    campaign_sql = f"""
        SELECT {column(Campaign, "id")}, {cents(column(Campaign, "cost_per_message"))},
               {cents(column(Campaign, "fixed_cost"))}
        FROM {c} ORDER BY 1
    """  # noqa: S608
    campaigns, per_message, fixed = fetch_columns(campaign_sql, [], [I64, F64, F64])
    customer_ids, campaign_ids = _campaign_acquisitions(base)
    position = np.searchsorted(campaigns, campaign_ids)
    costs = CampaignCosts(
        ids=campaigns,
        per_message_cents=per_message,
        fixed_cents=fixed,
        acquired=np.bincount(position, minlength=len(campaigns)),
    )
    shares = np.zeros(len(base))
    if len(customer_ids):
        shares[base.positions(customer_ids)] = costs.acquisition_share()[position]
    return costs, shares


def load_messages(base: CustomerBase, costs: CampaignCosts, *, default_cost_cents: float) -> Flow:
    """Campaign messages per customer and local day sent, each at its campaign's message cost."""
    rc, run, ob = table(CampaignRecipient), table(CampaignRun), table(OutboxMessage)
    sent_at = f"COALESCE(rc.{column(CampaignRecipient, 'processed_at')}, run.{column(CampaignRun, 'started_at')})"
    day, params = local_day_number(sent_at)
    messaged, messaged_params = _messaged_sql()
    sql = f"""
        SELECT rc.{column(CampaignRecipient, "customer")}, {day}, rc.{column(CampaignRecipient, "campaign")}, COUNT(*)
        FROM {rc} rc
        JOIN {run} run ON run.{column(CampaignRun, "id")} = rc.{column(CampaignRecipient, "run")}
        LEFT JOIN {ob} ob ON ob.{column(OutboxMessage, "id")} = rc.{column(CampaignRecipient, "outbox_message")}
        WHERE {messaged}
        GROUP BY 1, 2, 3
    """  # noqa: S608
    ids, days, campaign_ids, counts = fetch_columns(sql, [*params, *messaged_params], [I64, I64, I64, I64])
    position = costs.position(campaign_ids)
    sent = np.bincount(position, weights=counts, minlength=len(costs.ids))
    unit = costs.message_unit(sent, default_cost_cents)
    return _flow(base, ids, days, counts * unit[position], counts)


# A (category, priority) pair as one sortable key.
_PRIORITY_SLOTS = 16


@dataclass(frozen=True)
class TicketCosts:
    """What a ticket costs by (category, priority), in cents per ticket and per hour open:
    resolved once per combination (categories x priorities, a few dozen), the most specific
    TicketCost first — the category and priority, the category alone, then its parent categories
    the same way, then the priority alone, then the default row."""

    keys: np.ndarray  # category * _PRIORITY_SLOTS + priority, ascending
    per_ticket: np.ndarray
    per_hour: np.ndarray

    def lookup(self, categories: np.ndarray, priorities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.keys):
            return np.zeros(len(categories)), np.zeros(len(categories))
        wanted = categories * _PRIORITY_SLOTS + priorities
        position = np.searchsorted(self.keys, wanted).clip(max=len(self.keys) - 1)
        found = self.keys[position] == wanted
        return np.where(found, self.per_ticket[position], 0.0), np.where(found, self.per_hour[position], 0.0)


def load_ticket_costs() -> TicketCosts:
    rows = {
        (row.category_id or 0, row.priority or 0): (float(row.cost_per_ticket * 100), float(row.cost_per_hour * 100))
        for row in TicketCost.objects.all()
    }
    # Each category's own id and its ancestors' from its materialised path "1/4/9/", nearest first.
    lineage = {
        pk: [int(part) for part in reversed(path.strip("/").split("/")) if part]
        for pk, path in TicketCategory.objects.values_list("pk", "path")
    }
    resolved: dict[int, tuple[float, float]] = {}
    for category in [0, *lineage]:
        for priority in Ticket.Priority.values:
            candidates = [(node, level) for node in lineage.get(category, []) for level in (priority, 0)]
            candidates += [(0, priority), (0, 0)]
            found = next((rows[key] for key in candidates if key in rows), None)
            if found is not None:
                resolved[category * _PRIORITY_SLOTS + priority] = found
    keys = np.array(sorted(resolved), dtype=I64)
    per_ticket = np.array([resolved[key][0] for key in keys.tolist()], dtype=F64)
    per_hour = np.array([resolved[key][1] for key in keys.tolist()], dtype=F64)
    return TicketCosts(keys, per_ticket, per_hour)


def load_tickets(base: CustomerBase, *, now: datetime, costs: TicketCosts) -> Flow:
    """Tickets per customer and local day opened, each costing its TicketCost (per ticket plus
    per hour open, until ``now`` for a ticket still open)."""
    t = table(Ticket)
    created = f"{column(Ticket, 'created_at')}"
    day, params = local_day_number(created)
    hours = hours_between(created, f"COALESCE({column(Ticket, 'resolved_at')}, %s)")
    sql = f"""
        SELECT {column(Ticket, "customer")}, {day}, COALESCE({column(Ticket, "category")}, 0),
               {column(Ticket, "priority")}, COUNT(*), SUM(CASE WHEN {hours} > 0 THEN {hours} ELSE 0 END)
        FROM {t} GROUP BY 1, 2, 3, 4
    """  # noqa: S608
    until = connection.ops.adapt_datetimefield_value(now)
    ids, days, categories, priorities, counts, open_hours = fetch_columns(
        sql, [*params, until, until], [I64, I64, I64, I64, I64, F64]
    )
    per_ticket, per_hour = costs.lookup(categories, priorities)
    return _flow(base, ids, days, counts * per_ticket + open_hours * per_hour, counts)


def load_cash_flows(
    base: CustomerBase, *, now: datetime, today: int, cost_per_message_cents: float, ticket_costs: TicketCosts
) -> CashFlows:
    purchases = load_purchases(base).until(today)
    revenue, invoice_costs = load_revenue(base)
    returns, recovered = load_returns(base)
    cost_of_goods = Flow(
        customer=np.concatenate([invoice_costs.customer, recovered.customer]),
        day=np.concatenate([invoice_costs.day, recovered.day]),
        cents=np.concatenate([invoice_costs.cents, -recovered.cents]),
        count=np.concatenate([invoice_costs.count, recovered.count]),
    )
    campaign_costs, campaign_shares = load_campaigns(base)
    messages = load_messages(base, campaign_costs, default_cost_cents=cost_per_message_cents)
    acquisition = np.where(np.isnan(base.acquisition_cents), campaign_shares, base.acquisition_cents)
    return CashFlows(
        purchases=purchases,
        revenue=revenue,
        cost_of_goods=cost_of_goods,
        returns=returns,
        activities=load_activities(base),
        messages=messages,
        tickets=load_tickets(base, now=now, costs=ticket_costs),
        acquisition_cents=acquisition,
    )
