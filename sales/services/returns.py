"""Writes of returns: record goods a customer brought back from a confirmed or delivered order.

What a return refunds is the returned share of each order line as the order priced it: net of
the line's discount, before tax (line net ÷ quantity bought × quantity returned), with the tax
and the cost of goods (the line's unit cost) of that share. Shares are rounded *cumulatively*:
after any number of returns, a line's refunds add up to money(net × returned ÷ bought), so a line
returned in three parts refunds exactly its net amount, never a cent more or less.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from crm_site.models import User
from customers.models import Interaction
from customers.services import interaction_record
from sales.models import Order, OrderLine, OrderReturn, OrderReturnLine
from sales.numbering import save_with_number
from sales.totals import ZERO, money

RETURN_PREFIX = "RET"  # RET-000123, numbered like orders and invoices (sales/numbering.py)
RETURNABLE = (Order.Status.CONFIRMED, Order.Status.DELIVERED)
QUANTITY_STEP = Decimal("0.001")  # the quantity fields' three decimal places


@dataclass(frozen=True)
class ReturnAmounts:
    amount: Decimal  # net refunded, before tax
    tax: Decimal
    cost: Decimal  # the goods back at the line's unit cost


def return_line_amounts(
    *,
    bought: Decimal,
    net_amount: Decimal,
    tax_amount: Decimal,
    unit_cost: Decimal,
    returned_before: Decimal,
    quantity: Decimal,
) -> ReturnAmounts:
    """The refund, tax and cost of returning ``quantity`` of a line of which ``bought`` were
    sold (for ``net_amount`` plus ``tax_amount``) and ``returned_before`` already came back.

    Each figure is the cumulative share after this return less the one before it (see the module
    docstring), so the refunds of a line always add up on paper."""
    after = returned_before + quantity

    def share(total: Decimal, upto: Decimal) -> Decimal:
        return money(Decimal(total) * upto / Decimal(bought)) if upto else ZERO

    def cost(upto: Decimal) -> Decimal:
        return money(Decimal(unit_cost) * upto)

    return ReturnAmounts(
        amount=share(net_amount, after) - share(net_amount, returned_before),
        tax=share(tax_amount, after) - share(tax_amount, returned_before),
        cost=cost(after) - cost(returned_before),
    )


def returned_quantities(*, order: Order) -> dict[int, Decimal]:
    """How much of each line of ``order`` has come back so far: {order line id: quantity} (one query)."""
    rows = (
        OrderReturnLine.objects.filter(order_line__order=order)
        .values("order_line_id")
        .annotate(returned=Sum("quantity"))
        .values_list("order_line_id", "returned")
    )
    return {line_id: Decimal(returned) for line_id, returned in rows}


@transaction.atomic
def order_return_create(
    *,
    order: Order,
    user: User | None,
    returned_on: dt.date,
    reason: str,
    note: str = "",
    quantities: Mapping[int, Decimal | None],
) -> OrderReturn:
    """Record a return of ``quantities`` ({order line id: quantity}; zero or None: none of that
    line) from ``order``, numbered RET-000123, with an entry on the customer's timeline.

    The order row is locked before the quantities already returned are read, so two returns
    recorded at once are checked one after the other and can never together return more than
    was bought. Every refusal raises ValidationError and writes nothing."""
    order = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    if order.status not in RETURNABLE:
        raise ValidationError(
            _("Only a confirmed or delivered order can take a return; this one is %(status)s.")
            % {"status": order.get_status_display().lower()}
        )
    _check_date(order, returned_on)
    lines = list(OrderLine.objects.filter(order=order).select_related("product").order_by("id"))
    wanted = _wanted(lines, quantities, returned_quantities(order=order))

    order_return = OrderReturn(
        order=order,
        customer_id=order.customer_id,
        returned_on=returned_on,
        reason=reason,
        note=note.strip(),
        created_by=user,
    )
    return_lines = []
    for line, before, quantity in wanted:
        amounts = return_line_amounts(
            bought=line.quantity,
            net_amount=line.net_amount,
            tax_amount=line.tax_amount,
            unit_cost=line.unit_cost,
            returned_before=before,
            quantity=quantity,
        )
        return_lines.append(
            OrderReturnLine(
                order_line=line, quantity=quantity, amount=amounts.amount, tax_amount=amounts.tax, cost=amounts.cost
            )
        )
    order_return.amount = sum((row.amount for row in return_lines), ZERO)
    order_return.tax_amount = sum((row.tax_amount for row in return_lines), ZERO)
    order_return.cost_recovered = sum((row.cost for row in return_lines), ZERO)
    # The order and customer are the locked row's own; the number is given on save.
    order_return.full_clean(exclude=["number", "order", "customer"])
    save_with_number(instance=order_return, prefix=RETURN_PREFIX)
    for row in return_lines:
        row.order_return = order_return
    OrderReturnLine.objects.bulk_create(return_lines)

    interaction_record(
        customer=order.customer,
        kind=Interaction.Kind.ORDER,
        user=user,
        occurred_at=_moment(returned_on),
        subject=_("Return %(number)s from order %(order)s: %(amount)s")
        % {
            "number": order_return.number,
            "order": order.number,
            "amount": number_format(order_return.total, decimal_pos=2),
        },
        body=order_return.note,
        source=order_return,
        url=order_return.get_absolute_url(),
    )
    return order_return


def _check_date(order: Order, returned_on: dt.date | None) -> None:
    if returned_on is None:
        raise ValidationError({"returned_on": _("Enter the date the goods came back.")})
    if returned_on > timezone.localdate():
        raise ValidationError({"returned_on": _("A return cannot be dated in the future.")})
    ordered_on = timezone.localdate(order.ordered_at)
    if returned_on < ordered_on:
        raise ValidationError(
            {
                "returned_on": _("A return cannot be dated before its order (%(date)s).")
                % {"date": date_format(ordered_on, "SHORT_DATE_FORMAT")}
            }
        )


def _wanted(
    lines: list[OrderLine], quantities: Mapping[int, Decimal | None], returned: dict[int, Decimal]
) -> list[tuple[OrderLine, Decimal, Decimal]]:
    """(line, already returned, quantity to return) of each line with a quantity, checked: every
    problem is named with its line (as "Line 2 (Product)"), all of them at once."""
    by_id = {line.pk: (position, line) for position, line in enumerate(lines, start=1)}
    problems, wanted = [], []
    for key, raw in quantities.items():
        try:
            position, line = by_id[int(key)]
        except (KeyError, TypeError, ValueError):
            problems.append(_("One of the lines is not a line of this order."))
            continue
        label = _("Line %(number)s (%(product)s)") % {"number": position, "product": line.product.name}
        try:
            quantity = Decimal(raw) if raw not in (None, "") else ZERO
        except (InvalidOperation, TypeError, ValueError):
            problems.append(_("%(line)s: enter a number.") % {"line": label})
            continue
        if not quantity.is_finite():
            problems.append(_("%(line)s: enter a number.") % {"line": label})
            continue
        if quantity == ZERO:
            continue
        if quantity < ZERO:
            problems.append(_("%(line)s: a quantity cannot be negative.") % {"line": label})
            continue
        if quantity != quantity.quantize(QUANTITY_STEP):
            problems.append(_("%(line)s: use at most three decimal places.") % {"line": label})
            continue
        before = returned.get(line.pk, ZERO)
        remaining = line.quantity - before
        if quantity > remaining:
            problems.append(
                _("%(line)s: at most %(remaining)s can be returned (%(bought)s bought, %(returned)s already returned).")
                % {
                    "line": label,
                    "remaining": quantity_text(remaining),
                    "bought": quantity_text(line.quantity),
                    "returned": quantity_text(before),
                }
            )
            continue
        wanted.append((line, before, quantity))
    if problems:
        raise ValidationError(problems)
    if not wanted:
        raise ValidationError(_("Enter a quantity to return on at least one line."))
    wanted.sort(key=lambda item: item[0].pk)
    return wanted


def quantity_text(value: Decimal) -> str:
    """A quantity as people write it: 2 or 1.5, not 2.000 (messages and the return form)."""
    return number_format(value.normalize() if value else ZERO)


def _moment(returned_on: dt.date) -> dt.datetime:
    """When the timeline shows the return: now if it came back today, else midday of its day."""
    if returned_on == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(returned_on, dt.time(12)))
