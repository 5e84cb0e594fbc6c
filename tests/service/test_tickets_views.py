"""The staff ticket pages: who may use each one, what they write, and constant query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import service.admin.tickets  # noqa: F401  (until service/admin/__init__.py imports it)
from crm_site.access import Role
from service.models import Ticket, TicketAttachment, TicketMessage, TicketTransfer
from service.services.tickets import ticket_create, ticket_note, ticket_reply
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def team(db):
    boss = UserFactory(username="service_boss", role=Role.MANAGER)
    team = TeamFactory(name="Service", manager=boss)
    boss.team = team
    boss.save()
    return team


@pytest.fixture
def owner(team):
    return UserFactory(username="agent_a", role=Role.SERVICE_AGENT, team=team)


@pytest.fixture
def teammate(team):
    return UserFactory(username="agent_b", role=Role.SERVICE_AGENT, team=team)


@pytest.fixture
def stranger(db):
    """A service agent of another team."""
    return UserFactory(username="agent_far", role=Role.SERVICE_AGENT, team=TeamFactory(name="Field"))


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Sara Ahmadi", phones=["+989121234567"])


@pytest.fixture
def ticket(customer, owner):
    return ticket_create(
        customer=customer,
        subject="Washing machine leaks",
        kind="complaint",
        channel="phone",
        owner=owner,
        created_by=owner,
    )


def detail(ticket):
    return reverse("service:ticket_detail", args=[ticket.pk])


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["rep", "marketer", "contractor"])
def test_other_roles_are_refused_every_page(client_for, persona, personas, ticket):
    client = client_for(personas[persona])
    attachment = TicketAttachment.objects.create(
        ticket=ticket, name="a.pdf", content_type="application/pdf", size=1, file="x.pdf"
    )
    for url in [
        reverse("service:ticket_list"),
        reverse("service:ticket_create") + f"?customer={ticket.customer_id}",
        detail(ticket),
        reverse("service:ticket_attachment", args=[attachment.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    for name in ["ticket_reply", "ticket_note", "ticket_status_change", "ticket_transfer", "ticket_edit"]:
        assert client.post(reverse(f"service:{name}", args=[ticket.pk]), {"body": "x"}).status_code == 403, name
    assert not TicketMessage.objects.exists()


def test_the_team_sees_the_ticket_and_another_team_gets_404(client_for, ticket, owner, teammate, stranger, admin):
    for user in (owner, teammate, ticket.team.manager, admin):
        response = client_for(user).get(detail(ticket))
        assert response.status_code == 200, user
        assert "Washing machine leaks" in response.content.decode()
    client = client_for(stranger)
    assert client.get(detail(ticket)).status_code == 404
    assert client.post(reverse("service:ticket_reply", args=[ticket.pk]), {"reply-body": "hi"}).status_code == 404
    response = client.get(reverse("service:ticket_list"))
    assert response.status_code == 200 and ticket.number not in response.content.decode()


def test_a_teammate_may_read_but_not_change_anothers_ticket(client_for, ticket, teammate):
    client = client_for(teammate)
    response = client.post(reverse("service:ticket_reply", args=[ticket.pk]), {"reply-body": "hi"})
    assert response.status_code == 403
    response = client.post(reverse("service:ticket_status_change", args=[ticket.pk]), {"status": "open"})
    assert response.status_code == 403
    assert not TicketMessage.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEW


def test_actions_are_post_only(client_for, ticket, owner):
    client = client_for(owner)
    for name in ["ticket_reply", "ticket_note", "ticket_status_change", "ticket_transfer", "ticket_edit"]:
        assert client.get(reverse(f"service:{name}", args=[ticket.pk])).status_code == 405


# --- list ---------------------------------------------------------------------------------------


def test_list_filters_and_shows_the_handoffs_and_deadline(client_for, ticket, owner, customer):
    other = ticket_create(customer=customer, subject="Invoice question", kind="question", channel="phone", owner=owner)
    client = client_for(owner)
    page = client.get(reverse("service:ticket_list")).content.decode()
    assert ticket.number in page and other.number in page
    page = client.get(reverse("service:ticket_list"), {"q": "washing"}).content.decode()
    assert ticket.number in page and other.number not in page
    page = client.get(reverse("service:ticket_list"), {"q": "ahmadi", "kind": "question"}).content.decode()
    assert other.number in page and ticket.number not in page
    page = client.get(reverse("service:ticket_list"), {"status": "active", "mine": "on"}).content.decode()
    assert ticket.number in page
    page = client.get(reverse("service:ticket_list"), {"breached": "on"}).content.decode()
    assert ticket.number not in page and "No matching tickets" in page


def _tickets(customer, owner, count):
    for number in range(count):
        created = ticket_create(
            customer=CustomerFactory(), subject=f"Broken {number}", kind="request", channel="phone", owner=owner
        )
        ticket_reply(ticket=created, body="On it", by=owner)


@pytest.mark.parametrize("count", [1, 8])
def test_list_queries_do_not_grow_with_the_rows(client_for, owner, customer, count, django_assert_max_num_queries):
    _tickets(customer, owner, count)
    client = client_for(owner)
    client.get(reverse("service:ticket_list"))  # warm the session and caches
    with django_assert_max_num_queries(15):
        response = client.get(reverse("service:ticket_list"))
    assert response.content.decode().count("Broken ") == count


# --- new ticket ---------------------------------------------------------------------------------


def test_new_ticket_searches_the_customer_then_opens_the_ticket(client_for, owner, customer):
    client = client_for(owner)
    response = client.get(reverse("service:ticket_create"), {"q": "Sara"})
    assert f"?customer={customer.pk}" in response.content.decode()
    response = client.get(reverse("service:ticket_create"), {"customer": customer.pk})
    assert response.status_code == 200 and 'value="phone" selected' in response.content.decode()
    response = client.post(
        reverse("service:ticket_create"),
        {
            "customer": customer.pk,
            "kind": "complaint",
            "channel": "phone",
            "priority": "3",
            "subject": "Rude technician",
            "description": "He left without fixing it.",
            "attachments": [SimpleUploadedFile("photo.png", PNG)],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == detail(ticket)
    assert ticket.created_by == owner and ticket.priority == 3 and ticket.attachments.count() == 1


def test_new_ticket_refuses_bad_input_and_writes_nothing(client_for, owner, customer):
    response = client_for(owner).post(
        reverse("service:ticket_create"),
        {
            "customer": customer.pk,
            "kind": "complaint",
            "channel": "phone",
            "priority": "2",
            "subject": "Rude technician",
            "attachments": [SimpleUploadedFile("photo.png", b"MZ not an image")],
        },
    )
    assert response.status_code == 400
    assert "not a real PNG" in response.content.decode()
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()


def test_new_ticket_for_a_customer_the_user_cannot_see_is_404(client_for, rep, owner):
    # Service agents see every customer; a manager sees only their team's.
    hidden = CustomerFactory(owner=rep, team=rep.team)
    manager = UserFactory(username="other_boss", role=Role.MANAGER, team=TeamFactory(name="Elsewhere"))
    assert client_for(manager).get(reverse("service:ticket_create"), {"customer": hidden.pk}).status_code == 404


# --- detail and its actions ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_detail_queries_do_not_grow_with_the_messages(client_for, ticket, owner, count, django_assert_max_num_queries):
    for number in range(count):
        ticket_reply(ticket=ticket, body=f"Reply {number}", by=owner, attachments=[SimpleUploadedFile("a.pdf", PDF)])
        ticket_note(ticket=ticket, body=f"Note {number}", by=owner)
    client = client_for(owner)
    client.get(detail(ticket))
    with django_assert_max_num_queries(19):
        response = client.get(detail(ticket))
    page = response.content.decode()
    assert page.count("Reply ") >= count and page.count("Internal note") >= count


def test_reply_note_status_edit_and_transfer_through_the_page(client_for, ticket, owner, teammate):
    client = client_for(owner)
    response = client.post(reverse("service:ticket_reply", args=[ticket.pk]), {"reply-body": "We are on it."})
    assert response.status_code == 302
    response = client.post(reverse("service:ticket_note", args=[ticket.pk]), {"note-body": "Call back at 5."})
    assert response.status_code == 302
    assert list(ticket.messages.values_list("kind", flat=True)) == ["reply", "note"]
    response = client.post(reverse("service:ticket_status_change", args=[ticket.pk]), {"status": "waiting_customer"})
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting_customer"
    response = client.post(reverse("service:ticket_status_change", args=[ticket.pk]), {"status": "closed"})
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting_customer"
    response = client.post(
        reverse("service:ticket_edit", args=[ticket.pk]),
        {"kind": "complaint", "priority": "4", "subject": "Leak flooding", "description": ""},
    )
    assert response.status_code == 302 and Ticket.objects.get(pk=ticket.pk).priority == 4
    response = client.post(reverse("service:ticket_transfer", args=[ticket.pk]), {"to_user": teammate.pk, "reason": ""})
    assert response.status_code == 400 and not TicketTransfer.objects.exists()
    response = client.post(
        reverse("service:ticket_transfer", args=[ticket.pk]), {"to_user": teammate.pk, "reason": "Knows this model"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.owner == teammate and ticket.handoffs == 1
    page = client_for(teammate).get(detail(ticket)).content.decode()
    assert "Knows this model" in page


def test_a_bad_reply_attachment_is_shown_on_the_form(client_for, ticket, owner):
    response = client_for(owner).post(
        reverse("service:ticket_reply", args=[ticket.pk]),
        {"reply-body": "See attached", "reply-attachments": [SimpleUploadedFile("x.exe", b"MZ")]},
    )
    assert response.status_code == 400 and "is not accepted" in response.content.decode()
    assert not TicketMessage.objects.exists()


def test_attachments_download_within_scope(client_for, ticket, owner, stranger):
    message = ticket_reply(
        ticket=ticket,
        body="Files",
        by=owner,
        attachments=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("p.png", PNG)],
    )
    pdf, png = message.attachments.order_by("name")
    client = client_for(owner)
    response = client.get(reverse("service:ticket_attachment", args=[pdf.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF
    response = client.get(reverse("service:ticket_attachment", args=[png.pk]))
    assert response["Content-Type"] == "image/png" and response["Content-Disposition"].startswith("inline")
    assert client_for(stranger).get(reverse("service:ticket_attachment", args=[pdf.pk])).status_code == 404


def test_the_admin_pages_of_tickets_categories_and_skills_load(admin_client, ticket, owner):
    ticket_reply(ticket=ticket, body="Hello", by=owner)
    for url in [
        reverse("admin:service_ticket_changelist"),
        reverse("admin:service_ticket_change", args=[ticket.pk]),
        reverse("admin:service_ticketcategory_changelist"),
        reverse("admin:service_skill_changelist"),
    ]:
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get(reverse("admin:service_ticket_add")).status_code == 403
