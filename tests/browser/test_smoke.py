"""Browser smoke test: Playwright drives Debian's Chromium to log in and open the home page in
English and in Persian. CI installs chromium when it is missing; elsewhere the test is skipped
without it."""

import os
import shutil

import pytest

from tests.factories import UserFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def browser_page(manager_with_password):
    # Playwright's sync API runs an event loop in this thread, so test data is made before it
    # starts (an ORM call inside that loop would open a connection nobody closes).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        yield page
        browser.close()


@pytest.fixture
def manager_with_password(transactional_db):
    from crm_site.access import Role

    return UserFactory(username="manager", first_name="Mina", role=Role.MANAGER, password="a-Good-passw0rd")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_log_in_and_open_the_home_page_in_english_and_persian(live_server, browser_page, tmp_path):
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url

    page.fill("#id_username", "manager")
    page.fill("#id_password", "a-Good-passw0rd")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome, Mina")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("nav .nav-link", has_text="Sales").count() == 1
    # The vendored stylesheet really loaded: Bootstrap's navbar is laid out as a flex row.
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    page.screenshot(path=tmp_path / "home-en.png")

    with page.expect_navigation():
        page.select_option("select[name=language]", "fa")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    stylesheets = page.evaluate("[...document.styleSheets].map(s => s.href || '')")
    assert any(href.endswith("bootstrap.rtl.min.css") for href in stylesheets)
    # Right to left: the brand sits at the right edge of the navigation bar.
    brand = page.locator(".navbar-brand").bounding_box()
    assert brand["x"] > 1280 / 2
    page.screenshot(path=tmp_path / "home-fa.png")
