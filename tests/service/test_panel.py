"""The service panel of the 360° customer page: only what the user may see, in fixed queries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import service.panels.service  # noqa: F401  (registers the panel, as the app's ready() does)
from crm_site.access import Role
from service.models import SatisfactionSurvey, Ticket
from service.selectors.panel import customer_service_panel
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 5, 21, 10, 0, tzinfo=ZoneInfo("Asia/Tehran"))


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def agent_a(db):
    return UserFactory(username="agent_a", role=Role.SERVICE_AGENT, team=TeamFactory(name="Service"))


@pytest.fixture
def agent_b(db):
    return UserFactory(username="agent_b", role=Role.SERVICE_AGENT, team=TeamFactory(name="Field"))


@pytest.fixture
def customer(db):
    return CustomerFactory()


def ticket(owner, customer, **fields) -> Ticket:
    return TicketFactory(owner=owner, team=owner.team, customer=customer, **fields)


@pytest.fixture
def tickets(agent_a, agent_b, customer):
    mine = ticket(
        agent_a,
        customer,
        subject="Fridge is warm",
        status=Ticket.Status.OPEN,
        first_response_due_at=NOW + timedelta(hours=3),
    )
    breached = ticket(
        agent_a,
        customer,
        subject="Washer leaks",
        kind=Ticket.Kind.COMPLAINT,
        status=Ticket.Status.OPEN,
        first_response_at=NOW - timedelta(days=2),
        resolution_due_at=NOW - timedelta(hours=1),
        created_at=NOW - timedelta(days=3),
    )
    ticket(
        agent_a, customer, kind=Ticket.Kind.COMPLAINT, status=Ticket.Status.CLOSED, created_at=NOW - timedelta(days=400)
    )
    rated = ticket(agent_a, customer, kind=Ticket.Kind.COMPLAINT, status=Ticket.Status.CLOSED)
    SatisfactionSurvey.objects.create(
        ticket=rated, customer=customer, token="mine", answered_at=NOW - timedelta(days=1), score=4
    )
    other = ticket(agent_b, customer, subject="Other team's ticket", kind=Ticket.Kind.COMPLAINT)
    SatisfactionSurvey.objects.create(ticket=other, customer=customer, token="other", answered_at=NOW, score=1)
    return {"mine": mine, "breached": breached}


def test_the_panel_shows_only_the_tickets_the_agent_may_see(agent_a, customer, tickets):
    panel = customer_service_panel(user=agent_a, customer=customer)

    assert [row.ticket for row in panel["open_tickets"]] == [tickets["breached"], tickets["mine"]]
    breached, mine = panel["open_tickets"]
    assert breached.breached and not mine.breached
    assert mine.due_at == NOW + timedelta(hours=3)
    assert panel["complaints_12_months"] == 2  # the other team's complaint and the old one are not counted
    assert panel["last_survey"].score == 4  # not the other team's later 1


def test_the_customer_page_shows_the_panel_to_service_staff(client_for, agent_a, customer, tickets):
    response = client_for(agent_a).get(reverse("customers:detail", args=[customer.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="panel-service"' in content
    assert "Fridge is warm" in content
    assert "Other team&#x27;s ticket" not in content and "Other team's ticket" not in content
    assert 'data-testid="breached"' in content
    assert 'data-testid="panel-csat">4/5' in content


def test_a_sales_rep_does_not_get_the_panel(client_for, rep, tickets):
    customer = tickets["mine"].customer
    customer.owner = rep
    customer.save()

    response = client_for(rep).get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 200
    assert 'id="panel-service"' not in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_panel_costs_the_same_queries_for_one_or_many_tickets(client_for, agent_a, customer):
    client = client_for(agent_a)
    url = reverse("customers:detail", args=[customer.pk])
    first = ticket(agent_a, customer, status=Ticket.Status.OPEN, first_response_due_at=NOW + timedelta(hours=1))
    SatisfactionSurvey.objects.create(ticket=first, customer=customer, token="t0", answered_at=NOW, score=5)
    client.get(url)
    one = _queries(client, url)

    for index in range(12):
        ticket(
            agent_a,
            customer,
            kind=Ticket.Kind.COMPLAINT,
            status=Ticket.Status.OPEN,
            first_response_at=NOW - timedelta(hours=index + 1),
            resolution_due_at=NOW + timedelta(hours=index - 5),
        )
    assert _queries(client, url) == one
