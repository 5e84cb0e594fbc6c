"""Campaign test fixtures: a clock at noon (outside quiet hours), segments, customers who may be
messaged, and helpers that take a campaign through its approval."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from marketing.models import Campaign, Segment
from marketing.services import campaigns as services
from tests.factories import CustomerFactory

TEHRAN = ZoneInfo("Asia/Tehran")
NOON = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=TEHRAN)


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=True) as traveller:
        yield traveller


@pytest.fixture
def everyone(db):
    """A rule segment without conditions: every customer."""
    return Segment.objects.create(name="Everyone", kind=Segment.Kind.RULE, rules={})


@pytest.fixture
def make_customers(db):
    """``make_customers(n, **fields)``: customers with a mobile number and SMS consent."""
    counter = iter(range(1000, 999_999))

    def make(count: int = 1, *, consent: bool = True, phone: bool = True, **fields):
        made = []
        for _ in range(count):
            number = f"+98912{next(counter):07d}"
            made.append(
                CustomerFactory(
                    phones=[number] if phone else None,
                    sms_consent=consent,
                    email_consent=consent,
                    email=f"c{number[-7:]}@example.com",
                    **fields,
                )
            )
        return made

    return make


def plan(owner, segments, **fields) -> Campaign:
    defaults = {
        "name": "Spring sale",
        "channel": Campaign.Channel.SMS,
        "body": "Hello {first_name}, 20% off this week. {opt_out}",
        "schedule": Campaign.Schedule.NOW,
        "cost_per_message": 100,
        "fixed_cost": 0,
        "holdout_percent": 0,
        "attribution_days": 30,
    }
    return services.campaign_create(owner=owner, segments=segments, **{**defaults, **fields})


def approve(campaign: Campaign, *, approver) -> Campaign:
    services.campaign_submit(campaign=campaign, by=campaign.owner)
    return services.campaign_approve(campaign=campaign, by=approver)


@pytest.fixture
def approved(marketer, manager, everyone):
    """``approved(**fields)``: a campaign by the marketer to everyone, approved by the manager."""

    def make(segments=None, **fields):
        return approve(plan(marketer, segments or [everyone], **fields), approver=manager)

    return make
