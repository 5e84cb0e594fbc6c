"""Browser test of the sales pages: a rep drags a card across the pipeline board, the move is
saved; the main sales pages open without a server error or a broken layout, in English and in
Persian (screenshots under the test's tmp_path; set SCREENSHOT_DIR to keep them)."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.test_smoke import CHROMIUM, CHROMIUM_ARGS
from tests.factories import CustomerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

PASSWORD = "a-Good-passw0rd"


@pytest.fixture
def sales_data(django_db_serialized_rollback, transactional_db):
    """A rep with a customer, an opportunity in the first stage, an order with a line, an open
    activity due today, and a lead (made before Playwright's event loop starts)."""
    from django.utils import timezone

    from crm_site.access import Role
    from sales.models import Activity
    from tests.factories import TeamFactory
    from tests.sales.factories import (
        ActivityFactory,
        LeadFactory,
        OpportunityFactory,
        OrderLineFactory,
        ProductFactory,
    )

    team = TeamFactory(name="Sales")
    rep = UserFactory(username="rep", first_name="Sara", role=Role.SALES_REP, team=team, password=PASSWORD)
    customer = CustomerFactory(name="Parsian Trading", owner=rep, team=team)
    opportunity = OpportunityFactory(name="Office chairs", customer=customer, owner=rep, amount=Decimal("90000000"))
    product = ProductFactory(name="Desk lamp", brand="Noor", colour="black")
    ProductFactory(name="Lamp bulb", brand="Noor", colour="white")
    OrderLineFactory(order__customer=customer, order__owner=rep, product=product)
    ActivityFactory(
        subject="Call Parsian", assignee=rep, customer=customer, due_at=timezone.now(), kind=Activity.Kind.CALL
    )
    LeadFactory(name="Nima Rahimi", owner=rep)
    return {"rep": rep, "opportunity": opportunity}


@pytest.fixture
def page(sales_data):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        yield page
        browser.close()


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "rep")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome, Sara")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dragging_a_card_to_the_next_stage_moves_the_opportunity(live_server, page, sales_data, tmp_path):
    opportunity = sales_data["opportunity"]
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/sales/pipeline/")
    card = page.locator(f"#opportunity-{opportunity.pk}")
    first_stage = card.get_attribute("data-stage")
    target = page.locator(f".pipeline-drop[data-stage-id]:not([data-stage-id='{first_stage}'])").first
    target_stage = target.get_attribute("data-stage-id")
    with page.expect_response(lambda response: "/move/" in response.url and response.status == 200):
        card.drag_to(target)
    page.wait_for_selector(f"#opportunity-{opportunity.pk}[data-stage='{target_stage}']")
    page.screenshot(path=_shot_dir(tmp_path) / "pipeline-board.png", full_page=True)

    page.goto(f"{live_server.url}/sales/opportunities/{opportunity.pk}/")
    assert page.locator("body").inner_text().count("Office chairs") >= 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_quote_built_from_a_suggestion_becomes_an_order_an_invoice_and_is_paid_in_two_parts(
    live_server, page, sales_data, tmp_path
):
    """The seed's example end to end: the rep picks a suggestion on a new quote, then the quote
    becomes an order, the order an invoice, and two payments settle it."""
    customer_id = sales_data["opportunity"].customer_id
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/sales/quotes/new/?customer={customer_id}")
    suggestion = page.locator("[data-suggestion-add]").first
    suggestion.wait_for()
    product_name = suggestion.get_attribute("data-product-name")
    suggestion.click()
    page.click("text=Create the quote")
    page.wait_for_selector("text=Draft")
    assert product_name in page.locator("body").inner_text()

    page.click("button:has-text('Make an order')")
    page.wait_for_url("**/sales/orders/*/")
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("button:has-text('Invoice this order')").click()
    page.wait_for_url("**/sales/invoices/*/")
    invoice_url = page.url
    total = page.locator("[data-testid=grand-total]").inner_text().replace(",", "")
    half = f"{float(total) / 2:.2f}"
    for amount in (half, f"{float(total) - float(half):.2f}"):
        page.fill("input[name=amount]", amount)
        page.click("button:has-text('Record the payment')")
        page.wait_for_load_state()
    page.goto(invoice_url)
    page.screenshot(path=_shot_dir(tmp_path) / "invoice-paid.png", full_page=True)
    # (No ORM here: Playwright's event loop runs in this thread.)
    assert "Paid" in page.locator("h1").inner_text()
    assert "No payment yet" not in page.locator("body").inner_text()


SALES_PAGES = [
    ("overview", "/sales/"),
    ("my-day", "/sales/my-day/"),
    ("leads", "/sales/leads/"),
    ("opportunities", "/sales/opportunities/"),
    ("activities", "/sales/activities/"),
    ("orders", "/sales/orders/"),
    ("invoices", "/sales/invoices/"),
    ("products", "/sales/products/"),
]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_main_sales_pages_render_in_english_and_persian(live_server, page, tmp_path):
    _log_in(page, live_server)
    shots = _shot_dir(tmp_path)
    for language in ("en", "fa"):
        if language == "fa":
            with page.expect_navigation():
                page.select_option("select[name=language]", "fa")
        for name, path in SALES_PAGES:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            expected = "rtl" if language == "fa" else "ltr"
            assert page.locator("html").get_attribute("dir") == expected
            # Nothing overflows the window sideways (a broken layout's usual symptom).
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1400, (path, width)
            page.screenshot(path=shots / f"{name}-{language}.png", full_page=True)


def _shot_dir(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
