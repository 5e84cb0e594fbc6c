"""Demo returns: about 2% of the delivered orders get one line back (sometimes only part of it),
a few days to a month after delivery, for a weighted reason.

Everything comes from ``ctx.rng_for("returns")`` (the orders' own random stream is left alone, so
adding returns changed no order). The chosen orders' lines are read in one query per
``READ_CHUNK`` orders (one query up to about 170,000 customers), every amount comes from
``sales.services.returns.return_line_amounts`` (the service's own rounding), and the rows are
written in bulk with ids given up front, in date order, so ids and numbers grow with the date.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from crm_site.bulkload import BulkTables
from sales.demo.common import DAY, Clock, Pick
from sales.models import OrderLine, OrderReturn, OrderReturnLine
from sales.numbering import format_number
from sales.services.returns import RETURN_PREFIX, return_line_amounts

RETURN_SHARE = 0.02  # of the delivered orders
PARTIAL_SHARE = 0.5  # of returned lines bought more than once: only some of them come back
READ_CHUNK = 10_000  # order ids per query (SQLite takes at most 32,766 parameters)
PICK_REASON = Pick(OrderReturn.Reason.values, [40, 20, 30, 10])  # defective, wrong item, changed mind, other
PICK_DAYS = Pick([1, 2, 3, 5, 7, 10, 14, 21, 30], [10, 15, 15, 15, 15, 10, 10, 6, 4])  # after delivery
NOTES = {
    OrderReturn.Reason.DEFECTIVE: ["Does not power on.", "Arrived broken.", "دستگاه روشن نمی‌شود.", ""],
    OrderReturn.Reason.WRONG_ITEM: ["Wrong model delivered.", "Wrong colour.", ""],
    OrderReturn.Reason.CHANGED_MIND: ["Found it cheaper elsewhere.", ""],
    OrderReturn.Reason.OTHER: [""],
}


@dataclass(frozen=True, slots=True)
class _Line:
    pk: int
    quantity: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    unit_cost: Decimal
    customer_id: int
    delivered_at_tick: int
    owner_id: int | None


def return_tables(table_for) -> BulkTables:
    return BulkTables(returns=table_for(OrderReturn, with_pk=True), lines=table_for(OrderReturnLine))


def _lines_of(order_ids: list[int], clock: Clock) -> dict[int, list[_Line]]:
    """The lines of ``order_ids`` with what a return needs of their order, in id order."""
    lines: dict[int, list[_Line]] = defaultdict(list)
    for start in range(0, len(order_ids), READ_CHUNK):
        chunk = order_ids[start : start + READ_CHUNK]
        rows = (
            OrderLine.objects.filter(order_id__in=chunk)
            .order_by("order_id", "id")
            .values_list(
                "order_id",
                "id",
                "quantity",
                "net_amount",
                "tax_amount",
                "unit_cost",
                "order__customer_id",
                "order__delivered_at",
                "order__owner_id",
            )
        )
        for order_id, pk, quantity, net, tax, cost, customer_id, delivered_at, owner_id in rows:
            lines[order_id].append(
                _Line(pk, quantity, net, tax, cost, customer_id, clock.tick_of(delivered_at), owner_id)
            )
    return lines


def write_returns(
    rng: random.Random, clock: Clock, delivered: list[int], tables: BulkTables, *, return_id: int, sequence: int
) -> int:
    """Returns of about 2% of the ``delivered`` orders (at least one when there are any), one line
    each; gives them ids from ``return_id`` and numbers after ``sequence``. Returns how many."""
    if not delivered:
        return 0
    chosen = sorted(rng.sample(delivered, max(1, round(len(delivered) * RETURN_SHARE))))
    lines = _lines_of(chosen, clock)
    planned = []
    for order_id in chosen:
        if not lines[order_id]:
            continue
        line = rng.choice(lines[order_id])
        quantity = line.quantity
        whole = quantity == quantity.to_integral_value()
        if whole and quantity > 1 and rng.random() < PARTIAL_SHARE:
            quantity = Decimal(rng.randint(1, int(quantity) - 1))
        # A few days after delivery, and never later than yesterday (delivered orders are in the past).
        day = min(line.delivered_at_tick // DAY + PICK_DAYS(rng), -1)
        tick = clock.business(rng, day)
        reason = PICK_REASON(rng)
        planned.append((tick, order_id, line, quantity, reason, rng.choice(NOTES[reason])))

    planned.sort(key=lambda item: (item[0], item[1]))
    for offset, (tick, order_id, line, quantity, reason, note) in enumerate(planned):
        amounts = return_line_amounts(
            bought=line.quantity,
            net_amount=line.net_amount,
            tax_amount=line.tax_amount,
            unit_cost=line.unit_cost,
            returned_before=Decimal(0),
            quantity=quantity,
        )
        pk = return_id + offset
        tables.returns.add(
            id=pk,
            number=format_number(RETURN_PREFIX, sequence + offset + 1),
            order_id=order_id,
            customer_id=line.customer_id,
            returned_on=clock.day(tick),
            reason=reason,
            note=note,
            amount=amounts.amount,
            tax_amount=amounts.tax,
            cost_recovered=amounts.cost,
            created_by_id=line.owner_id,
            created_at=clock.at(tick),
        )
        tables.lines.add(
            order_return_id=pk,
            order_line_id=line.pk,
            quantity=quantity,
            amount=amounts.amount,
            tax_amount=amounts.tax,
            cost=amounts.cost,
        )
    tables.flush()
    return len(planned)
