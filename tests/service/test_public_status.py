"""The public status page /service/status/<number>/<token>/: only with both secrets, never the
internal notes, and the customer's own message (which brings a waiting ticket back to open)."""

import pytest
from django.core.cache import cache

from crm_site.access import Role
from crm_site.models import Notification
from customers.models import Interaction
from service.models import Ticket, TicketAttachment, TicketEvent, TicketMessage
from service.services.tickets import ticket_set_status
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ticket():
    owner = UserFactory(username="owner", role=Role.SERVICE_AGENT, team=TeamFactory(name="Service"))
    return TicketFactory(owner=owner, customer=CustomerFactory(phones=["+989121234567"]), description="It leaks.")


def url(ticket, *, number=None, token=None) -> str:
    return f"/service/status/{number or ticket.number}/{token or ticket.public_token}/"


def add_messages(ticket, count: int) -> None:
    for n in range(count):
        reply = TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.REPLY, body=f"Public reply {n}")
        TicketAttachment.objects.create(
            ticket=ticket, message=reply, name=f"photo{n}.png", content_type="image/png", size=10, is_public=True
        )
        note = TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.NOTE, body=f"Secret note {n}")
        TicketAttachment.objects.create(
            ticket=ticket, message=note, name=f"internal{n}.pdf", content_type="application/pdf", size=10
        )


def test_the_customer_sees_the_ticket_with_both_secrets(client, ticket):
    add_messages(ticket, 2)
    TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body="Any news?")
    response = client.get(url(ticket))
    body = response.content.decode()
    assert response.status_code == 200
    assert ticket.number in body and ticket.subject in body and "It leaks." in body
    assert "We have received your request" in body  # the status in plain words
    assert "Public reply 0" in body and "Public reply 1" in body and "Any news?" in body
    assert "photo0.png" in body


def test_internal_notes_and_their_files_are_never_shown(client, ticket):
    add_messages(ticket, 2)
    body = client.get(url(ticket)).content.decode()
    assert "Secret note" not in body
    assert "internal0.pdf" not in body and "internal1.pdf" not in body


@pytest.mark.parametrize("wrong", ["token", "number"])
def test_a_wrong_token_or_number_is_404(client, ticket, wrong):
    other = TicketFactory()
    if wrong == "token":
        response = client.get(url(ticket, token=other.public_token))
    else:
        response = client.get(url(ticket, number=other.number))
    assert response.status_code == 404
    assert client.get(url(ticket, token="x" * 32)).status_code == 404
    assert client.get(url(ticket, number="T-999999")).status_code == 404


def test_staff_reach_the_page_only_with_the_link_too(client_for, ticket, rep):
    client = client_for(rep)
    assert client.get(url(ticket)).status_code == 200
    assert client.get(url(ticket, token="wrong")).status_code == 404


def test_the_query_count_does_not_grow_with_the_conversation(client, django_assert_max_num_queries):
    owner = UserFactory(role=Role.SERVICE_AGENT)
    few, many = TicketFactory(owner=owner), TicketFactory(owner=owner)
    add_messages(few, 1)
    add_messages(many, 15)
    client.get(url(few))  # warm the session and the content types
    with django_assert_max_num_queries(6) as few_queries:
        assert client.get(url(few)).status_code == 200
    with django_assert_max_num_queries(len(few_queries.captured_queries)):
        assert client.get(url(many)).status_code == 200


def test_the_customer_adds_a_message_and_a_waiting_ticket_reopens(client, ticket):
    ticket_set_status(ticket=ticket, status=Ticket.Status.WAITING_CUSTOMER, by=ticket.owner)
    response = client.post(url(ticket), {"body": "  Here is the serial number: 12345  "})
    assert response.status_code == 302
    assert response["Location"].endswith("?sent=1#conversation")
    message = TicketMessage.objects.get(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER)
    assert message.body == "Here is the serial number: 12345" and message.author is None
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.events.filter(kind=TicketEvent.Kind.STATUS, new_value="Open").exists()
    assert Notification.objects.filter(recipient=ticket.owner, title__contains=ticket.number).exists()
    assert Interaction.objects.filter(customer=ticket.customer, body=message.body).exists()
    assert "we have your message" in client.get(response["Location"]).content.decode()


def test_a_message_on_an_open_ticket_leaves_its_status(client, ticket):
    client.post(url(ticket), {"body": "One more thing"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW
    assert TicketMessage.objects.filter(ticket=ticket, kind="customer").count() == 1


def test_an_empty_message_is_refused_and_writes_nothing(client, ticket):
    response = client.post(url(ticket), {"body": "   "})
    assert response.status_code == 400
    assert response.context["form"].errors["body"]
    assert not TicketMessage.objects.filter(ticket=ticket).exists()
    assert client.post(url(ticket, token="wrong"), {"body": "hi"}).status_code == 404
    assert not TicketMessage.objects.filter(ticket=ticket).exists()


def test_messages_are_rate_limited(client, ticket):
    for n in range(10):
        assert client.post(url(ticket), {"body": f"Message {n}"}).status_code == 302
    response = client.post(url(ticket), {"body": "Too many"})
    assert response.status_code == 429
    assert TicketMessage.objects.filter(ticket=ticket).count() == 10
