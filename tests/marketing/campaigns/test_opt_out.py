"""Opt-out: the signed link in the message (public, idempotent, tamper-proof) and the inbound
SMS keywords, Persian and Arabic-Indic digits included, behind the provider's secret token."""

import pytest
from django.urls import reverse

from crm_site.models import OutboxMessage, Suppression
from marketing.models import CampaignRecipient
from marketing.selectors.campaigns import campaign_figures
from marketing.services import campaign_sending as sending
from marketing.services.campaigns import is_opt_out_keyword, opt_out_recipient_id, opt_out_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient(approved, make_customers):
    make_customers(1)
    campaign = approved()
    sending.campaign_send_now(campaign=campaign)
    return CampaignRecipient.objects.get()


def link_path(recipient) -> str:
    return reverse("marketing:campaign_opt_out", args=[opt_out_token(recipient.pk)])


def test_the_message_carries_a_short_link_that_names_the_recipient(recipient):
    body = recipient.outbox_message.body
    path = link_path(recipient)
    assert path in body
    assert len(opt_out_token(recipient.pk)) <= 24
    assert opt_out_recipient_id(opt_out_token(recipient.pk)) == recipient.pk


@pytest.mark.parametrize("token", ["1-AAAAAAAAAAAAAAAA", "zz", "", "1-", "-abc", "!!-abc"])
def test_a_forged_or_broken_token_is_refused(token):
    assert opt_out_recipient_id(token) is None


def test_the_link_works_without_login_and_suppresses_once(client, recipient):
    path = link_path(recipient)
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    assert not Suppression.objects.exists()  # looking is not opting out
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200
    assert list(Suppression.objects.values_list("channel", "address")) == [("sms", recipient.address)]
    recipient.refresh_from_db()
    assert recipient.opted_out_at is not None
    # The message still waiting in the outbox will not go out.
    assert OutboxMessage.objects.get(pk=recipient.outbox_message_id).status == OutboxMessage.Status.SUPPRESSED
    assert campaign_figures(recipient.campaign)["opted_out"] == 1
    assert b"You are unsubscribed" in client.get(path).content


def test_a_tampered_link_is_not_found(client, recipient):
    token = opt_out_token(recipient.pk)
    other = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(reverse("marketing:campaign_opt_out", args=[other])).status_code == 404
    assert client.post(reverse("marketing:campaign_opt_out", args=[other])).status_code == 404
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("لغو", True),
        (" انصراف ", True),
        ("11", True),
        ("۱۱", True),
        ("١١", True),
        ("stop", True),
        ("STOP!", True),
        ("Unsubscribe", True),
        ("thanks", False),
        ("111", False),
        ("", False),
    ],
)
def test_opt_out_keywords(message, expected):
    assert is_opt_out_keyword(message) is expected


@pytest.fixture
def inbound(settings, client):
    secret = "s3cret"
    settings.SMS_INBOUND_TOKEN = secret

    def post(data, token=secret):
        return client.post(f"{reverse('marketing:campaign_sms_inbound')}?token={token}", data)

    return post


def test_an_inbound_keyword_suppresses_the_sender(inbound, recipient):
    response = inbound({"from": "09120001000", "message": "۱۱"})
    assert response.status_code == 200 and response.content == b"opted-out"
    assert Suppression.objects.filter(channel="sms", address=recipient.address).exists()
    recipient.refresh_from_db()
    assert recipient.opted_out_at is not None
    again = inbound({"from": recipient.address, "message": "لغو"})
    assert again.status_code == 200 and Suppression.objects.count() == 1


def test_other_inbound_messages_change_nothing(inbound, recipient):
    assert inbound({"from": recipient.address, "message": "when is the sale?"}).content == b"ok"
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("token", ["wrong", ""])
def test_the_inbound_endpoint_needs_the_secret(inbound, token, recipient):
    assert inbound({"from": recipient.address, "message": "STOP"}, token=token).status_code == 403
    assert not Suppression.objects.exists()


def test_the_inbound_endpoint_is_closed_without_a_configured_secret(settings, client, recipient):
    settings.SMS_INBOUND_TOKEN = ""
    url = f"{reverse('marketing:campaign_sms_inbound')}?token="
    assert client.post(url, {"from": recipient.address, "message": "STOP"}).status_code == 403
    assert not Suppression.objects.exists()


def test_a_bad_sender_is_refused_and_writes_nothing(inbound):
    assert inbound({"from": "not a number", "message": "STOP"}).status_code == 400
    assert inbound({"message": "STOP"}).status_code == 400
    assert not Suppression.objects.exists()
