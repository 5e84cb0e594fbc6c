"""Browser test of the analytics pages on a small demo: every page opens without a script error
and draws its charts, in English and in Persian (screenshots under the test's tmp_path; set
SCREENSHOT_DIR to keep them)."""

import os

import pytest

from tests.browser.test_sales import _shot_dir
from tests.browser.test_smoke import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

PAGES = {
    "dashboard": ("/analytics/", 10),
    "value": ("/analytics/value/", 0),
    "pareto": ("/analytics/pareto/", 1),
    "rfm": ("/analytics/rfm/", 0),
    "churn": ("/analytics/churn/", 0),
    "forecast": ("/analytics/forecast/", 1),
    "basket": ("/analytics/basket/", 0),
    "runs": ("/analytics/runs/", 0),
}


@pytest.fixture
def demo(django_db_serialized_rollback, transactional_db):
    """The demo at 120 customers, its analytics computed (made before Playwright's event loop starts)."""
    from django.core.management import call_command

    call_command("seed_demo", customers=120, seed=4, verbosity=0)


@pytest.fixture
def page(demo):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.script_errors = errors
        yield page
        browser.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_analytics_pages_open_and_draw_their_charts(live_server, page, tmp_path, language):
    from crm_site.demo import DEMO_PASSWORD

    shots = _shot_dir(tmp_path)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    for name, (path, charts) in PAGES.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert page.get_attribute("html", "dir") == ("rtl" if language == "fa" else "ltr")
        if charts:  # Chart.js has drawn: its canvases have a size
            page.wait_for_function(
                "n => [...document.querySelectorAll('canvas')].filter(c => c.width > 0).length >= n", arg=charts
            )
        page.screenshot(path=shots / f"analytics-{name}-{language}.png", full_page=True)
    assert page.script_errors == []
