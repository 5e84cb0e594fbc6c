"""The service home page: every figure exact on a small hand-made dataset, for each role's scope."""

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.access import Role
from service.models import SatisfactionSurvey, Ticket
from service.selectors.dashboard import service_dashboard
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import TicketFactory, category

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
# Wednesday 21 May 2025, 10:00 in Tehran: the week began on Saturday the 17th, the month on the 1st.
NOW = datetime(2025, 5, 21, 10, 0, tzinfo=TEHRAN)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TEHRAN)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def service_team(db):
    return TeamFactory(name="Service")


@pytest.fixture
def agent_a(service_team):
    return UserFactory(
        username="agent_a", first_name="Ali", last_name="Ahmadi", role=Role.SERVICE_AGENT, team=service_team
    )


@pytest.fixture
def agent_b(sales_team):
    # In the team the ``manager`` persona leads: their tickets are the manager's team's.
    return UserFactory(
        username="agent_b", first_name="Bita", last_name="Bahrami", role=Role.SERVICE_AGENT, team=sales_team
    )


def ticket(owner, **fields) -> Ticket:
    return TicketFactory(owner=owner, team=owner.team, **fields)


def survey(ticket_row: Ticket, score: int, answered: datetime) -> None:
    SatisfactionSurvey.objects.create(
        ticket=ticket_row,
        customer=ticket_row.customer,
        token=f"token-{ticket_row.pk}",
        sent_at=answered,
        answered_at=answered,
        score=score,
    )


@pytest.fixture
def dataset(agent_a, agent_b, manager):
    """Six tickets: four of agent A's team (this week and earlier this month), two of agent B's."""
    t1 = ticket(  # this week, answered in time, still open
        agent_a,
        status=Ticket.Status.OPEN,
        priority=Ticket.Priority.HIGH,
        created_at=at(18),
        first_response_due_at=at(18, 11),
        first_response_at=at(18, 10),
        resolution_due_at=at(25),
    )
    ticket(  # this week, never answered: breached, transferred three times
        agent_a,
        status=Ticket.Status.NEW,
        priority=Ticket.Priority.URGENT,
        created_at=at(19),
        first_response_due_at=at(19, 12),
        first_response_breached_at=at(19, 12, 1),
        resolution_due_at=at(22),
        handoffs=3,
    )
    t4 = ticket(  # a complaint this week, answered and resolved in time, rated 5
        agent_a,
        kind=Ticket.Kind.COMPLAINT,
        category=category("Under warranty"),
        status=Ticket.Status.CLOSED,
        created_at=at(17),
        first_response_due_at=at(17, 11),
        first_response_at=at(17, 10),
        resolution_due_at=at(20),
        resolved_at=at(18, 15),
        closed_at=at(19),
        handoffs=1,
    )
    survey(t4, 5, at(19, 10))
    ticket(  # earlier this month: answered late, resolved in time
        agent_a,
        status=Ticket.Status.CLOSED,
        created_at=at(3),
        first_response_due_at=at(3, 10),
        first_response_at=at(3, 12),
        resolution_due_at=at(6),
        resolved_at=at(5),
        closed_at=at(8),
    )
    t3 = ticket(  # agent B's complaint this month, resolved late (breached), rated 2
        agent_b,
        kind=Ticket.Kind.COMPLAINT,
        category=category("Repairs"),
        status=Ticket.Status.RESOLVED,
        created_at=at(5),
        first_response_due_at=at(5, 12),
        first_response_at=at(5, 11),
        resolution_due_at=at(8),
        resolution_breached_at=at(8, 0, 1),
        resolved_at=at(10),
    )
    survey(t3, 2, at(11))
    ticket(  # agent B's complaint in February
        agent_b,
        kind=Ticket.Kind.COMPLAINT,
        category=category("Late delivery"),
        status=Ticket.Status.CLOSED,
        created_at=at(10, month=2),
    )
    return t1


