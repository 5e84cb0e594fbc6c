"""Customer events: sent after commit, never on rollback, a failing listener does not break the
announcing request, and each announcing service announces its event once with its key."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from crm_site.events import CustomerEvent, Event, announce, customer_event
from customers.services import customer_create
from sales.models import Lead, Payment
from sales.services.invoices import order_invoice, payment_record
from sales.services.leads import lead_create
from sales.services.orders import order_confirm, order_create
from service.models import SatisfactionSurvey, Ticket
from service.services.satisfaction import survey_answer
from service.services.tickets import ticket_create, ticket_set_status
from tests.factories import CustomerFactory
from tests.sales.factories import ProductFactory

pytestmark = pytest.mark.django_db


@contextmanager
def heard():
    """The events announced inside the block (after their transactions committed)."""
    events: list[CustomerEvent] = []

    def receiver(sender, event, **kwargs):
        events.append(event)

    customer_event.connect(receiver, dispatch_uid="test-heard")
    try:
        yield events
    finally:
        customer_event.disconnect(dispatch_uid="test-heard")


def test_an_event_is_sent_after_commit_with_its_source(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with heard() as events, django_capture_on_commit_callbacks(execute=True):
        announce(Event.BIRTHDAY, customer_id=customer.pk, key="k1", source=customer, year=2026)
        assert events == []  # not before the commit
    assert len(events) == 1
    event = events[0]
    assert (event.event, event.key, event.customer_id) == ("birthday", "k1", customer.pk)
    assert (event.source_model, event.source_id, event.data) == ("customers.customer", str(customer.pk), {"year": 2026})
    assert event.occurred_at <= timezone.now()


def test_an_event_of_a_rolled_back_transaction_is_never_sent(django_capture_on_commit_callbacks):
    with (
        heard() as events,
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        announce(Event.BIRTHDAY, customer_id=None, key="lost")
        raise RuntimeError("rolled back")
    assert events == []


def test_a_failing_listener_is_logged_and_the_others_still_hear(django_capture_on_commit_callbacks, caplog):
    def broken(sender, event, **kwargs):
        raise ValueError("listener bug")

    customer_event.connect(broken, dispatch_uid="test-broken")
    try:
        with heard() as events, django_capture_on_commit_callbacks(execute=True):
            announce(Event.BIRTHDAY, customer_id=None, key="k2")
    finally:
        customer_event.disconnect(dispatch_uid="test-broken")
    assert [event.key for event in events] == ["k2"]
    assert "listener bug" in caplog.text


def test_services_announce_their_events(rep, django_capture_on_commit_callbacks):
    with heard() as events, django_capture_on_commit_callbacks(execute=True):
        customer = customer_create(created_by=rep, name="Event Customer", phones=["09121110000"])
        product = ProductFactory(list_price=Decimal("50.00"), tax_rate=Decimal("0"))
        order = order_create(customer=customer, owner=rep, by=rep, lines=[{"product": product, "quantity": 2}])
        order_confirm(order=order)
        invoice = order_invoice(order=order, by=rep)
        payment_record(
            invoice=invoice, amount=Decimal("40"), method=Payment.Method.CASH, paid_at=timezone.now(), by=rep
        )
        payment_record(
            invoice=invoice, amount=Decimal("60"), method=Payment.Method.CASH, paid_at=timezone.now(), by=rep
        )
        lead = lead_create(created_by=rep, channel=Lead.Channel.MANUAL, name="A lead", phone="09121110001")
        complaint = ticket_create(
            customer=customer, subject="Broken", kind=Ticket.Kind.COMPLAINT, channel=Ticket.Channel.PHONE, owner=None
        )
        ticket_set_status(ticket=complaint, status=Ticket.Status.RESOLVED, by=None)
        ticket_set_status(ticket=complaint, status=Ticket.Status.CLOSED, by=None)
        survey = SatisfactionSurvey.objects.filter(ticket=complaint).first() or SatisfactionSurvey.objects.create(
            ticket=complaint, customer=customer, token="t" * 20
        )
        survey_answer(survey=survey, score=2)
    announced = [(event.event, event.key) for event in events]
    assert announced == [
        (Event.CUSTOMER_CREATED, f"customer:{customer.pk}"),
        (Event.ORDER_PAID, f"order:{order.pk}"),  # once: when the second payment settles it
        (Event.LEAD_CREATED, f"lead:{lead.pk}"),
        (Event.COMPLAINT_FILED, f"ticket:{complaint.pk}"),
        (Event.TICKET_CLOSED, f"ticket:{complaint.pk}:0"),
        (Event.SATISFACTION_ANSWERED, f"csat:{survey.pk}"),
    ]
    assert events[1].data == {"amount": "100.00"}
    assert events[-1].data == {"score": 2}
