"""The public survey page: one answer per token, on the customer's timeline."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Interaction
from sales.models import SurveyInvitation
from sales.services.aftersale import survey_answer
from tests.factories import CustomerFactory
from tests.sales.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation():
    order = OrderFactory(number="SO-000777", customer=CustomerFactory(name="Reza Karimi"))
    return SurveyInvitation.objects.create(order=order, customer=order.customer, token="t0ken-" + "x" * 30)


def url(invitation):
    return reverse("sales:survey", args=[invitation.token])


def survey_entries(invitation):
    return Interaction.objects.filter(customer=invitation.customer, kind=Interaction.Kind.SURVEY)


def test_an_anonymous_customer_sees_the_order_and_the_scores(client, invitation):
    response = client.get(url(invitation))
    assert response.status_code == 200
    content = response.content.decode()
    assert "SO-000777" in content
    for score in range(1, 6):
        assert f'id="score-{score}"' in content
    assert "Reza Karimi" not in content  # the page shows nothing personal beyond the order number


def test_an_answer_is_recorded_once_and_lands_on_the_timeline(client, invitation):
    response = client.post(url(invitation), {"score": "4", "comment": "  Fast delivery  "})
    assert response.status_code == 200 and b"Thank you!" in response.content
    invitation.refresh_from_db()
    assert invitation.score == 4 and invitation.comment == "Fast delivery" and invitation.answered_at is not None
    entry = survey_entries(invitation).get()
    assert "4/5" in entry.subject and "SO-000777" in entry.subject and entry.body == "Fast delivery"
    assert entry.url == reverse("sales:order_detail", args=[invitation.order_id])

    second = client.post(url(invitation), {"score": "1", "comment": "changed my mind"})
    assert second.status_code == 200 and b'data-testid="already-answered"' in second.content
    again = client.get(url(invitation))
    assert b'data-testid="already-answered"' in again.content
    invitation.refresh_from_db()
    assert invitation.score == 4 and invitation.comment == "Fast delivery"
    assert survey_entries(invitation).count() == 1


def test_the_service_answers_once_even_with_a_stale_copy(invitation):
    # Two submits at once each hold a copy read before either answered: the conditional UPDATE
    # lets only the first write.
    stale = SurveyInvitation.objects.get(pk=invitation.pk)
    assert survey_answer(invitation=invitation, score=5, comment="") is True
    assert survey_answer(invitation=stale, score=2, comment="second") is False
    invitation.refresh_from_db()
    assert invitation.score == 5 and survey_entries(invitation).count() == 1


def test_an_unknown_token_is_404(client, invitation):
    assert client.get(reverse("sales:survey", args=["not-a-token"])).status_code == 404
    assert client.post(reverse("sales:survey", args=["not-a-token"]), {"score": "5"}).status_code == 404


@pytest.mark.parametrize(
    "data", [{"score": "9"}, {"score": "0"}, {"score": "abc"}, {}, {"score": "3", "comment": "x" * 2001}]
)
def test_a_bad_answer_is_refused_and_nothing_is_written(client, invitation, data):
    response = client.post(url(invitation), data)
    assert response.status_code == 400
    invitation.refresh_from_db()
    assert invitation.answered_at is None and invitation.score is None
    assert not survey_entries(invitation).exists()


@pytest.mark.parametrize("score", [0, 6, "5", True])
def test_the_service_refuses_a_score_outside_1_to_5(invitation, score):
    with pytest.raises(ValidationError):
        survey_answer(invitation=invitation, score=score)
    invitation.refresh_from_db()
    assert invitation.answered_at is None and not survey_entries(invitation).exists()


def test_staff_may_open_a_survey_link_too(client_for, rep, invitation):
    assert client_for(rep).get(url(invitation)).status_code == 200