def test_agent_sees_their_teams_figures(agent_a, dataset):
    dashboard = service_dashboard(user=agent_a)

    assert dashboard.open_count == 2
    assert dashboard.open_breached == 1
    assert {row.key: row.count for row in dashboard.by_status} == {
        "new": 1,
        "open": 1,
        "waiting_customer": 0,
        "waiting_contractor": 0,
    }
    assert {row.key: (row.count, row.breached) for row in dashboard.by_priority if row.count} == {
        Ticket.Priority.URGENT: (1, 1),
        Ticket.Priority.HIGH: (1, 0),
    }
    assert [(row.label, row.count) for row in dashboard.by_owner] == [("Ali Ahmadi", 2)]

    week, month = dashboard.week, dashboard.month
    assert (week.first_response.met, week.first_response.total) == (2, 3)
    assert week.first_response.rate == Decimal("66.7")
    assert (week.resolution.met, week.resolution.total) == (1, 1)
    assert (week.first_response_breaches, week.resolution_breaches) == (1, 0)
    assert (week.created, week.handoffs, week.over_handoff_limit) == (3, 4, 1)
    assert week.average_handoffs == Decimal("1.33")
    assert (week.csat_average, week.csat_answers) == (Decimal("5.00"), 1)

    assert (month.first_response.met, month.first_response.total) == (2, 4)
    assert (month.resolution.met, month.resolution.total) == (2, 2)
    assert (month.created, month.average_handoffs, month.over_handoff_limit) == (4, Decimal("1.00"), 1)
    assert (month.csat_average, month.csat_answers) == (Decimal("5.00"), 1)


def test_manager_sees_their_teams_figures_only(manager, dataset):
    dashboard = service_dashboard(user=manager)

    assert dashboard.open_count == 0
    month = dashboard.month
    assert (month.first_response.met, month.first_response.total) == (1, 1)
    assert (month.resolution.met, month.resolution.total) == (0, 1)
    assert (month.first_response_breaches, month.resolution_breaches) == (0, 1)
    assert (month.csat_average, month.csat_answers) == (Decimal("2.00"), 1)
    assert (dashboard.week.resolution.total, dashboard.week.breaches, dashboard.week.csat_answers) == (0, 0, 0)


def test_admin_sees_everything_and_complaints_by_top_category_and_month(admin, dataset):
    dashboard = service_dashboard(user=admin)

    assert dashboard.open_count == 2
    assert (dashboard.month.resolution.met, dashboard.month.resolution.total) == (2, 3)
    assert (dashboard.month.csat_average, dashboard.month.csat_answers) == (Decimal("3.50"), 2)
    chart = dashboard.chart["complaints"]
    assert len(chart["labels"]) == 12
    assert chart["total"] == 3
    series = {row["label"]: row["values"] for row in chart["series"]}
    # June 2024 to May 2025: February is the 9th bar, May the 12th; sub-categories fold into their root.
    assert series == {"Delivery": [0] * 8 + [1, 0, 0, 0], "Repairs": [0] * 11 + [2]}


def test_the_page_shows_the_figures_and_the_chart_data(client_for, agent_a, dataset):
    response = client_for(agent_a).get(reverse("service:index"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="kpi-open"' in content
    assert "66.7%" in content
    assert "How these are counted" in content
    assert 'id="complaints-chart"' in content
    data = content.split('id="service-chart-data"', 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["status"]["values"] == [1, 1, 0, 0]
    assert "js/service_charts.js" in content


def test_an_empty_scope_shows_empty_states(client_for, agent_a):
    response = client_for(agent_a).get(reverse("service:index"))

    assert response.status_code == 200
    assert "No complaints" in response.content.decode()
    assert response.context["dashboard"].open_count == 0


@pytest.mark.parametrize("persona", ["rep", "marketer", "contractor"])
def test_other_roles_are_refused(client_for, personas, persona):
    assert client_for(personas[persona]).get(reverse("service:index")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("service:index"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", ["admin", "manager", "agent"])
def test_service_staff_may_open_it(client_for, personas, persona):
    assert client_for(personas[persona]).get(reverse("service:index")).status_code == 200


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_number_of_queries_does_not_grow_with_the_tickets(client_for, agent_a, agent_b):
    client = client_for(agent_a)
    customer = CustomerFactory()
    ticket(agent_a, customer=customer, kind=Ticket.Kind.COMPLAINT, category=category("Repairs"), created_at=at(18))
    url = reverse("service:index")
    client.get(url)  # the settings row is made on the first visit
    one = _queries(client, url)

    for index in range(40):
        row = ticket(
            agent_a if index % 2 else agent_b,
            customer=customer,
            kind=Ticket.Kind.COMPLAINT if index % 3 else Ticket.Kind.REQUEST,
            category=category("Delivery" if index % 2 else "Installation"),
            status=Ticket.Status.RESOLVED if index % 4 else Ticket.Status.OPEN,
            created_at=at(1 + index % 20, month=1 + index % 5),
            first_response_due_at=at(18, 11),
            first_response_at=at(18, 10),
            resolution_due_at=at(20),
            resolved_at=at(19),
            handoffs=index % 4,
        )
        survey(row, 1 + index % 5, at(19))
    assert _queries(client, url) == one
    assert one <= 16  # the session, the user and the base page, and eight for the figures
