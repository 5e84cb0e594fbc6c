"""The service part of seed_demo: reproducible, consistent with the service's rules, and in bulk."""

from collections import Counter
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, F, Q

from crm_site import demo as crm_demo
from crm_site.models import Team, User
from customers.models import Customer, Interaction
from sales.models import Invoice, Opportunity, Order, Payment
from service import demo as service_demo
from service.models import (
    ContractorProfile,
    SatisfactionSurvey,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketTransfer,
    WorkOrder,
)
from tests.demo_wipe import wipe_protecting_rows

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 5, 20, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def seed(customers: int = 60, seed: int = 4) -> str:
    out = StringIO()
    call_command("seed_demo", customers=customers, seed=seed, stdout=out)
    return out.getvalue()


def wipe() -> None:
    wipe_protecting_rows()
    for model in (Ticket, Payment, Invoice, Order, Opportunity, Customer, User, Team):
        model.objects.all().delete()


def fingerprint() -> dict[str, list[tuple]]:
    """The service rows by natural keys (ticket numbers, usernames), not ids; tokens are secret."""
    return {
        "tickets": list(
            Ticket.objects.order_by("number").values_list(
                "number", "kind", "channel", "category__name", "priority", "status", "customer__code",
                "owner__username", "handoffs", "handoffs_flagged_at", "first_response_due_at", "resolution_due_at",
                "first_response_at", "first_response_breached_at", "resolution_breached_at", "resolved_at",
                "closed_at", "created_at", "subject",
            )
        ),
        "events": sorted(
            TicketEvent.objects.values_list("ticket__number", "kind", "old_value", "new_value", "created_at")
        ),
        "messages": sorted(TicketMessage.objects.values_list("ticket__number", "kind", "body", "created_at")),
        "transfers": sorted(
            TicketTransfer.objects.values_list("ticket__number", "from_user__username", "to_user__username")
        ),
        "surveys": sorted(SatisfactionSurvey.objects.values_list("ticket__number", "score", "answered_at")),
        "work_orders": sorted(WorkOrder.objects.values_list("ticket__number", "status", "created_at")),
    }  # fmt: skip


def test_the_same_seed_gives_the_same_service_data_and_another_seed_does_not():
    seed(seed=4)
    first = fingerprint()
    wipe()
    seed(seed=4)
    again = fingerprint()
    wipe()
    seed(seed=5)

    assert again == first
    assert fingerprint()["tickets"] != first["tickets"]


def test_tickets_scale_with_the_customers_and_have_realistic_histories():
    output = seed(customers=60)

    tickets = Ticket.objects.all()
    assert tickets.count() == service_demo.MIN_TICKETS
    assert "Service: 60 tickets" in output
    kinds = Counter(tickets.values_list("kind", flat=True))
    assert 10 <= kinds[Ticket.Kind.COMPLAINT] <= 30  # about a third
    assert len(kinds) == 4
    statuses = set(tickets.values_list("status", flat=True))
    assert {Ticket.Status.CLOSED, Ticket.Status.RESOLVED} <= statuses
    assert len(statuses) >= 4
    assert set(tickets.values_list("owner__username", flat=True)) == {"agent1", "manager"}
    assert set(tickets.values_list("team__name", flat=True)) == {"Service"}
    assert Team.objects.get(name="Service").manager.username == "manager"  # breaches reach someone
    assert not tickets.filter(Q(first_response_due_at__isnull=True) | Q(sla_policy__isnull=True)).exists()
    assert tickets.filter(first_response_at__gt=F("first_response_due_at")).exists()  # some late
    assert tickets.filter(first_response_at__lte=F("first_response_due_at")).count() > 30  # most in time
    assert tickets.filter(handoffs__gt=0).exists()
    assert TicketMessage.objects.filter(kind=TicketMessage.Kind.NOTE).exists()
    assert TicketMessage.objects.filter(kind=TicketMessage.Kind.CUSTOMER).count() >= 60
    # A timeline entry for each ticket's creation on its customer.
    assert Interaction.objects.filter(kind=Interaction.Kind.TICKET).count() == 60
    # The demo contractor with a company, skills and a few work orders with updates.
    profile = ContractorProfile.objects.get(user__username="contractor1")
    assert profile.skills.exists()
    assert WorkOrder.objects.filter(contractor__username="contractor1").exists()
    assert not WorkOrder.objects.exclude(contractor=profile.user).exists()


def test_the_histories_are_consistent():
    seed(customers=60, seed=6)
    tickets = Ticket.objects.all()

    # Every ticket has its CREATED event.
    created = tickets.annotate(n=Count("events", filter=Q(events__kind=TicketEvent.Kind.CREATED)))
    assert set(created.values_list("n", flat=True)) == {1}
    # Every breach has its event and a deadline in the past at the time.
    breached = tickets.filter(Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False))
    assert breached.exists()
    for ticket in breached:
        marks = [ticket.first_response_breached_at, ticket.resolution_breached_at]
        assert ticket.events.filter(kind=TicketEvent.Kind.SLA_BREACH).count() == sum(1 for mark in marks if mark)
        if ticket.first_response_breached_at:
            assert ticket.first_response_due_at < ticket.first_response_breached_at <= NOW
            assert ticket.first_response_at is None or ticket.first_response_at > ticket.first_response_due_at
        if ticket.resolution_breached_at:
            assert ticket.resolution_due_at < ticket.resolution_breached_at <= NOW
    # Hand-offs equal the transfer rows; past the limit (2) the ticket is flagged.
    counted = tickets.annotate(rows=Count("transfers"))
    assert not counted.exclude(handoffs=F("rows")).exists()
    assert not tickets.filter(handoffs__gt=2, handoffs_flagged_at__isnull=True).exists()
    assert not tickets.filter(handoffs__lte=2, handoffs_flagged_at__isnull=False).exists()
    # Answered surveys only on resolved or closed tickets, with scores 1 to 5.
    answered = SatisfactionSurvey.objects.filter(answered_at__isnull=False)
    assert answered.exists()
    assert set(answered.values_list("ticket__status", flat=True)) <= {Ticket.Status.RESOLVED, Ticket.Status.CLOSED}
    assert set(answered.values_list("score", flat=True)) <= {1, 2, 3, 4, 5}
    # Resolved tickets were answered first; open ones are not resolved.
    assert not tickets.filter(resolved_at__lt=F("first_response_at")).exists()
    assert not tickets.filter(status=Ticket.Status.NEW, first_response_at__isnull=False).exists()
    assert not tickets.filter(status__in=[Ticket.Status.OPEN, Ticket.Status.NEW], resolved_at__isnull=False).exists()
    # Nothing happened in the future.
    assert not tickets.filter(Q(created_at__gt=NOW) | Q(resolved_at__gt=NOW) | Q(first_response_at__gt=NOW)).exists()


def test_the_service_part_inserts_in_bulk(django_assert_max_num_queries):
    seed(customers=300, seed=2)
    Ticket.objects.all().delete()
    ctx = crm_demo.DemoContext(seed=2, customers=300)
    ctx.users = {user.username: user for user in User.objects.all()}
    ctx.teams = {team.name: team for team in Team.objects.all()}

    with django_assert_max_num_queries(30):
        service_demo.seed(ctx)
    assert Ticket.objects.count() == service_demo.MIN_TICKETS
    assert TicketEvent.objects.count() > 120


def test_no_customers_no_tickets():
    output = seed(customers=0)
    assert not Ticket.objects.exists()
    assert "Service: none" in output
