"""Tiers: members move up after an earning and down when their earnings leave the tier window,
with the LOYALTY_TIER_CHANGED event, a timeline entry and (with consent) an SMS."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm_site.events import Event, customer_event
from crm_site.models import OutboxMessage, Purpose
from customers.models import Interaction
from marketing.models import LoyaltyAccount
from marketing.services.loyalty import tiers_refresh
from marketing.tasks.loyalty import loyalty_refresh_tiers
from tests.factories import CustomerFactory
from tests.marketing.loyalty.conftest import make_order, pay_in_full

pytestmark = pytest.mark.django_db
TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def events():
    seen = []

    def listen(sender, event, **kwargs):
        if event.event == Event.LOYALTY_TIER_CHANGED:
            seen.append(event)

    customer_event.connect(listen, weak=False, dispatch_uid="test-loyalty-tier-events")
    yield seen
    customer_event.disconnect(dispatch_uid="test-loyalty-tier-events")


def buy(customer, amount, *, by, capture):
    order = make_order(customer, [(amount, None)])
    with capture(execute=True):
        pay_in_full(order, by=by)
    return order


def test_promotion_after_an_earning_and_demotion_when_earnings_age_out(
    programme, tiers, customer, rep, events, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime(2025, 3, 1, 10, tzinfo=TEHRAN), tick=False):
        buy(customer, "1200000", by=rep, capture=django_capture_on_commit_callbacks)  # 120 points
    account = LoyaltyAccount.objects.get(customer=customer)
    assert account.tier == tiers["Silver"]
    entry = account.entries.get()
    [event] = events
    assert event.key == f"tier:{account.pk}:{entry.pk}"
    assert event.customer_id == customer.pk
    assert event.data == {"old": "", "new": "Silver"}
    sms = OutboxMessage.objects.get(idempotency_key=f"loyalty-tier:{account.pk}:{entry.pk}")
    assert sms.purpose == Purpose.MARKETING
    assert sms.recipient == customer.phone
    assert sms.body == "Sara, you are now Silver. Points: 120."
    assert Interaction.objects.filter(
        customer=customer, kind=Interaction.Kind.SYSTEM, subject__contains="Silver"
    ).exists()

    events.clear()
    with time_machine.travel(datetime(2025, 9, 1, 10, tzinfo=TEHRAN), tick=False):
        assert tiers_refresh() == 0  # still inside the window: no change, nothing sent
    with (
        time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=TEHRAN), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert loyalty_refresh_tiers.delay().get() == 1
        assert loyalty_refresh_tiers.delay().get() == 0  # run twice: nothing more
    account.refresh_from_db()
    assert account.tier == tiers["Bronze"]
    [event] = events
    assert event.key == f"tier:{account.pk}:2026-03-02"
    assert event.data == {"old": "Silver", "new": "Bronze"}
    assert OutboxMessage.objects.filter(idempotency_key=f"loyalty-tier:{account.pk}:2026-03-02").exists()
    assert OutboxMessage.objects.count() == 2


def test_no_sms_without_consent_but_the_change_is_announced(
    programme, tiers, rep, events, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(owner=rep, phones=["+989121111111"], sms_consent=False)
    buy(customer, "6000000", by=rep, capture=django_capture_on_commit_callbacks)  # 600 points: Gold

    assert LoyaltyAccount.objects.get(customer=customer).tier == tiers["Gold"]
    assert [event.data["new"] for event in events] == ["Gold"]
    assert not OutboxMessage.objects.exists()


def test_a_higher_tier_earns_more(programme, tiers, customer, rep, django_capture_on_commit_callbacks):
    buy(customer, "5000000", by=rep, capture=django_capture_on_commit_callbacks)  # 500: Gold
    order = buy(customer, "100000", by=rep, capture=django_capture_on_commit_callbacks)
    assert LoyaltyAccount.objects.get(customer=customer).entries.get(order=order).points == 15  # 10 × 1.5


def test_the_tier_sms_fills_each_placeholder_once(programme, tiers, customer, rep, django_capture_on_commit_callbacks):
    """A value that looks like a placeholder (a first name typed as "{points}") stays as it is."""
    type(customer).objects.filter(pk=customer.pk).update(first_name="{points}")
    customer.refresh_from_db()
    buy(customer, "1200000", by=rep, capture=django_capture_on_commit_callbacks)
    sms = OutboxMessage.objects.get(idempotency_key__startswith="loyalty-tier:")
    assert sms.body == "{points}, you are now Silver. Points: 120."
