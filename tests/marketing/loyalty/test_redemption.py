"""Redemption: points pay part of an invoice; too few, too many, more than the invoice and
two redemptions at once are refused without writing anything."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from marketing.models import LoyaltyAccount, PointsEntry
from marketing.selectors.loyalty import points_balance
from marketing.services import loyalty as services
from marketing.services.loyalty import points_adjust, points_redeem
from sales.models import Invoice, Payment
from tests.factories import CustomerFactory
from tests.marketing.loyalty.conftest import invoice_for, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(programme, customer, manager):
    points_adjust(customer=customer, points=100, note="Opening balance", by=manager)
    return customer


@pytest.fixture
def invoice(member, rep) -> Invoice:
    return invoice_for(make_order(member, [("50000", None)]), by=rep)  # 50,000 = 500 points' worth


def counts() -> tuple[int, int]:
    return PointsEntry.objects.count(), Payment.objects.count()


def test_redeeming_appends_an_entry_and_pays_the_invoice_with_points(member, invoice, rep):
    entry = points_redeem(customer=member, invoice=invoice, points=30, by=rep)

    assert entry.kind == PointsEntry.Kind.REDEEM
    assert entry.points == -30
    assert entry.amount == Decimal("3000.00")
    assert entry.created_by == rep
    payment = Payment.objects.get(invoice=invoice)
    assert payment.method == Payment.Method.POINTS
    assert payment.amount == Decimal("3000.00")
    assert payment.reference == f"LOY-{entry.pk}"
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("3000.00")
    assert invoice.status == Invoice.Status.PARTIALLY_PAID
    assert points_balance(member) == 70


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (5, "At least 10 points"),
        (101, "only 100 points"),
        (0, "greater than zero"),
    ],
)
def test_refused_redemptions_write_nothing(member, invoice, rep, points, message):
    before = counts()
    with pytest.raises(ValidationError, match=message):
        points_redeem(customer=member, invoice=invoice, points=points, by=rep)
    assert counts() == before


def test_points_worth_more_than_the_invoice_balance_are_refused(member, rep, manager):
    small = invoice_for(make_order(member, [("5000", None)]), by=rep)  # worth 50 points
    before = counts()
    with pytest.raises(ValidationError, match="more than the invoice's balance"):
        points_redeem(customer=member, invoice=small, points=51, by=rep)
    assert counts() == before
    points_redeem(customer=member, invoice=small, points=50, by=rep)  # exactly the balance: paid in full
    small.refresh_from_db()
    assert small.status == Invoice.Status.PAID


def test_another_customers_invoice_non_members_and_a_switched_off_programme_are_refused(
    member, invoice, rep, programme
):
    stranger = CustomerFactory(owner=rep)
    before = counts()
    with pytest.raises(ValidationError, match="not the customer's"):
        points_redeem(customer=stranger, invoice=invoice, points=10, by=rep)
    stranger_invoice = invoice_for(make_order(stranger, [("50000", None)]), by=rep)
    with pytest.raises(ValidationError, match="not a member"):
        points_redeem(customer=stranger, invoice=stranger_invoice, points=10, by=rep)
    programme.is_active = False
    programme.save()
    with pytest.raises(ValidationError, match="switched off"):
        points_redeem(customer=member, invoice=invoice, points=10, by=rep)
    assert counts() == before


def test_two_redemptions_one_after_the_other_cannot_overspend(member, invoice, rep):
    points_redeem(customer=member, invoice=invoice, points=60, by=rep)
    with pytest.raises(ValidationError, match="only 40 points"):
        points_redeem(customer=member, invoice=invoice, points=60, by=rep)
    assert points_balance(member) == 40
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.REDEEM).count() == 1


def test_the_service_offers_no_way_to_edit_or_delete_an_entry():
    names = [name for name in dir(services) if callable(getattr(services, name)) and not name.startswith("_")]
    assert not [
        name for name in names if "entry" in name and any(verb in name for verb in ("update", "edit", "delete"))
    ]
    assert not [name for name in names if name.startswith("points_") and name.endswith(("_update", "_delete"))]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks; the sequential test covers it")
def test_two_concurrent_redemptions_cannot_overspend(programme, rep, manager):
    customer = CustomerFactory(owner=rep, team=rep.team)
    points_adjust(customer=customer, points=100, note="Opening balance", by=manager)
    invoice = invoice_for(make_order(customer, [("50000", None)]), by=rep)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem():
        try:
            barrier.wait()
            points_redeem(customer=customer, invoice=invoice, points=60, by=rep)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok", "refused"]
    assert points_balance(customer) == 40
    assert Payment.objects.filter(invoice=invoice, method=Payment.Method.POINTS).count() == 1
    assert LoyaltyAccount.objects.filter(customer=customer).count() == 1


def test_points_past_their_expiry_cannot_be_spent_before_the_nightly_job(programme, customer, rep):
    """100 adjusted points (which never expire) and 50 earned points whose date has passed: only
    the 100 are spendable, although the expiry job has not written the 50 off yet."""
    account = LoyaltyAccount.objects.create(customer=customer, joined_at=timezone.now())
    PointsEntry.objects.create(
        account=account, kind=PointsEntry.Kind.ADJUST, points=100, created_at=timezone.now(), key="test:adjust"
    )
    PointsEntry.objects.create(
        account=account,
        kind=PointsEntry.Kind.EARN,
        points=50,
        created_at=timezone.now() - timedelta(days=400),
        expires_at=timezone.now() - timedelta(days=1),
        key="test:old-earning",
    )
    invoice = invoice_for(make_order(customer, [("50000", None)]), by=rep)
    before = counts()
    with pytest.raises(ValidationError, match="only 100 points"):
        points_redeem(customer=customer, invoice=invoice, points=120, by=rep)
    assert counts() == before
    points_redeem(customer=customer, invoice=invoice, points=100, by=rep)
