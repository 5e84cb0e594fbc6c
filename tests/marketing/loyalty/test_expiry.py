"""Expiry: unspent points of earnings past their date expire first-in first-out, once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketing.models import PointsEntry
from marketing.selectors.loyalty import points_balance
from marketing.services.loyalty import points_earn_for_order, points_expire, points_redeem
from marketing.tasks.loyalty import loyalty_expire_points
from tests.factories import CustomerFactory
from tests.marketing.loyalty.conftest import invoice_for, make_order, pay_in_full

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")


def at(year, month, day) -> datetime:
    return datetime(year, month, day, 10, tzinfo=TEHRAN)


def earn(customer, amount, *, by) -> PointsEntry:
    order = make_order(customer, [(amount, None)])
    pay_in_full(order, by=by)
    return points_earn_for_order(order)


def expired_entries(customer):
    return list(
        PointsEntry.objects.filter(account__customer=customer, kind=PointsEntry.Kind.EXPIRE).values_list(
            "points", flat=True
        )
    )


def test_expiry_is_fifo_and_happens_once(programme, customer, rep):
    with time_machine.travel(at(2025, 1, 10), tick=False):
        assert earn(customer, "1000000", by=rep).points == 100  # expires 10 Jan 2026
    with time_machine.travel(at(2025, 2, 10), tick=False):
        assert earn(customer, "500000", by=rep).points == 50  # expires 10 Feb 2026
    with time_machine.travel(at(2025, 3, 10), tick=False):
        invoice = invoice_for(make_order(customer, [("900000", None)]), by=rep)
        points_redeem(customer=customer, invoice=invoice, points=30, by=rep)
        assert points_expire() == 0  # nothing is due yet

    with time_machine.travel(at(2026, 1, 11), tick=False):
        # The 30 redeemed came out of the oldest 100: 70 of them expire; the 50 stay.
        assert loyalty_expire_points.delay().get() == 1
        assert expired_entries(customer) == [-70]
        assert points_balance(customer) == 50
        assert points_expire() == 0  # run twice the same day: nothing more
    with time_machine.travel(at(2026, 1, 20), tick=False):
        assert points_expire() == 0  # later runs: the 100 are accounted for
    with time_machine.travel(at(2026, 2, 11), tick=False):
        assert points_expire() == 1
        assert sorted(expired_entries(customer)) == [-70, -50]
        assert points_balance(customer) == 0
        entry = PointsEntry.objects.filter(kind=PointsEntry.Kind.EXPIRE).order_by("-created_at").first()
        assert entry.key == f"expire:{entry.account_id}:2026-02-11"


def test_points_kept_for_ever_when_expiry_is_off(programme, customer, rep):
    programme.expiry_months = 0
    programme.save()
    with time_machine.travel(at(2020, 1, 1), tick=False):
        entry = earn(customer, "100000", by=rep)
    assert entry.expires_at is None
    assert points_expire() == 0
    assert points_balance(customer) == 10


def test_expiry_runs_a_fixed_number_of_queries(programme, rep, django_assert_max_num_queries):
    with time_machine.travel(at(2025, 1, 10), tick=False):
        for _index in range(6):
            earn(CustomerFactory(owner=rep, team=rep.team), "200000", by=rep)
    with time_machine.travel(at(2026, 1, 11), tick=False), django_assert_max_num_queries(6):
        assert points_expire() == 6
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EXPIRE, points=-20).count() == 6
