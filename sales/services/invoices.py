"""Writes of invoices and payments: invoice an order, void an invoice, record a payment."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from crm_site.events import Event, announce
from crm_site.models import User
from customers.models import Interaction
from customers.services import interaction_record
from sales.models import Invoice, Order, Payment, SalesSettings
from sales.numbering import INVOICE_PREFIX, save_with_number
from sales.services.orders import order_schedule_after_sale
from sales.totals import ZERO, money

OPEN = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


@transaction.atomic
def order_invoice(*, order: Order, by: User | None, due_in_days: int = 14) -> Invoice:
    """Invoice the whole order, once: a second invoice is refused unless the first was voided.

    The order row is locked, so two clicks at once make one invoice."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in {Order.Status.CONFIRMED, Order.Status.DELIVERED}:
        raise ValidationError(_("Confirm the order before invoicing it."))
    existing = order.invoices.exclude(status=Invoice.Status.VOID).first()
    if existing is not None:
        raise ValidationError(
            _("This order is already invoiced (%(number)s); void that invoice to issue a new one.")
            % {"number": existing.number}
        )
    if order.total <= ZERO:
        raise ValidationError(_("An order with nothing to pay cannot be invoiced."))
    if due_in_days < 0:
        raise ValidationError({"due_in_days": _("The payment term cannot be negative.")})
    today = timezone.localdate()
    invoice = Invoice(
        order=order,
        customer_id=order.customer_id,
        status=Invoice.Status.ISSUED,
        issued_on=today,
        due_on=today + timedelta(days=due_in_days),
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        tax_total=order.tax_total,
        total=order.total,
        amount_paid=ZERO,
        owner_id=order.owner_id,
        team_id=order.team_id,
    )
    invoice.full_clean(exclude=["number"])
    return save_with_number(instance=invoice, prefix=INVOICE_PREFIX)


@transaction.atomic
def invoice_void(*, invoice: Invoice, by: User | None) -> Invoice:
    """Void an invoice nobody has paid anything on (the order may then be invoiced again)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == Invoice.Status.VOID:
        return invoice
    if invoice.amount_paid > ZERO or invoice.payments.exists():
        raise ValidationError(_("An invoice with payments cannot be voided."))
    invoice.status = Invoice.Status.VOID
    invoice.full_clean()
    invoice.save(update_fields=["status"])
    return invoice


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    paid_at: datetime,
    reference: str = "",
    by: User | None,
) -> Payment:
    """Record a (possibly partial) payment of an invoice.

    The invoice row is locked for the check and the update, so two payments recorded at once are
    checked one after the other and can never together pay more than the balance. When the
    invoice is paid in full and so are the order's other invoices, the order is paid: its
    ``paid_at`` is set and the after-sale messages are scheduled (if they wait for payment)."""
    invoice = Invoice.objects.select_for_update().select_related("order").get(pk=invoice.pk)
    if invoice.status not in OPEN:
        raise ValidationError(
            _("Invoice %(number)s is %(status)s: it takes no payment.")
            % {"number": invoice.number, "status": invoice.get_status_display().lower()}
        )
    if amount is None or Decimal(amount) <= ZERO:
        raise ValidationError({"amount": _("Enter an amount greater than zero.")})
    amount = money(amount)
    if paid_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"paid_at": _("A payment cannot be dated in the future.")})
    balance = invoice.total - invoice.amount_paid
    if amount > balance:
        raise ValidationError(
            {
                "amount": _("This is more than the balance due (%(balance)s); overpayments are not accepted.")
                % {"balance": number_format(balance, decimal_pos=2)}
            }
        )
    payment = Payment(
        invoice=invoice,
        customer_id=invoice.customer_id,
        amount=amount,
        method=method,
        paid_at=paid_at,
        reference=reference.strip(),
        received_by=by,
    )
    payment.full_clean(exclude=["invoice", "customer"])
    payment.save()

    invoice.amount_paid += amount
    if invoice.amount_paid == invoice.total:
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = paid_at
    else:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    invoice.save(update_fields=["amount_paid", "status", "paid_at"])

    interaction_record(
        customer=invoice.customer,
        kind=Interaction.Kind.PAYMENT,
        user=by,
        occurred_at=paid_at,
        subject=_("Payment of %(amount)s on invoice %(number)s")
        % {"amount": number_format(amount, decimal_pos=2), "number": invoice.number},
        source=payment,
        url=invoice.get_absolute_url(),
    )
    if invoice.status == Invoice.Status.PAID:
        _settle_order(order=invoice.order, paid_at=paid_at)
    return payment


def _settle_order(*, order: Order, paid_at: datetime) -> None:
    """The order is paid when none of its (non-void) invoices still has a balance."""
    unpaid = order.invoices.exclude(status__in=[Invoice.Status.VOID, Invoice.Status.PAID]).exists()
    if unpaid:
        return
    if Order.objects.filter(pk=order.pk, paid_at__isnull=True).update(paid_at=paid_at, updated_at=timezone.now()):
        order.paid_at = paid_at
        announce(
            Event.ORDER_PAID,
            customer_id=order.customer_id,
            key=f"order:{order.pk}",
            source=order,
            occurred_at=paid_at,
            amount=str(order.total),
        )
        # The messages are timed from when the payment is recorded: a payment entered late must
        # not make the thank-you fall due in the past and go out at once.
        order_schedule_after_sale(order=order, event=SalesSettings.Trigger.PAID, at=timezone.now())
