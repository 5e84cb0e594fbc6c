"""Earning: the ledger arithmetic (category, group and bonus multipliers, the tier multiplier,
rounding down, the share paid with points), once per order however often ORDER_PAID comes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm_site.events import Event, announce
from marketing.models import EarningRule, LoyaltyAccount, PointsEntry
from marketing.selectors.loyalty import points_balance, points_balances
from marketing.services.loyalty import points_adjust, points_earn_for_order, points_redeem
from marketing.tasks.loyalty import loyalty_refresh_tiers
from sales.models import Order, Payment
from tests.factories import CustomerFactory
from tests.marketing.loyalty.conftest import category, group, invoice_for, make_order, pay, pay_in_full

pytestmark = pytest.mark.django_db


def earned(order) -> int:
    return PointsEntry.objects.get(key=f"earn:order:{order.pk}").points


def test_category_rule_counts_sub_categories_and_points_round_down(programme, customer, rep):
    electronics = category("Electronics")
    phones = category("Phones", parent=electronics)
    furniture = category("Furniture")
    EarningRule.objects.create(name="Electronics double", category=electronics, multiplier=Decimal("2"))
    order = make_order(customer, [("105000", phones), ("49999", furniture)])
    pay_in_full(order, by=rep)

    entry = points_earn_for_order(order)

    # 105,000 × 2 + 49,999 × 1 = 259,999 → 25.9999 points → 25.
    assert entry.points == 25
    assert entry.kind == PointsEntry.Kind.EARN
    assert entry.amount == Decimal("154999.00")
    assert entry.expires_at.date() == (entry.created_at + timedelta(days=365)).date()
    assert points_balance(customer) == 25


def test_group_rule_counts_sub_groups_and_the_best_rule_wins(programme, customer, rep):
    wholesale = group("Wholesale")
    tehran = group("Tehran", parent=wholesale)
    customer.groups.add(tehran)
    today = timezone.localdate()
    EarningRule.objects.create(name="Wholesale", group=wholesale, multiplier=Decimal("3"))
    EarningRule.objects.create(
        name="Bonus week",
        multiplier=Decimal("1.5"),
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=2),
    )
    EarningRule.objects.create(
        name="Past bonus",
        multiplier=Decimal("10"),
        starts_on=today - timedelta(days=9),
        ends_on=today - timedelta(days=1),
    )
    EarningRule.objects.create(name="Switched off", group=tehran, multiplier=Decimal("10"), is_active=False)
    EarningRule.objects.create(name="Other group", group=group("Retail"), multiplier=Decimal("10"))
    order = make_order(customer, [("10000", None)])
    pay_in_full(order, by=rep)

    assert points_earn_for_order(order).points == 3  # 10,000 × 3


def test_bonus_period_applies_to_everyone(programme, customer, rep):
    today = timezone.localdate()
    EarningRule.objects.create(name="Nowruz", multiplier=Decimal("2"), starts_on=today, ends_on=today)
    order = make_order(customer, [("50000", None)])
    pay_in_full(order, by=rep)

    assert points_earn_for_order(order).points == 10


def test_tier_multiplier_applies_on_top_of_the_rules(programme, tiers, customer, rep):
    phones = category("Phones")
    EarningRule.objects.create(name="Phones", category=phones, multiplier=Decimal("2"))
    LoyaltyAccount.objects.create(customer=customer, tier=tiers["Gold"], joined_at=timezone.now())
    order = make_order(customer, [("100000", phones)])
    pay_in_full(order, by=rep)

    assert points_earn_for_order(order).points == 30  # 100,000 × 2 × 1.5 / 10,000


def test_the_share_paid_with_points_earns_nothing(
    programme, customer, rep, manager, django_capture_on_commit_callbacks
):
    points_adjust(customer=customer, points=50, note="Welcome gift", by=manager)
    order = make_order(customer, [("100000", None)])
    invoice = invoice_for(order, by=rep)
    points_redeem(customer=customer, invoice=invoice, points=20, by=rep)  # 2,000 paid with points
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoice, "98000", by=rep)

    # (100,000 − the 2,000 paid with points) / 10,000 = 9.8 → 9.
    assert earned(order) == 9
    assert Payment.objects.filter(invoice=invoice, method=Payment.Method.POINTS).get().amount == Decimal("2000.00")
    assert points_balance(customer) == 50 - 20 + 9


def test_an_order_earns_once_even_when_paid_is_announced_twice(
    programme, customer, rep, django_capture_on_commit_callbacks
):
    order = make_order(customer, [("120000", None)])
    invoice = invoice_for(order, by=rep)
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoice, "20000", by=rep)
    assert not PointsEntry.objects.exists()  # not paid in full yet
    with django_capture_on_commit_callbacks(execute=True):
        pay(invoice, "100000", by=rep)
    with django_capture_on_commit_callbacks(execute=True):
        announce(Event.ORDER_PAID, customer_id=customer.pk, key=f"order:{order.pk}", source=order, amount="120000")

    assert PointsEntry.objects.filter(order=order).count() == 1
    assert earned(order) == 12
    assert points_earn_for_order(order) is None
    assert points_balances([customer.pk, CustomerFactory().pk]) == {customer.pk: 12}


def test_nothing_is_earned_when_the_programme_is_off_or_the_order_unpaid(programme, customer, rep):
    order = make_order(customer, [("120000", None)])
    invoice_for(order, by=rep)
    assert points_earn_for_order(order) is None  # not paid
    programme.is_active = False
    programme.save()
    order.paid_at = timezone.now()
    order.save(update_fields=["paid_at"])
    assert points_earn_for_order(order) is None
    assert not LoyaltyAccount.objects.exists()


def test_the_daily_job_credits_orders_whose_event_was_lost(programme, customer, rep):
    """Paid while the broker was down: no ORDER_PAID reached the earning task (the on-commit
    callbacks never run here). The daily job credits the order once, and only recent ones."""
    order = make_order(customer, [("120000", None)])
    pay_in_full(order, by=rep)
    old = make_order(customer, [("50000", None)])
    pay_in_full(old, by=rep)
    Order.objects.filter(pk=old.pk).update(paid_at=timezone.now() - timedelta(days=30))
    assert not PointsEntry.objects.exists()

    loyalty_refresh_tiers.delay()
    loyalty_refresh_tiers.delay()

    assert list(PointsEntry.objects.values_list("order_id", "points")) == [(order.pk, 12)]
