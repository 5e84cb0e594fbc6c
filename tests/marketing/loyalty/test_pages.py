"""The loyalty pages: access per role, constant query counts, bad input writes nothing, the
360° panel and the read-only admin of the ledger."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketing.models import EarningRule, LoyaltyAccount, LoyaltySettings, LoyaltyTier, PointsEntry
from marketing.services.loyalty import points_adjust, points_earn_for_order
from sales.models import Payment
from tests.factories import CustomerFactory
from tests.marketing.loyalty.conftest import category, invoice_for, make_order, pay_in_full

pytestmark = pytest.mark.django_db

MARKETING_PAGES = ["marketing:loyalty_index", "marketing:loyalty_tier_list", "marketing:loyalty_rule_list"]
MANAGER_PAGES = ["marketing:loyalty_settings", "marketing:loyalty_tier_create", "marketing:loyalty_rule_create"]


def members(count, *, owner, manager):
    for _index in range(count):
        customer = CustomerFactory(owner=owner, team=owner.team)
        points_adjust(customer=customer, points=25, note="Gift", by=manager)


@pytest.mark.parametrize(
    ("persona", "marketing_status", "manager_status"),
    [
        ("admin", 200, 200),
        ("manager", 200, 200),
        ("marketer", 200, 403),
        ("rep", 403, 403),
        ("agent", 403, 403),
    ],
)
def test_access_per_role(programme, personas, client_for, persona, marketing_status, manager_status):
    client = client_for(personas[persona])
    for name in MARKETING_PAGES:
        assert client.get(reverse(name)).status_code == marketing_status, name
    for name in MANAGER_PAGES:
        assert client.get(reverse(name)).status_code == manager_status, name


def test_member_page_follows_the_customer_scope(programme, personas, client_for, customer, outsider_rep, manager):
    points_adjust(customer=customer, points=40, note="Gift", by=manager)
    url = reverse("marketing:loyalty_member", args=[customer.pk])
    for persona, status in [("admin", 200), ("manager", 200), ("marketer", 200), ("rep", 403)]:
        assert client_for(personas[persona]).get(url).status_code == status, persona
    stranger = CustomerFactory(owner=outsider_rep, team=outsider_rep.team)
    assert client_for(manager).get(reverse("marketing:loyalty_member", args=[stranger.pk])).status_code == 404


def test_overview_shows_members_and_liability_in_constant_queries(
    programme, tiers, client_for, marketer, rep, manager, django_assert_num_queries
):
    members(3, owner=rep, manager=manager)
    client = client_for(marketer)
    client.get(reverse("marketing:loyalty_index"))  # warm the session and the settings row
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("marketing:loyalty_index"))
    few = len(captured)
    members(12, owner=rep, manager=manager)
    with django_assert_num_queries(few):
        response = client.get(reverse("marketing:loyalty_index"))
    summary = response.context["summary"]
    assert summary["members"] == 15
    assert summary["points_outstanding"] == 15 * 25
    assert summary["liability"] == Decimal(15 * 25 * 100)
    assert response.context["recent"]["earned"] == 0
    assert b"Top members" in response.content


def test_overview_lists_only_the_customers_the_manager_may_see(programme, client_for, manager, rep, outsider_rep):
    members(2, owner=rep, manager=manager)
    members(3, owner=outsider_rep, manager=manager)
    response = client_for(manager).get(reverse("marketing:loyalty_index"))
    assert response.context["page_obj"].paginator.count == 2
    assert response.context["summary"]["members"] == 5  # the programme's figures are company-wide


def test_member_page_in_constant_queries(programme, tiers, client_for, manager, customer, django_assert_num_queries):
    points_adjust(customer=customer, points=40, note="Gift", by=manager)
    url = reverse("marketing:loyalty_member", args=[customer.pk])
    client = client_for(manager)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    few = len(captured)
    for _index in range(10):
        points_adjust(customer=customer, points=5, note="More", by=manager)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.context["figures"].balance == 90
    assert response.context["next_tier"]["tier"] == tiers["Silver"]


def test_settings_tiers_and_rules_are_saved_by_a_manager(programme, client_for, manager):
    client = client_for(manager)
    data = {
        "is_active": "on", "amount_per_point": "50000", "point_value": "500", "expiry_months": "6",
        "min_redemption": "20", "tier_window_months": "12", "tier_change_sms": "{tier}",
    }  # fmt: skip
    assert client.post(reverse("marketing:loyalty_settings"), data).status_code == 302
    assert LoyaltySettings.load().amount_per_point == Decimal("50000")
    response = client.post(
        reverse("marketing:loyalty_tier_create"),
        {"name": "Silver", "threshold": "100", "multiplier": "1.25", "color": "secondary", "benefits": ""},
    )
    assert response.status_code == 302
    tier = LoyaltyTier.objects.get(name="Silver")
    phones = category("Phones")
    response = client.post(
        reverse("marketing:loyalty_rule_create"), {"name": "Phones", "category": phones.pk, "multiplier": "2"}
    )
    assert response.status_code == 302
    rule = EarningRule.objects.get(name="Phones")
    assert client.post(reverse("marketing:loyalty_rule_delete", args=[rule.pk])).status_code == 302
    assert client.post(reverse("marketing:loyalty_tier_delete", args=[tier.pk])).status_code == 302
    assert not EarningRule.objects.exists() and not LoyaltyTier.objects.exists()


def test_bad_setup_input_writes_nothing(programme, client_for, manager, marketer):
    client = client_for(manager)
    response = client.post(reverse("marketing:loyalty_tier_create"), {"name": "", "threshold": "-1", "multiplier": "1"})
    assert response.status_code == 400
    response = client.post(
        reverse("marketing:loyalty_rule_create"),
        {"name": "Backwards", "multiplier": "2", "starts_on": "2026-03-10", "ends_on": "2026-03-01"},
    )
    assert response.status_code == 400
    assert "before the start" in response.content.decode()
    response = client.post(reverse("marketing:loyalty_rule_create"), {"name": "For ever", "multiplier": "2"})
    assert response.status_code == 400  # a bonus for everyone needs a period
    data = {
        "amount_per_point": "0",
        "point_value": "1",
        "expiry_months": "1",
        "min_redemption": "1",
        "tier_window_months": "1",
    }
    assert client.post(reverse("marketing:loyalty_settings"), data).status_code == 400
    assert LoyaltySettings.load().amount_per_point == Decimal("10000")
    assert not LoyaltyTier.objects.exists() and not EarningRule.objects.exists()
    # A marketing user reads the setup but may not change it.
    response = client_for(marketer).post(
        reverse("marketing:loyalty_tier_create"), {"name": "Gold", "threshold": "5", "multiplier": "1"}
    )
    assert response.status_code == 403
    assert not LoyaltyTier.objects.exists()


def test_adjust_needs_a_manager_and_a_reason(programme, client_for, manager, marketer, customer):
    url = reverse("marketing:loyalty_adjust", args=[customer.pk])
    assert client_for(marketer).post(url, {"points": "10", "note": "Gift"}).status_code == 403
    client = client_for(manager)
    assert client.post(url, {"points": "10", "note": ""}).status_code == 400
    assert client.post(url, {"points": "-10", "note": "Too much"}).status_code == 400  # not a member: nothing to take
    assert not PointsEntry.objects.exists()
    assert client.post(url, {"points": "10", "note": "Gift"}).status_code == 302
    assert PointsEntry.objects.get().created_by == manager


def test_enrol_by_hand(programme, tiers, client_for, marketer, customer):
    response = client_for(marketer).post(reverse("marketing:loyalty_enrol", args=[customer.pk]))
    assert response.status_code == 302
    account = LoyaltyAccount.objects.get(customer=customer)
    assert account.tier == tiers["Bronze"]
    assert not account.entries.exists()


def test_redeem_from_the_360_page_by_the_customers_rep(
    programme, client_for, rep, manager, customer, outsider_rep, marketer
):
    points_adjust(customer=customer, points=100, note="Gift", by=manager)
    invoice = invoice_for(make_order(customer, [("50000", None)]), by=rep)
    url = reverse("marketing:loyalty_redeem", args=[customer.pk])
    assert client_for(outsider_rep).get(url).status_code == 404
    assert client_for(marketer).get(url).status_code == 403  # marketing users take no payments
    client = client_for(rep)
    assert client.get(url).status_code == 200

    response = client.post(url, {"invoice": invoice.pk, "points": "500"})
    assert response.status_code == 400
    assert "only 100 points" in response.content.decode()
    assert not Payment.objects.exists()
    assert PointsEntry.objects.count() == 1

    response = client.post(url, {"invoice": invoice.pk, "points": "40"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert Payment.objects.get().amount == Decimal("4000.00")


def test_the_panel_on_the_360_page(
    programme, tiers, client_for, rep, manager, customer, django_capture_on_commit_callbacks
):
    order = make_order(customer, [("1500000", None)])
    pay_in_full(order, by=rep)
    points_earn_for_order(order)
    url = reverse("customers:detail", args=[customer.pk])

    response = client_for(rep).get(url)
    content = response.content.decode()
    assert 'id="panel-loyalty"' in content
    assert 'data-testid="panel-points">150' in content
    assert "Silver" in content
    assert reverse("marketing:loyalty_redeem", args=[customer.pk]) in content
    member_link = f'href="{reverse("marketing:loyalty_member", args=[customer.pk])}"'
    assert member_link not in content  # reps cannot open marketing pages

    content = client_for(manager).get(url).content.decode()
    assert member_link in content

    programme.is_active = False
    programme.save()
    assert 'data-testid="loyalty-off"' in client_for(rep).get(url).content.decode()


def test_the_panel_runs_a_fixed_number_of_queries(programme, rep, manager, customer, rf, django_assert_num_queries):
    from marketing.panels.loyalty import loyalty_panel_context

    for _index in range(8):
        points_adjust(customer=customer, points=5, note="Gift", by=manager)
    request = rf.get("/")
    request.user = rep
    with django_assert_num_queries(5):  # settings, account, figures, entries, the user's roles
        context = loyalty_panel_context(request, customer)
    assert context["figures"].balance == 40
    assert len(context["entries"]) == 5


def test_the_admin_shows_the_ledger_read_only(programme, admin_client, manager, customer):
    entry = points_adjust(customer=customer, points=10, note="Gift", by=manager)
    client = admin_client
    for model in ("loyaltysettings", "loyaltytier", "earningrule", "loyaltyaccount", "pointsentry"):
        assert client.get(reverse(f"admin:marketing_{model}_changelist")).status_code == 200
    assert client.get(reverse("admin:marketing_loyaltyaccount_change", args=[entry.account_id])).status_code == 200
    change_url = reverse("admin:marketing_pointsentry_change", args=[entry.pk])
    assert client.get(change_url).status_code == 200  # view only
    assert client.post(change_url, {"points": "999"}).status_code == 403
    assert (
        client.post(reverse("admin:marketing_pointsentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    assert client.get(reverse("admin:marketing_pointsentry_add")).status_code == 403
    entry.refresh_from_db()
    assert entry.points == 10
