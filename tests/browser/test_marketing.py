"""Browser test of the marketing pages: a marketer builds a segment in the rule builder and sees
the live count follow each change, saves it, and the main marketing pages open without a script
error, in English and in Persian (screenshots under the test's tmp_path; set SCREENSHOT_DIR to
keep them)."""

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
def marketing_data(django_db_serialized_rollback, transactional_db):
    """A marketer, three customers in Tehran (two of them agree to SMS) and one in Isfahan, and a
    sent campaign (made before Playwright's event loop starts)."""
    from django.utils import timezone

    from crm_site.access import Role
    from marketing.models import Campaign, Segment
    from tests.factories import CustomerFactory

    marketer = UserFactory(username="maryam", first_name="Maryam", role=Role.MARKETING, password=PASSWORD)
    for number, consent in enumerate([True, True, False]):
        CustomerFactory(name=f"Tehran customer {number}", province="tehran", sms_consent=consent)
    CustomerFactory(name="Isfahan customer", province="isfahan", sms_consent=True)
    segment = Segment.objects.create(name="Everyone", rules={}, last_count=4)
    campaign = Campaign.objects.create(
        name="Nowruz sale", owner=marketer, status=Campaign.Status.SENT, started_at=timezone.now(), body="Hi"
    )
    campaign.segments.add(segment)
    return {"campaign": campaign.pk}


@pytest.fixture
def page(marketing_data):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.script_errors = errors
        yield page
        browser.close()


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "maryam")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _count(page) -> str:
    return page.get_attribute("[data-segment-count]", "data-segment-count")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_marketer_builds_a_segment_with_a_live_count(live_server, page, marketing_data, tmp_path):
    shots = _shot_dir(tmp_path)
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/marketing/segments/new/")
    page.fill("input[name=name]", "Tehran, SMS consent")
    page.wait_for_function("document.querySelector('[data-segment-count]')?.dataset.segmentCount === '4'")

    page.click("button:has-text('Add a condition')")
    page.select_option("select[aria-label='Choose what to test…']", "province")
    page.select_option("#segment-builder select[multiple]", "tehran")
    page.wait_for_function("document.querySelector('[data-segment-count]').dataset.segmentCount === '3'")

    page.click("button:has-text('Add a condition')")
    page.locator("select[aria-label='Choose what to test…']").nth(1).select_option("sms_consent")
    page.wait_for_function("document.querySelector('[data-segment-count]').dataset.segmentCount === '2'")
    assert "Tehran customer 0" in page.inner_text("#segment-preview")
    page.screenshot(path=shots / "segment-builder.png", full_page=True)

    page.click("button:has-text('Save')")
    page.wait_for_load_state()
    body = page.inner_text("body")
    assert "Tehran, SMS consent" in body and "Province" in body
    page.screenshot(path=shots / "segment-detail.png", full_page=True)
    assert page.script_errors == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_marketing_pages_open_without_script_errors(live_server, page, marketing_data, tmp_path, language):
    shots = _shot_dir(tmp_path)
    _log_in(page, live_server)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    pages = {
        "home": "/marketing/",
        "segments": "/marketing/segments/",
        "campaigns": "/marketing/campaigns/",
        "campaign": f"/marketing/campaigns/{marketing_data['campaign']}/",
        "rules": "/marketing/rules/",
        "new-rule": "/marketing/rules/new/",
        "loyalty": "/marketing/loyalty/",
    }
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert page.get_attribute("html", "dir") == ("rtl" if language == "fa" else "ltr")
        page.screenshot(path=shots / f"marketing-{name}-{language}.png", full_page=True)
    assert page.script_errors == []
