"""The knowledge base: canned replies and articles kept searchable, the agents' list and the
search partial of the ticket page (placeholders filled, scoped to the tickets the agent sees)."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_site.access import Role
from service.models import CannedReply, KnowledgeArticle
from service.services.knowledge import canned_reply_save, knowledge_article_save
from tests.factories import CustomerFactory, TeamFactory, UserFactory
from tests.service.factories import TicketFactory, category

pytestmark = pytest.mark.django_db


def reply(title: str, body: str, **kwargs) -> CannedReply:
    return canned_reply_save(reply=CannedReply(title=title, body=body, **kwargs))


def article(title: str, body: str, **kwargs) -> KnowledgeArticle:
    return knowledge_article_save(article=KnowledgeArticle(title=title, body=body, **kwargs))


@pytest.fixture
def service_agent():
    team = TeamFactory(name="Service")
    return UserFactory(username="sara", first_name="Sara", last_name="Ahmadi", role=Role.SERVICE_AGENT, team=team)


def search(client, query: str, ticket=None):
    params = {"q": query}
    if ticket is not None:
        params["ticket"] = ticket.pk
    return client.get(reverse("service:knowledge_search"), params, headers={"HX-Request": "true"})


def test_saving_keeps_a_normalised_search_text():
    # Arabic ي/ك and a zero-width joiner, as some keyboards type them.
    item = reply("پيگيري", "كد پیگیری\u200cشما", category=category("Repairs"))
    assert "پیگیری" in item.search_text and "کد" in item.search_text and "repairs" in item.search_text


def test_an_unknown_placeholder_is_refused_and_nothing_written(client_for, manager):
    response = client_for(manager).post(
        reverse("service:setup_canned_reply_create"), {"title": "Hi", "body": "Dear {client}", "is_active": "on"}
    )
    assert response.status_code == 400
    assert "Unknown placeholders: {client}" in html.unescape(response.content.decode())
    assert not CannedReply.objects.exists()


def test_a_manager_writes_edits_and_turns_off_replies_and_articles(client_for, manager):
    client = client_for(manager)
    client.post(reverse("service:setup_canned_reply_create"), {"title": "Thanks", "body": "Thanks {customer_name}"})
    saved = CannedReply.objects.get()
    assert saved.created_by == manager and "thanks" in saved.search_text
    client.post(reverse("service:setup_canned_reply_active", args=[saved.pk]), {"is_active": "0"})
    saved.refresh_from_db()
    assert not saved.is_active

    client.post(
        reverse("service:setup_article_create"), {"title": "Reset", "body": "Hold the button", "is_published": "on"}
    )
    kb = KnowledgeArticle.objects.get()
    client.post(reverse("service:setup_article_edit", args=[kb.pk]), {"title": "Reset the dryer", "body": "Hold it"})
    kb.refresh_from_db()
    assert kb.title == "Reset the dryer" and "dryer" in kb.search_text and not kb.is_published


def test_the_search_returns_published_articles_and_active_replies_ranked_by_title(client_for, service_agent):
    in_body = article("Door seal", "If the washing machine leaks from the door, replace the seal.")
    in_title = article("Washing machine leaks", "Check the hose first.")
    article("Washing machine leaks (old)", "Superseded.", is_published=False)
    reply("Leak apology", "We are sorry about the leak of your washing machine.")
    reply("Off", "washing machine leaks", is_active=False)

    response = search(client_for(service_agent), "washing leak")

    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert body.index(in_title.title) < body.index(in_body.title)
    assert "(old)" not in body and "Off" not in body
    assert "Leak apology" in body


def test_the_placeholders_are_filled_for_a_ticket_the_agent_can_see(client_for, service_agent):
    ticket = TicketFactory(owner=service_agent, customer=CustomerFactory(name="Reza Karimi"))
    reply("Received", "Dear {customer_name}, ticket {ticket_number} is with {agent_name}.")

    response = search(client_for(service_agent), "received", ticket=ticket)

    expected = f'data-canned-reply="Dear Reza Karimi, ticket {ticket.number} is with Sara Ahmadi."'
    assert expected in response.content.decode()


def test_without_a_ticket_the_ticket_placeholders_stay(client_for, service_agent):
    reply("Received", "Dear {customer_name}, this is {agent_name}.")
    response = search(client_for(service_agent), "received")
    assert 'data-canned-reply="Dear {customer_name}, this is Sara Ahmadi."' in response.content.decode()


def test_another_teams_ticket_is_not_found(client_for, service_agent):
    other = UserFactory(username="other", role=Role.SERVICE_AGENT, team=TeamFactory(name="North"))
    ticket = TicketFactory(owner=other)
    assert search(client_for(service_agent), "x", ticket=ticket).status_code == 404


@pytest.mark.parametrize("persona", ["rep", "marketer", "contractor"])
def test_only_service_staff_use_the_knowledge_base(client_for, personas, persona):
    client = client_for(personas[persona])
    assert client.get(reverse("service:knowledge_list")).status_code == 403
    assert search(client, "x").status_code == 403


def test_the_search_takes_a_constant_number_of_queries(client_for, service_agent):
    ticket = TicketFactory(owner=service_agent)
    client = client_for(service_agent)
    reply("Leak 0", "leak {customer_name}", category=category("Repairs"))
    article("Leak 0", "leak", category=category("Repairs"))
    search(client, "leak", ticket=ticket)  # the session and the user's roles, read once
    with CaptureQueriesContext(connection) as one:
        search(client, "leak", ticket=ticket)
    for n in range(1, 8):
        reply(f"Leak {n}", "leak {ticket_number}", category=category("Repairs"))
        article(f"Leak {n}", "leak", category=category("Delivery"))
    with CaptureQueriesContext(connection) as many:
        response = search(client, "leak", ticket=ticket)
    assert response.content.decode().count("data-canned-reply=") == 8
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_list_pages_and_takes_a_constant_number_of_queries(
    client_for, service_agent, django_assert_max_num_queries
):
    client = client_for(service_agent)
    article("Leak 0", "leak", category=category("Repairs"))
    params = {"q": "leak", "category": category("Repairs").pk}
    with django_assert_max_num_queries(12) as one:
        assert client.get(reverse("service:knowledge_list"), params).status_code == 200
    for n in range(1, 30):
        article(f"Leak {n}", "leak", category=category("Under warranty"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("service:knowledge_list"), params)
    assert response.context["page_obj"].paginator.count == 30  # the category reaches its sub-categories
    assert len(response.context["page_obj"].object_list) == 20


def test_the_list_shows_canned_replies_on_their_tab(client_for, manager):
    reply("Thanks", "Thank you")
    response = client_for(manager).get(reverse("service:knowledge_list"), {"tab": "replies"})
    assert [item.title for item in response.context["page_obj"]] == ["Thanks"]
