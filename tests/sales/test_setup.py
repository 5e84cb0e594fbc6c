"""The sales setup index and the after-sale settings page (managers and admin only)."""

import datetime

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from sales.models import SalesSettings, SurveyInvitation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SETUP = reverse("sales:setup")
AFTERSALE = reverse("sales:aftersale_settings")


def valid_data(**overrides) -> dict:
    data = {
        "thank_you_enabled": "on",
        "thank_you_trigger": "delivered",
        "thank_you_delay_minutes": "30",
        "thank_you_template": "Thanks {customer_name} for {order_number}!",
        "survey_enabled": "on",
        "survey_delay_days": "5",
        "survey_template": "Rate order {order_number}: {survey_link}",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "08:30",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_the_setup_index_links_to_every_setup_page(client_for, personas, persona):
    response = client_for(personas[persona]).get(SETUP)
    assert response.status_code == 200
    content = response.content.decode()
    for name in ["product_list", "category_list", "lead_assignment_rules", "lead_scoring_rules", "pipeline_setup"]:
        assert f'href="{reverse(f"sales:{name}")}"' in content
    assert f'href="{AFTERSALE}"' in content


@pytest.mark.parametrize("persona", ["rep", "marketer", "agent", "contractor"])
@pytest.mark.parametrize("path", [SETUP, AFTERSALE])
def test_the_setup_pages_are_refused_to_others(client_for, personas, persona, path):
    assert client_for(personas[persona]).get(path).status_code == 403


def test_a_rep_cannot_change_the_settings(client_for, rep):
    assert client_for(rep).post(AFTERSALE, valid_data(survey_delay_days="9")).status_code == 403
    assert SalesSettings.load().survey_delay_days == 3


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(SETUP).status_code == 302


def test_the_settings_page_shows_a_preview_of_both_messages(client_for, manager):
    response = client_for(manager).get(AFTERSALE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "thank you for your order SO-000123" in content
    assert "/sales/survey/sample-token/" in content


def test_a_manager_saves_the_settings(client_for, manager):
    response = client_for(manager).post(AFTERSALE, valid_data())
    assert response.status_code == 302
    saved = SalesSettings.load()
    assert saved.thank_you_trigger == "delivered" and saved.thank_you_delay_minutes == 30
    assert saved.survey_template == "Rate order {order_number}: {survey_link}" and saved.survey_delay_days == 5
    assert saved.quiet_hours_start == datetime.time(22) and saved.quiet_hours_end == datetime.time(8, 30)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"thank_you_template": "Hi {customer}"}, "Unknown placeholder(s): {customer}"),
        ({"thank_you_template": "Hi {customer_name}, rate us {survey_link}"}, "Unknown placeholder(s): {survey_link}"),
        ({"survey_template": "How was {order_number}?"}, "The message must contain {survey_link}"),
        ({"survey_delay_days": "-1"}, "greater than or equal to 0"),
        ({"quiet_hours_start": "25:00"}, "Enter a valid time"),
    ],
)
def test_bad_settings_are_refused_next_to_the_field_and_nothing_is_saved(client_for, manager, overrides, message):
    before = SalesSettings.load()
    response = client_for(manager).post(AFTERSALE, valid_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    after = SalesSettings.load()
    assert (after.thank_you_template, after.survey_template, after.survey_delay_days, after.thank_you_trigger) == (
        before.thank_you_template,
        before.survey_template,
        before.survey_delay_days,
        before.thank_you_trigger,
    )


def test_the_live_preview_renders_the_typed_texts_and_saves_nothing(client_for, manager):
    response = client_for(manager).post(
        AFTERSALE,
        valid_data(thank_you_template="Merci {customer_name} ({order_number}) {oops}"),
        headers={"HX-Request": "true", "HX-Target": "message-preview"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="message-preview"' in content and "<form" not in content
    assert "Merci Sara Ahmadi (SO-000123) {oops}" in content
    assert "Unknown placeholder(s): {oops}" in content
    assert SalesSettings.load().thank_you_trigger == "paid"


def test_the_admin_keeps_the_settings_a_singleton_and_surveys_read_only(db):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    request = RequestFactory().get("/")
    request.user = superuser
    settings_admin = site._registry[SalesSettings]
    SalesSettings.objects.all().delete()
    assert settings_admin.has_add_permission(request) is True
    SalesSettings.load()  # the row a migration installs
    assert settings_admin.has_add_permission(request) is False
    assert settings_admin.has_delete_permission(request, SalesSettings.load()) is False
    survey_admin = site._registry[SurveyInvitation]
    assert not survey_admin.has_add_permission(request)
    assert not survey_admin.has_change_permission(request)
    assert not survey_admin.has_delete_permission(request)


def test_the_admin_pages_render(client, db):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    SalesSettings.load()
    assert client.get(reverse("admin:sales_salessettings_change", args=[1])).status_code == 200
    assert client.get(reverse("admin:sales_surveyinvitation_changelist")).status_code == 200
