"""Satisfaction surveys: sent once per resolved ticket (only to a customer with a phone),
answered once per token, and a low score gives the manager a follow-up task."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from crm_site.access import Role
from crm_site.models import Notification, OutboxMessage, Suppression
from customers.models import Interaction
from sales.models import Activity
from service.models import SatisfactionSurvey, ServiceSettings, Ticket, TicketEvent
from service.services.satisfaction import survey_answer, survey_send
from service.services.tickets import ticket_set_status
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db

# 16:30 in Tehran on a Sunday.
NOW = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def team_manager():
    team = TeamFactory(name="Service")
    manager = UserFactory(username="service-manager", role=Role.MANAGER, team=team)
    team.manager = manager
    team.save()
    return manager


@pytest.fixture
def ticket(team_manager):
    owner = UserFactory(username="owner", role=Role.SERVICE_AGENT, team=team_manager.team)
    customer = CustomerFactory(name="Sara Ahmadi", phones=["+989121234567", "+989351112233"])
    return TicketFactory(owner=owner, customer=customer)


def survey_url(survey) -> str:
    return f"/service/survey/{survey.token}/"


# --- sending -----------------------------------------------------------------------------------


def test_the_survey_is_sent_once_per_ticket(ticket, settings):
    settings.SITE_URL = "https://crm.example.com"
    survey = survey_send(ticket=ticket)
    assert survey.customer == ticket.customer and len(survey.token) >= 32
    message = OutboxMessage.objects.get()
    assert (message.channel, message.recipient, message.purpose) == ("sms", "+989121234567", "marketing")
    assert message.idempotency_key == f"service:csat:{ticket.pk}"
    assert "Sara Ahmadi" in message.body and ticket.number in message.body
    assert f"https://crm.example.com/service/survey/{survey.token}/" in message.body
    assert ticket.events.filter(kind=TicketEvent.Kind.SURVEY).count() == 1

    assert survey_send(ticket=ticket) == survey
    assert SatisfactionSurvey.objects.count() == 1 and OutboxMessage.objects.count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.SURVEY).count() == 1


def test_the_primary_phone_is_used(team_manager):
    customer = CustomerFactory(phones=["+989351112233", "+989121234567"])
    customer.phones.filter(number="+989121234567").update(is_primary=True)
    customer.phones.filter(number="+989351112233").update(is_primary=False)
    survey_send(ticket=TicketFactory(customer=customer))
    assert OutboxMessage.objects.get().recipient == "+989121234567"


def test_no_phone_no_survey():
    ticket = TicketFactory(customer=CustomerFactory(emails=["sara@example.com"]))
    assert survey_send(ticket=ticket) is None
    assert not SatisfactionSurvey.objects.exists() and not OutboxMessage.objects.exists()


def test_an_opted_out_number_is_not_messaged(ticket):
    Suppression.objects.create(channel="sms", address="+989121234567")
    survey_send(ticket=ticket)
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SUPPRESSED
    assert "opted out" in ticket.events.get(kind=TicketEvent.Kind.SURVEY).new_value


def test_resolving_a_ticket_sends_the_survey(ticket):
    ticket_set_status(ticket=ticket, status=Ticket.Status.RESOLVED, by=ticket.owner)
    assert SatisfactionSurvey.objects.filter(ticket=ticket).exists()


# --- answering ---------------------------------------------------------------------------------


def test_the_page_shows_the_score_buttons(client, ticket):
    survey = survey_send(ticket=ticket)
    response = client.get(survey_url(survey))
    body = response.content.decode()
    assert response.status_code == 200
    assert ticket.number in body and "Very unhappy" in body and "Very happy" in body
    assert client.get("/service/survey/unknown-token/").status_code == 404


def test_a_high_score_is_recorded_once_without_a_follow_up(client, ticket):
    survey = survey_send(ticket=ticket)
    response = client.post(survey_url(survey), {"score": "5", "comment": " Quick and polite "})
    assert response.status_code == 200
    assert 'data-testid="survey-thanks"' in response.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (5, "Quick and polite")
    assert survey.answered_at is not None
    entry = Interaction.objects.get(customer=ticket.customer, kind=Interaction.Kind.SURVEY)
    assert "5/5" in entry.subject and ticket.number in entry.subject
    assert ticket.events.filter(kind=TicketEvent.Kind.SURVEY, new_value__contains="5/5").exists()
    assert not Activity.objects.exists()
    assert not Notification.objects.filter(title__contains="Low satisfaction").exists()

    again = client.post(survey_url(survey), {"score": "1"})
    assert 'data-testid="already-answered"' in again.content.decode()
    survey.refresh_from_db()
    assert survey.score == 5
    assert Interaction.objects.filter(kind=Interaction.Kind.SURVEY).count() == 1
    assert 'data-testid="already-answered"' in client.get(survey_url(survey)).content.decode()


def test_a_low_score_gives_the_manager_a_follow_up_task(client, ticket, team_manager):
    survey = survey_send(ticket=ticket)
    with time_machine.travel(NOW, tick=False):
        client.post(survey_url(survey), {"score": "2", "comment": "Nobody called back"})
    activity = Activity.objects.get()
    assert activity.kind == Activity.Kind.TASK and activity.status == Activity.Status.OPEN
    assert activity.assignee == team_manager and activity.customer == ticket.customer
    assert activity.subject == f"Follow up the low satisfaction score on ticket {ticket.number}"
    assert activity.due_at == datetime(2026, 3, 2, 10, 0, tzinfo=TEHRAN)
    notification = Notification.objects.get(recipient=team_manager)
    assert "2/5" in notification.title and notification.body == "Nobody called back"


def test_a_low_score_without_a_manager_goes_to_the_owner():
    owner = UserFactory(username="lonely", role=Role.SERVICE_AGENT)
    ticket = TicketFactory(owner=owner, customer=CustomerFactory(phones=["+989121234567"]))
    survey = survey_send(ticket=ticket)
    survey_answer(survey=survey, score=1)
    assert Activity.objects.get().assignee == owner


def test_the_low_score_threshold_comes_from_the_settings(ticket):
    settings_row = ServiceSettings.load()
    settings_row.low_score = 3
    settings_row.save()
    survey = survey_send(ticket=ticket)
    assert survey_answer(survey=survey, score=3) is True
    assert Activity.objects.count() == 1


@pytest.mark.parametrize("score", ["0", "6", "abc", ""])
def test_a_bad_score_is_refused_and_writes_nothing(client, ticket, score):
    survey = survey_send(ticket=ticket)
    response = client.post(survey_url(survey), {"score": score, "comment": "x"})
    assert response.status_code == 400
    assert "Choose a score from 1 to 5." in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None and survey.score is None
    assert not Interaction.objects.filter(kind=Interaction.Kind.SURVEY).exists()
    assert not Activity.objects.exists()


def test_the_service_refuses_bad_scores_directly(ticket):
    survey = survey_send(ticket=ticket)
    for score in (0, 6, True, "3"):
        with pytest.raises(ValidationError):
            survey_answer(survey=survey, score=score)
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_two_answers_race_and_one_wins(ticket):
    survey = survey_send(ticket=ticket)
    stale_copy = SatisfactionSurvey.objects.get(pk=survey.pk)
    assert survey_answer(survey=survey, score=1) is True
    assert survey_answer(survey=stale_copy, score=1) is False
    assert Activity.objects.count() == 1
    assert Interaction.objects.filter(kind=Interaction.Kind.SURVEY).count() == 1
