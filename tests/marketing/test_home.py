"""The marketing home page: who may open it, what it shows, and its constant query count."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm_site.models import Channel, OutboxMessage
from marketing.models import (
    AutomationRule,
    Campaign,
    CampaignRecipient,
    CampaignRun,
    LoyaltyAccount,
    LoyaltyTier,
    PointsEntry,
    Segment,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
URL = reverse("marketing:index")


def sent_campaign(owner, name: str, *, messaged: int, opted_out: int = 0) -> Campaign:
    now = timezone.now()
    campaign = Campaign.objects.create(
        name=name, owner=owner, status=Campaign.Status.SENT, started_at=now, finished_at=now, body="Hi {first_name}"
    )
    run = CampaignRun.objects.create(campaign=campaign, started_at=now, finished_at=now, status=CampaignRun.Status.DONE)
    for number in range(messaged):
        customer = CustomerFactory()
        message = OutboxMessage.objects.create(
            channel=Channel.SMS,
            recipient=f"+98912{campaign.pk:03d}{number:04d}",
            body="Hi",
            idempotency_key=f"campaign:{run.pk}:{customer.pk}",
            status=OutboxMessage.Status.SENT,
            next_attempt_at=now,
        )
        CampaignRecipient.objects.create(
            run=run,
            campaign=campaign,
            customer=customer,
            status=CampaignRecipient.Status.QUEUED,
            outbox_message=message,
            processed_at=now,
            opted_out_at=now if number < opted_out else None,
        )
    return campaign


def member(tier: LoyaltyTier | None, points: int) -> None:
    account = LoyaltyAccount.objects.create(customer=CustomerFactory(), tier=tier, joined_at=timezone.now())
    PointsEntry.objects.create(
        account=account, kind=PointsEntry.Kind.EARN, points=points, created_at=timezone.now(), key=f"t:{account.pk}"
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("marketer", 200), ("rep", 403), ("agent", 403), ("contractor", 403)],
)
def test_who_may_open_the_marketing_home(persona, status, personas, client_for):
    assert client_for(personas[persona]).get(URL).status_code == status


def test_an_empty_install_shows_its_empty_states(client_for, marketer):
    page = client_for(marketer).get(URL).content.decode()
    assert "No campaigns at work" in page
    assert "No segments yet" in page
    assert "No members yet" in page


def test_the_home_shows_campaigns_segments_opt_outs_loyalty_and_approvals(client_for, manager, marketer):
    sent_campaign(marketer, "Spring sale", messaged=4, opted_out=1)
    Campaign.objects.create(name="Waiting", owner=marketer, status=Campaign.Status.PENDING_APPROVAL)
    Segment.objects.create(name="Tehran buyers", last_count=1234, last_counted_at=timezone.now())
    gold = LoyaltyTier.objects.create(name="Gold", threshold=100)
    member(gold, 150)
    member(None, 20)
    AutomationRule.objects.create(name="Welcome", event="customer_created", actions=[])

    response = client_for(manager).get(URL)
    page = response.content.decode()
    home = response.context["home"]
    assert [row.campaign.name for row in home["campaigns"]] == ["Spring sale"]
    assert home["campaigns"][0].figures["sent"] == 4
    assert home["roi"]["opted_out"] == 1 and "25.0%" in page  # 1 of 4 messaged opted out
    assert "Tehran buyers" in page and "1,234" in page
    assert home["loyalty"]["members"] == 2 and home["loyalty"]["points_outstanding"] == 170
    # 170 points at the default value of a point.
    assert home["loyalty"]["liability"] == Decimal(170) * home["loyalty"]["point_value"]
    assert home["awaiting_approval"] == 1 and 'data-testid="awaiting-approval"' in page
    assert home["automation"]["active"] == 1
    assert home["chart"]["tiers"]["labels"] == ["No tier yet", "Gold"]


def test_marketing_users_are_not_asked_to_approve(client_for, marketer):
    Campaign.objects.create(name="Waiting", owner=marketer, status=Campaign.Status.PENDING_APPROVAL)
    page = client_for(marketer).get(URL).content.decode()
    assert 'data-testid="awaiting-approval"' not in page


def test_the_home_costs_the_same_queries_with_more_data(client_for, marketer):
    client = client_for(marketer)
    sent_campaign(marketer, "One", messaged=1)
    Segment.objects.create(name="First", last_count=10)
    client.get(URL)  # the first visit creates the loyalty settings row
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    for number in range(4):
        sent_campaign(marketer, f"More {number}", messaged=3)
        Segment.objects.create(name=f"Segment {number}", last_count=number + 1)
        member(None, 5)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few)
