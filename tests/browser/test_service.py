"""Browser test of the service pages: an agent answers a ticket and sends a contractor; the
contractor accepts the work order in the portal, and cannot open the ticket."""

import os

import pytest

from tests.browser.test_sales import _shot_dir
from tests.browser.test_smoke import CHROMIUM, CHROMIUM_ARGS
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

PASSWORD = "a-Good-passw0rd"


@pytest.fixture
def service_data(django_db_serialized_rollback, transactional_db):
    """An agent with an open ticket, and a contractor (made before Playwright's event loop starts)."""
    from crm_site.access import Role
    from service.models import CannedReply, ContractorCompany, ContractorProfile, Ticket
    from tests.factories import CustomerFactory, TeamFactory
    from tests.service.factories import TicketFactory

    team = TeamFactory(name="Service desk")
    agent = UserFactory(username="agent", first_name="Ali", role=Role.SERVICE_AGENT, team=team, password=PASSWORD)
    contractor = UserFactory(username="fixer", first_name="Kamran", role=Role.CONTRACTOR, password=PASSWORD)
    ContractorProfile.objects.create(user=contractor, company=ContractorCompany.objects.create(name="Fixit Co"))
    customer = CustomerFactory(name="Parsa Ahmadi", address="12 Valiasr St", phones=["+989121111111"])
    ticket = TicketFactory(
        owner=agent, team=team, customer=customer, status=Ticket.Status.OPEN, subject="Washing machine leaks"
    )
    CannedReply.objects.create(
        title="Technician visit",
        body="Dear {customer_name}, a technician will visit about ticket {ticket_number}.",
        search_text="technician visit dear a technician will visit about ticket",
    )
    return {"ticket": ticket}


@pytest.fixture
def page(service_data):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        yield page
        browser.close()


def _log_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_agent_replies_and_sends_a_contractor_who_accepts_in_the_portal(live_server, page, service_data, tmp_path):
    ticket = service_data["ticket"]
    shots = _shot_dir(tmp_path)
    _log_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/service/tickets/{ticket.pk}/")
    # A canned reply found from the ticket page fills the reply box with the customer's name.
    page.fill("input[name=q]", "technician")
    page.click("[data-canned-reply]")
    assert "Dear Parsa Ahmadi" in page.input_value("textarea[name=reply-body]")
    page.fill("textarea[name=reply-body]", "We will send a technician tomorrow.")
    page.click("button:has-text('Send the reply')")
    page.wait_for_selector("text=We will send a technician tomorrow.")

    page.click("text=Send a contractor")
    page.wait_for_url("**/work-orders/new/")
    page.select_option("select[name=contractor]", index=1)
    page.click("button:has-text('Send the work order')")
    page.wait_for_url(f"**/service/tickets/{ticket.pk}/")
    page.wait_for_selector("text=Fixit Co")
    page.screenshot(path=shots / "service-ticket.png", full_page=True)

    _log_in(page, live_server, "fixer")
    assert page.url.endswith("/portal/")
    page.click("text=Washing machine leaks")
    page.click("button:has-text('Accept the job')")
    page.wait_for_selector("text=Start the work")
    page.screenshot(path=shots / "portal-work-order.png", full_page=True)
    body = page.locator("body").inner_text()
    assert "12 Valiasr St" in body and "+98 912 111 1111" in body
    # The ticket itself stays out of reach.
    response = page.goto(f"{live_server.url}/service/tickets/{ticket.pk}/")
    assert response.status == 403
