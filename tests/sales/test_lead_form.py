"""The public contact form: a lead from a visitor, and the spam defences (honeypot, signed
timestamp, rate limit) that write nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from crm_site.models import Notification
from customers.models import Source
from sales.models import AssignmentRule, Lead

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
URL = "/sales/contact/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def draw(client, query: str = "") -> dict:
    """GET the form and return its hidden values (the signed token, the utm fields)."""
    response = client.get(URL + query)
    assert response.status_code == 200
    form = response.context["form"]
    return {name: form.initial.get(name, "") for name in ("token", "utm_source", "utm_campaign")}


def submit(client, hidden: dict, *, ip: str = "10.0.0.1", **fields):
    data = {"name": "Sara Ahmadi", "phone": "0912 123 4567", "email": "", "interest": "Fridges", **hidden}
    data.update(fields)
    return client.post(URL, data, REMOTE_ADDR=ip)


def test_the_url_is_public_and_reverses():
    assert reverse("sales:lead_form") == URL


def test_a_visitor_leaves_a_lead(client, rep):
    Source.objects.create(name="Instagram")
    rule = AssignmentRule.objects.create(name="All")
    rule.users.set([rep])
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client, "?utm_source=INSTAGRAM&utm_campaign=spring-26")
        traveller.shift(timedelta(seconds=20))
        response = submit(client, hidden, email="Sara@Example.com")
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.channel, lead.phone, lead.email, lead.campaign, lead.source.name) == (
        "web_form",
        "+989121234567",
        "sara@example.com",
        "spring-26",
        "Instagram",
    )
    assert lead.owner == rep
    assert Notification.objects.filter(recipient=rep).count() == 1


def test_an_unknown_utm_source_is_ignored(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client, "?utm_source=nowhere")
        traveller.shift(timedelta(seconds=20))
        submit(client, hidden)
    lead = Lead.objects.get()
    assert lead.source is None and lead.owner is None


def test_writing_again_adds_to_the_open_lead(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        submit(client, hidden)
        submit(client, hidden, interest="Also ovens")
    lead = Lead.objects.get()
    assert "Also ovens" in lead.notes


def _assert_rejected(response, status=400):
    assert response.status_code == status
    assert not Lead.objects.exists()


def test_the_honeypot_writes_nothing(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        response = submit(client, hidden, website="http://spam.example")
    _assert_rejected(response, status=200)  # the bot is thanked, nothing is kept


def test_too_fast_is_rejected(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=1))
        response = submit(client, hidden)
    _assert_rejected(response)
    assert "quick" in response.content.decode()


def test_a_token_older_than_a_day_is_rejected(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(days=1, seconds=1))
        response = submit(client, hidden)
    _assert_rejected(response)
    # The page comes back with a fresh token, which works after a human pause.
    fresh = response.context["form"].data["token"]
    assert fresh != hidden["token"]


def test_a_forged_token_is_rejected(client):
    _assert_rejected(submit(client, {"token": "123:forged"}))


def test_an_invalid_phone_is_rejected(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        response = submit(client, hidden, phone="12345")
    _assert_rejected(response)
    assert response.context["form"].errors["phone"]


def test_a_phone_or_an_email_is_needed(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        response = submit(client, hidden, phone="", email="")
    _assert_rejected(response)


def test_submissions_are_rate_limited_per_ip(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        for number in range(5):
            assert submit(client, hidden, phone=f"0912123456{number}").status_code == 200
        response = submit(client, hidden, phone="09121234569")
        assert response.status_code == 429
        assert Lead.objects.count() == 5
        # Another visitor is not affected, and the window passes.
        assert submit(client, hidden, ip="10.0.0.2", phone="09121234569").status_code == 200
        traveller.shift(timedelta(minutes=11))
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        assert submit(client, hidden, phone="09121234568").status_code == 200


def test_submissions_are_rate_limited_per_phone(client):
    with time_machine.travel(START, tick=False) as traveller:
        hidden = draw(client)
        traveller.shift(timedelta(seconds=20))
        for number in range(5):
            submit(client, hidden, ip=f"10.0.1.{number}")
        response = submit(client, hidden, ip="10.0.1.99")
    assert response.status_code == 429
    assert Lead.objects.count() == 1  # the same person writing again adds to one lead
