"""Quotes past their validity date: refused for acceptance and ordering, shown as expired, and
marked expired by the nightly job."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import Promise

from sales.models import Order, Quote
from sales.services.quotes import quote_accept, quote_create, quote_to_order, quotes_expire
from sales.tasks.quotes import expire_quotes
from sales.views import orders as order_views
from sales.views import quotes as quote_views
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.date(2026, 3, 20)
NOON = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)


def make_quote(owner, *, valid_until, status=Quote.Status.DRAFT):
    customer = CustomerFactory(owner=owner, team=owner.team)
    product = ProductFactory(list_price=D("100.00"), tax_rate=D("9.00"))
    quote = quote_create(
        customer=customer,
        owner=owner,
        issued_on=dt.date(2026, 3, 1),
        valid_until=valid_until,
        lines=[{"product": product, "quantity": D(1)}],
    )
    Quote.objects.filter(pk=quote.pk).update(status=status)
    quote.refresh_from_db()
    return quote


def test_quotes_expire_marks_only_waiting_quotes_past_their_date(rep):
    lapsed_draft = make_quote(rep, valid_until=dt.date(2026, 3, 19))
    lapsed_sent = make_quote(rep, valid_until=dt.date(2026, 3, 10), status=Quote.Status.SENT)
    accepted = make_quote(rep, valid_until=dt.date(2026, 3, 10), status=Quote.Status.ACCEPTED)
    last_day = make_quote(rep, valid_until=TODAY)
    open_ended = make_quote(rep, valid_until=None)
    assert quotes_expire(today=TODAY) == 2
    assert quotes_expire(today=TODAY) == 0  # a second run changes nothing
    statuses = dict(Quote.objects.values_list("pk", "status"))
    assert statuses[lapsed_draft.pk] == statuses[lapsed_sent.pk] == Quote.Status.EXPIRED
    assert statuses[accepted.pk] == Quote.Status.ACCEPTED
    assert statuses[last_day.pk] == statuses[open_ended.pk] == Quote.Status.DRAFT


def test_the_task_expires_with_todays_date(rep):
    quote = make_quote(rep, valid_until=dt.date(2026, 3, 19))
    with time_machine.travel(NOON, tick=False):
        assert expire_quotes() == 1
    quote.refresh_from_db()
    assert quote.status == Quote.Status.EXPIRED


def test_a_lapsed_quote_cannot_be_accepted_or_ordered(rep):
    quote = make_quote(rep, valid_until=dt.date(2026, 3, 19), status=Quote.Status.SENT)
    with time_machine.travel(NOON, tick=False):
        with pytest.raises(ValidationError, match="expired"):
            quote_accept(quote=quote)
        with pytest.raises(ValidationError, match="expired"):
            quote_to_order(quote=quote, by=rep)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert not Order.objects.exists()


def test_an_accepted_quote_may_still_become_an_order_after_its_date(rep):
    quote = make_quote(rep, valid_until=dt.date(2026, 3, 19), status=Quote.Status.ACCEPTED)
    with time_machine.travel(NOON, tick=False):
        order = quote_to_order(quote=quote, by=rep)
    assert order.quote_id == quote.pk


def test_the_pages_show_a_lapsed_quote_as_expired_and_refuse_it(client_for, rep):
    quote = make_quote(rep, valid_until=dt.date(2026, 3, 19))
    client = client_for(rep)
    with time_machine.travel(NOON, tick=False):
        page = client.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
        assert 'data-testid="quote-lapsed"' in page
        assert reverse("sales:quote_accept", args=[quote.pk]) not in page
        assert reverse("sales:quote_order", args=[quote.pk]) not in page
        listing = client.get(reverse("sales:quote_list")).content.decode()
        assert "Expired" in listing
        response = client.post(reverse("sales:quote_accept", args=[quote.pk]), follow=True)
        assert "expired on" in response.content.decode()
        client.post(reverse("sales:quote_order", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT
    assert not Order.objects.exists()


def test_a_quote_within_its_date_is_not_shown_as_expired(client_for, rep):
    quote = make_quote(rep, valid_until=TODAY)
    with time_machine.travel(NOON, tick=False):
        page = client_for(rep).get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert 'data-testid="quote-lapsed"' not in page
    assert reverse("sales:quote_accept", args=[quote.pk]) in page


def test_status_messages_are_translated_per_request():
    """Built at import time, they must stay lazy, or they would be frozen in one language."""
    views = [
        quote_views.quote_send_view,
        quote_views.quote_accept_view,
        quote_views.quote_reject_view,
        order_views.order_confirm_view,
        order_views.order_deliver_view,
        order_views.order_cancel_view,
    ]
    for view in views:
        inner = view
        while hasattr(inner, "__wrapped__"):
            inner = inner.__wrapped__
        cells = [cell.cell_contents for cell in inner.__closure__ or ()]
        messages = [value for value in cells if isinstance(value, Promise | str)]
        assert messages, view
        assert all(isinstance(message, Promise) for message in messages), view
