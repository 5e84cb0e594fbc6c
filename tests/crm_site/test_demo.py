"""seed_demo: teams, one user per role with password demo, reproducible and idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from crm_site.access import Role, user_roles
from crm_site.models import Team, User
from service.models import WorkOrder
from tests.demo_wipe import wipe_protecting_rows

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def snapshot():
    users = list(User.objects.order_by("username").values_list("username", "first_name", "team__name", "phone"))
    teams = list(Team.objects.order_by("name").values_list("name", "manager__username"))
    return users, teams


def test_one_user_per_role_who_can_log_in_with_demo():
    output = seed(customers=0, seed=7)
    expected = {
        "admin": Role.ADMIN,
        "manager": Role.MANAGER,
        "sales1": Role.SALES_REP,
        "sales2": Role.SALES_REP,
        "marketing": Role.MARKETING,
        "agent1": Role.SERVICE_AGENT,
        "contractor1": Role.CONTRACTOR,
    }
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert role in user_roles(user)
        response = Client().post(reverse("login"), {"username": username, "password": "demo"})
        assert response.status_code == 302, username
        assert username in output
    assert "password for all: demo" in output
    assert Team.objects.get(name="Sales").manager.username == "manager"
    assert User.objects.get(username="admin").is_superuser


def test_the_same_seed_gives_the_same_data():
    seed(customers=5, seed=3)
    first = snapshot()
    wipe_protecting_rows()
    WorkOrder.objects.all().delete()  # the service part's work orders protect the contractor
    User.objects.all().delete()
    Team.objects.all().delete()
    seed(customers=5, seed=3)
    assert snapshot() == first


def test_running_it_again_changes_nothing():
    seed(customers=0, seed=1)
    before = snapshot()
    assert "already present" in seed(customers=0, seed=1)
    assert snapshot() == before


def test_it_inserts_in_bulk(django_assert_max_num_queries):
    # A fixed number of queries however many users: no per-row saves (about 25 for the users
    # and lists, the rest the marketing part's segments, tiers and rules made through services).
    with django_assert_max_num_queries(110):
        seed(customers=0, seed=1)
