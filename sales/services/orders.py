"""Writes of orders: create (directly or from a quote), edit a draft's lines, confirm, deliver,
cancel, and the after-sale schedule (when the thank-you and survey messages fall due)."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from crm_site.models import User
from customers.models import Customer, Interaction
from customers.services import interaction_record
from sales.models import Invoice, Opportunity, Order, OrderLine, Quote, SalesSettings
from sales.numbering import ORDER_PREFIX, save_with_number
from sales.services.documents import LineInput, apply_totals, build_lines, line_cost
from sales.totals import ZERO


def _apply_cost(order: Order, lines: Sequence[OrderLine]) -> None:
    order.cost_total = sum((line_cost(line) for line in lines), ZERO)


@transaction.atomic
def order_create(
    *,
    customer: Customer,
    owner: User | None,
    lines: Sequence[LineInput],
    by: User | None,
    ordered_at: datetime | None = None,
    opportunity: Opportunity | None = None,
    notes: str = "",
    quote: Quote | None = None,
) -> Order:
    """A draft order numbered SO-000123, with priced lines (unit costs from the products), its
    totals and cost of goods, and an "order" entry on the customer's timeline."""
    if opportunity is not None and opportunity.customer_id != customer.pk:
        raise ValidationError({"opportunity": _("The opportunity belongs to another customer.")})
    order = Order(
        customer=customer,
        quote=quote,
        opportunity=opportunity,
        status=Order.Status.DRAFT,
        ordered_at=ordered_at or timezone.now(),
        notes=notes.strip(),
        owner=owner,
        team_id=owner.team_id if owner else None,
        created_by=by,
    )
    built = build_lines(OrderLine, lines)
    apply_totals(order, built)
    _apply_cost(order, built)
    order.full_clean(exclude=["number", "quote"])
    save_with_number(instance=order, prefix=ORDER_PREFIX)
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    interaction_record(
        customer=customer,
        kind=Interaction.Kind.ORDER,
        user=by,
        occurred_at=order.ordered_at,
        subject=_("Order %(number)s: %(total)s") % {"number": order.number, "total": number_format(order.total)},
        source=order,
        url=order.get_absolute_url(),
    )
    return order


@transaction.atomic
def order_update_lines(*, order: Order, lines: Sequence[LineInput], notes: str | None = None) -> Order:
    """Replace the lines of a draft order and recompute its totals and cost of goods."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.DRAFT:
        raise ValidationError(_("Only a draft order can be edited; this one is confirmed or closed."))
    built = build_lines(OrderLine, lines, order=order)
    if notes is not None:
        order.notes = notes.strip()
    apply_totals(order, built)
    _apply_cost(order, built)
    order.full_clean()
    order.save()
    order.lines.all().delete()
    OrderLine.objects.bulk_create(built)
    return order


@transaction.atomic
def order_confirm(*, order: Order) -> Order:
    changed = Order.objects.filter(pk=order.pk, status=Order.Status.DRAFT).update(
        status=Order.Status.CONFIRMED, updated_at=timezone.now()
    )
    if not changed:
        raise ValidationError(_("Only a draft order can be confirmed."))
    order.refresh_from_db()
    return order


@transaction.atomic
def order_deliver(*, order: Order, delivered_at: datetime | None = None) -> Order:
    """Mark a confirmed order delivered; after-sale messages may be due from now."""
    now = timezone.now()
    changed = Order.objects.filter(pk=order.pk, status=Order.Status.CONFIRMED).update(
        status=Order.Status.DELIVERED, delivered_at=delivered_at or now, updated_at=now
    )
    if not changed:
        raise ValidationError(_("Only a confirmed order can be delivered."))
    order.refresh_from_db()
    order_schedule_after_sale(order=order, event=SalesSettings.Trigger.DELIVERED, at=now)
    return order


@transaction.atomic
def order_cancel(*, order: Order) -> Order:
    """Cancel an order that has not been invoiced (void its invoice first) nor paid."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in {Order.Status.DRAFT, Order.Status.CONFIRMED}:
        raise ValidationError(
            _("An order that is %(status)s cannot be cancelled.") % {"status": order.get_status_display().lower()}
        )
    if order.paid_at is not None or order.invoices.exclude(status=Invoice.Status.VOID).exists():
        raise ValidationError(_("This order has been invoiced: void its invoice before cancelling the order."))
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    return order


def order_schedule_after_sale(*, order: Order, event: str, at: datetime) -> Order:
    """Set when the thank-you and survey messages fall due, if the settings send them on
    ``event`` ("paid" or "delivered"). Once per order: a time already set is never moved, and
    each field is set by a conditional UPDATE, so two events at once cannot both set it.

    The messages themselves are sent by the after-sale job, which reads these fields."""
    settings = SalesSettings.load()
    if settings.thank_you_trigger != event:
        return order
    if settings.thank_you_enabled:
        Order.objects.filter(pk=order.pk, thank_you_due_at__isnull=True).update(
            thank_you_due_at=at + timedelta(minutes=settings.thank_you_delay_minutes)
        )
    if settings.survey_enabled:
        Order.objects.filter(pk=order.pk, survey_due_at__isnull=True).update(
            survey_due_at=at + timedelta(days=settings.survey_delay_days)
        )
    order.refresh_from_db(fields=["thank_you_due_at", "survey_due_at"])
    return order
