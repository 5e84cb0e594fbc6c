"""The public request/complaint form at /service/new/: matching or creating the customer, the
acknowledgement, and the spam defences and bad input that write nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm_site.models import OutboxMessage
from customers.models import Customer
from service.models import Ticket, TicketAttachment
from service.services.public import public_ticket_create
from tests.factories import CustomerFactory
from tests.service.factories import category

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
URL = "/service/new/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def draw(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.context["form"].initial["token"]


def submit(client, *, token: str, ip: str = "10.0.0.1", files=None, **fields):
    data = {
        "kind": "complaint",
        "name": "Sara Ahmadi",
        "phone": "0912 123 4567",
        "email": "",
        "subject": "The washing machine leaks",
        "description": "Water on the floor after every wash.",
        "token": token,
        **fields,
    }
    if files is not None:
        data["attachments"] = files
    return client.post(URL, data, REMOTE_ADDR=ip)


def send(client, seconds: int = 20, **fields):
    """Draw the form, wait like a person, and send it."""
    with time_machine.travel(START, tick=False) as traveller:
        token = draw(client)
        traveller.shift(timedelta(seconds=seconds))
        return submit(client, token=token, **fields)


def nothing_written():
    return not Ticket.objects.exists() and not Customer.objects.exists() and not OutboxMessage.objects.exists()


def test_the_urls_reverse():
    assert reverse("service:public_ticket_create") == URL
    assert reverse("service:ticket_status", args=["T-000001", "abc"]) == "/service/status/T-000001/abc/"
    assert reverse("service:csat_survey", args=["abc"]) == "/service/survey/abc/"


def test_an_anonymous_visitor_sees_the_form_with_categories(client):
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Under warranty" in body and "Repairs" in body
    assert 'name="website"' in body  # the honeypot


def test_an_existing_customer_is_matched_by_phone_in_persian_digits(client):
    customer = CustomerFactory(phones=["+989121234567"])
    response = send(client, phone="۰۹۱۲ ۱۲۳ ۴۵۶۷", category=category("Under warranty").pk)
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert (ticket.kind, ticket.channel, ticket.category.name) == ("complaint", "web_form", "Under warranty")
    assert Customer.objects.count() == 1
    body = response.content.decode()
    assert ticket.number in body
    assert f"/service/status/{ticket.number}/{ticket.public_token}/" in body


def test_an_existing_customer_is_matched_by_email(client):
    customer = CustomerFactory(emails=["sara@example.com"])
    send(client, phone="", email="Sara@Example.COM", kind="request")
    ticket = Ticket.objects.get()
    assert ticket.customer == customer and ticket.kind == "request"
    assert Customer.objects.count() == 1
    # No phone anywhere: the acknowledgement goes by email.
    message = OutboxMessage.objects.get()
    assert (message.channel, message.recipient) == ("email", "sara@example.com")


def test_an_unknown_visitor_becomes_a_prospect(client):
    CustomerFactory(phones=["+989351112233"])
    send(client, email="new@example.com")
    ticket = Ticket.objects.get()
    customer = ticket.customer
    assert customer.status == Customer.Status.PROSPECT
    assert customer.source is None
    assert (customer.name, customer.phone, customer.email) == ("Sara Ahmadi", "+989121234567", "new@example.com")
    assert "service request form" in customer.notes


def test_the_acknowledgement_is_sent_once_with_number_and_status_link(client, settings):
    settings.SITE_URL = "https://crm.example.com"
    send(client)
    ticket = Ticket.objects.get()
    message = OutboxMessage.objects.get()
    assert (message.channel, message.recipient, message.purpose) == ("sms", "+989121234567", "transactional")
    assert message.idempotency_key == f"service:ack:{ticket.pk}"
    assert ticket.number in message.body
    assert f"https://crm.example.com/service/status/{ticket.number}/{ticket.public_token}/" in message.body
    # Asking again (a retried call) does not send a second message.
    from service.services.public import _acknowledge

    _acknowledge(ticket=ticket, phone="+989121234567", email="")
    assert OutboxMessage.objects.count() == 1


def test_attachments_are_kept_and_shown_to_the_customer(client):
    files = [
        SimpleUploadedFile("leak.png", PNG, "image/png"),
        SimpleUploadedFile("invoice.pdf", PDF, "application/pdf"),
    ]
    response = send(client, files=files)
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert sorted(TicketAttachment.objects.filter(ticket=ticket, is_public=True).values_list("name", flat=True)) == [
        "invoice.pdf",
        "leak.png",
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"phone": "", "email": ""}, "phone", "Leave a phone number or an email address"),
        ({"phone": "12"}, "phone", "Enter a valid phone number"),
        ({"email": "not-an-email", "phone": ""}, "email", "valid email"),
        ({"subject": ""}, "subject", "required"),
        ({"kind": "incident"}, "kind", "Select a valid choice"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_writes_nothing(client, fields, field, message):
    response = send(client, **fields)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert nothing_written()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.png", b"MZ\x90\x00 not a png", "not a real PNG"),
        ("notes.docx", b"PK\x03\x04", "JPEG, PNG) or PDF files only"),
        ("huge.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
    ],
)
def test_a_bad_attachment_writes_nothing(client, name, content, message):
    CustomerFactory(phones=["+989121234567"])
    before = Customer.objects.count()
    response = send(client, files=[SimpleUploadedFile(name, content)])
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["attachments"])
    assert not Ticket.objects.exists() and not OutboxMessage.objects.exists()
    assert Customer.objects.count() == before


def test_too_many_attachments_are_refused(client):
    files = [SimpleUploadedFile(f"p{n}.png", PNG, "image/png") for n in range(4)]
    response = send(client, files=files)
    assert response.status_code == 400
    assert "at most 3 files" in " ".join(response.context["form"].errors["attachments"])
    assert nothing_written()


def test_the_honeypot_thanks_the_bot_and_writes_nothing(client):
    response = send(client, website="http://spam.example")
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert nothing_written()


def test_a_form_sent_too_fast_is_refused_with_a_fresh_token(client):
    response = send(client, seconds=1)
    assert response.status_code == 400
    assert "very quick" in " ".join(response.context["form"].errors["token"])
    assert nothing_written()


def test_a_stale_or_forged_token_is_refused(client):
    response = send(client, seconds=25 * 3600)
    assert response.status_code == 400
    assert "open too long" in " ".join(response.context["form"].errors["token"])
    with time_machine.travel(START, tick=False):
        response = submit(client, token="forged")
    assert response.status_code == 400
    assert "reload the page" in " ".join(response.context["form"].errors["token"])
    assert nothing_written()


def test_the_rate_limit_per_ip_answers_429(client):
    with time_machine.travel(START, tick=False) as traveller:
        token = draw(client)
        traveller.shift(timedelta(seconds=20))
        for n in range(5):
            assert submit(client, token=token, phone=f"0912 000 00{n:02d}").status_code == 200
        response = submit(client, token=token, phone="0912 000 0099")
    assert response.status_code == 429
    assert Ticket.objects.count() == 5


def test_the_rate_limit_per_phone_holds_across_addresses(client):
    with time_machine.travel(START, tick=False) as traveller:
        token = draw(client)
        traveller.shift(timedelta(seconds=20))
        for n in range(5):
            assert submit(client, token=token, ip=f"10.0.1.{n}").status_code == 200
        response = submit(client, token=token, ip="10.0.1.99", phone="+98 912 123 4567")
    assert response.status_code == 429
    assert Ticket.objects.count() == 5


def test_the_service_refuses_other_kinds_and_hidden_categories():
    from django.core.exceptions import ValidationError

    hidden = category("Repairs")
    hidden.is_active = False
    hidden.save()
    with pytest.raises(ValidationError) as error:
        public_ticket_create(
            kind="request", name="Sara", phone="09121234567", email="", subject="x", description="y", category=hidden
        )
    assert "category" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        public_ticket_create(kind="incident", name="Sara", phone="09121234567", email="", subject="x", description="y")
    assert "kind" in error.value.message_dict
    assert nothing_written()
