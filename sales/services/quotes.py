"""Writes of quotes: create, edit lines, send, accept or reject, and turn into an order."""

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm_site.models import User
from customers.models import Customer
from sales.models import Opportunity, Order, Quote, QuoteLine
from sales.numbering import QUOTE_PREFIX, save_with_number
from sales.services.documents import LineInput, apply_totals, build_lines, lines_as_input
from sales.services.orders import order_create

EDITABLE = {Quote.Status.DRAFT, Quote.Status.SENT}
# A quote still waiting for the customer's answer: the only ones its validity date can lapse.
AWAITING = (Quote.Status.DRAFT, Quote.Status.SENT)


def _refuse_if_lapsed(quote: Quote, today: date | None = None) -> None:
    """A draft or sent quote past its validity date may not be accepted or ordered any more:
    the prices were only promised until then. Moving the date on renews it."""
    today = today or timezone.localdate()
    if quote.status in AWAITING and quote.valid_until is not None and quote.valid_until < today:
        raise ValidationError(
            _("This quote expired on %(date)s. Change its “valid until” date to renew it first.")
            % {"date": date_format(quote.valid_until, "SHORT_DATE_FORMAT")}
        )


@transaction.atomic
def quote_create(
    *,
    customer: Customer,
    owner: User | None,
    lines: Sequence[LineInput],
    issued_on: date,
    valid_until: date | None = None,
    opportunity: Opportunity | None = None,
    notes: str = "",
) -> Quote:
    """A draft quote with its priced lines and totals, numbered Q-000123."""
    if opportunity is not None and opportunity.customer_id != customer.pk:
        raise ValidationError({"opportunity": _("The opportunity belongs to another customer.")})
    if valid_until is not None and valid_until < issued_on:
        raise ValidationError({"valid_until": _("A quote cannot expire before its date.")})
    quote = Quote(
        customer=customer,
        opportunity=opportunity,
        issued_on=issued_on,
        valid_until=valid_until,
        notes=notes.strip(),
        owner=owner,
        team_id=owner.team_id if owner else None,
    )
    built = build_lines(QuoteLine, lines)
    apply_totals(quote, built)
    quote.full_clean(exclude=["number"])
    save_with_number(instance=quote, prefix=QUOTE_PREFIX)
    for line in built:
        line.quote = quote
    QuoteLine.objects.bulk_create(built)
    return quote


@transaction.atomic
def quote_update_lines(
    *, quote: Quote, lines: Sequence[LineInput], notes: str | None = None, valid_until: date | None = None
) -> Quote:
    """Replace the lines of a draft or sent quote and recompute its totals."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in EDITABLE:
        raise ValidationError(
            _("A quote that is %(status)s can no longer be edited.") % {"status": quote.get_status_display().lower()}
        )
    built = build_lines(QuoteLine, lines, quote=quote)
    if notes is not None:
        quote.notes = notes.strip()
    if valid_until is not None:
        if valid_until < quote.issued_on:
            raise ValidationError({"valid_until": _("A quote cannot expire before its date.")})
        quote.valid_until = valid_until
    apply_totals(quote, built)
    quote.full_clean()
    quote.save()
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create(built)
    return quote


def _move(quote: Quote, allowed: set[str], to: str, refusal: str) -> Quote:
    """Change the status in one conditional UPDATE, so two clicks at once cannot both win."""
    changed = Quote.objects.filter(pk=quote.pk, status__in=allowed).update(status=to)
    if not changed:
        raise ValidationError(refusal)
    quote.refresh_from_db()
    return quote


@transaction.atomic
def quote_send(*, quote: Quote) -> Quote:
    return _move(quote, {Quote.Status.DRAFT}, Quote.Status.SENT, _("Only a draft quote can be marked as sent."))


@transaction.atomic
def quote_accept(*, quote: Quote) -> Quote:
    _refuse_if_lapsed(Quote.objects.select_for_update().get(pk=quote.pk))
    return _move(
        quote,
        {Quote.Status.DRAFT, Quote.Status.SENT},
        Quote.Status.ACCEPTED,
        _("Only a draft or sent quote can be accepted."),
    )


@transaction.atomic
def quote_reject(*, quote: Quote) -> Quote:
    return _move(
        quote,
        {Quote.Status.DRAFT, Quote.Status.SENT, Quote.Status.ACCEPTED},
        Quote.Status.REJECTED,
        _("This quote can no longer be rejected."),
    )


@transaction.atomic
def quote_to_order(*, quote: Quote, by: User | None) -> Order:
    """Make an order of the quote, once: asked again, it returns the order already made.

    The quote row is locked first, so two clicks at once make one order (the second waits, then
    finds the first one's order)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    existing = Order.objects.filter(quote=quote).first()
    if existing is not None:
        return existing
    if quote.status not in {Quote.Status.DRAFT, Quote.Status.SENT, Quote.Status.ACCEPTED}:
        raise ValidationError(
            _("A quote that is %(status)s cannot become an order.") % {"status": quote.get_status_display().lower()}
        )
    _refuse_if_lapsed(quote)
    order = order_create(
        customer=quote.customer,
        owner=quote.owner,
        lines=lines_as_input(quote.lines.select_related("product")),
        opportunity=quote.opportunity,
        notes=quote.notes,
        quote=quote,
        by=by,
    )
    quote.status = Quote.Status.ORDERED
    quote.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def quotes_expire(*, today: date | None = None) -> int:
    """Mark the draft and sent quotes whose validity date has passed as expired; how many.
    One conditional UPDATE, so running it twice (or alongside an acceptance) changes nothing more."""
    today = today or timezone.localdate()
    return Quote.objects.filter(status__in=AWAITING, valid_until__lt=today).update(
        status=Quote.Status.EXPIRED, updated_at=timezone.now()
    )
