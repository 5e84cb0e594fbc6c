"""The base interface: navigation by role, language switch and direction, static files, audit."""

import pytest
from django.urls import reverse

from crm_site.models import User

pytestmark = pytest.mark.django_db


def nav_labels(response):
    return [item["area"] for item in response.context["nav_items"]]


@pytest.mark.parametrize(
    ("persona", "areas"),
    [
        ("admin", ["home", "customers", "sales", "service", "marketing", "analytics"]),
        ("manager", ["home", "customers", "sales", "service", "marketing", "analytics"]),
        ("rep", ["home", "customers", "sales", "analytics"]),
        ("marketer", ["home", "customers", "marketing", "analytics"]),
        ("agent", ["home", "customers", "service"]),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(persona, areas, personas, client):
    client.force_login(personas[persona])
    response = client.get(reverse("home"))
    assert nav_labels(response) == areas
    for hidden in {"sales", "service", "marketing", "analytics"} - set(areas):
        assert f'href="/{hidden}/"'.encode() not in response.content


def test_the_contractor_sees_only_the_portal(contractor, client):
    client.force_login(contractor)
    response = client.get(reverse("portal:index"))
    assert nav_labels(response) == ["portal"]
    assert b"bi-bell" not in response.content  # no staff notifications either


def test_home_page_query_count_is_small_and_fixed(rep, client, django_assert_max_num_queries):
    client.force_login(rep)
    with django_assert_max_num_queries(6):
        client.get(reverse("home"))


def test_switching_to_persian_lays_the_page_out_right_to_left(rep, client):
    client.force_login(rep)
    response = client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert "bootstrap.rtl.min.css" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en" dir="ltr">' in page
    assert "bootstrap.min.css" in page and "bootstrap.rtl.min.css" not in page


def test_the_language_switch_works_before_login(client):
    response = client.post(reverse("set_language"), {"language": "fa", "next": reverse("login")})
    assert response.status_code == 302
    assert 'dir="rtl"' in client.get(reverse("login")).content.decode()


def test_vendored_front_end_is_served_locally(rep, client):
    client.force_login(rep)
    page = client.get(reverse("home")).content.decode()
    for asset in ["vendor/bootstrap/bootstrap.bundle.min.js", "vendor/htmx/htmx.min.js"]:
        assert f"/static/{asset}" in page
    assert "cdn" not in page.lower()


def test_forms_are_rendered_by_crispy_bootstrap5(client):
    page = client.get(reverse("login")).content.decode()
    assert 'class="textinput form-control"' in page and 'id="div_id_username" class="mb-3"' in page


def test_changes_to_users_are_audited_with_who_made_them(admin_client, rep, other_team):
    admin_user = User.objects.get(username="admin")
    data = {
        "username": rep.username,
        "first_name": rep.first_name,
        "last_name": rep.last_name,
        "email": rep.email,
        "team": other_team.pk,
        "phone": "",
        "is_active": "on",
        "groups": list(rep.groups.values_list("pk", flat=True)),
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
    }
    response = admin_client.post(reverse("admin:crm_site_user_change", args=[rep.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = rep.history.latest()
    assert latest.team_id == other_team.pk
    assert latest.history_user == admin_user
    history_page = admin_client.get(reverse("admin:crm_site_user_history", args=[rep.pk]))
    assert history_page.status_code == 200
    assert b"team" in history_page.content
