"""The campaigns part of seed_demo: past campaigns with runs, recipients, a control group and
outbox rows, attributed orders, one waiting for approval and one paused; in bulk."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_site import demo as crm_demo
from crm_site.models import OutboxMessage
from customers import demo as customers_demo
from marketing.demo import campaigns as campaigns_demo
from marketing.models import Campaign, CampaignRecipient, CampaignRun
from marketing.selectors.campaigns import campaign_figures
from sales import demo as sales_demo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon():
    # Overrides the package's clock: the sales demo dates its orders from "today".
    with time_machine.travel(datetime(2025, 5, 20, 7, 30, tzinfo=UTC), tick=False):
        yield


def test_the_demo_campaigns(monkeypatch):
    ctx = crm_demo.DemoContext(seed=3, customers=150)
    crm_demo.seed(ctx)
    customers_demo.seed(ctx)
    sales_demo.seed(ctx)
    monkeypatch.setattr(campaigns_demo, "AUDIENCE_CAP", 120)
    with CaptureQueriesContext(connection) as queries:
        campaigns_demo.seed(ctx)
    assert len(queries) < 150  # bulk: no query per recipient
    statuses = dict(Campaign.objects.values_list("name", "status"))
    assert statuses["Nowruz sale"] == Campaign.Status.SENT
    assert statuses["Summer preview"] == Campaign.Status.PENDING_APPROVAL
    assert statuses["Loyalty double points week"] == Campaign.Status.PAUSED
    newsletter = Campaign.objects.get(name="Monthly newsletter")
    assert newsletter.status == Campaign.Status.SCHEDULED and newsletter.runs.count() == 3
    assert newsletter.next_run_at is not None
    assert CampaignRecipient.objects.filter(status=CampaignRecipient.Status.HOLDOUT).exists()
    assert CampaignRecipient.objects.filter(status=CampaignRecipient.Status.PENDING).exists()  # the paused one
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).exists()
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).exists()
    assert CampaignRun.objects.filter(status=CampaignRun.Status.PAUSED).count() == 1
    conversions = sum(campaign_figures(campaign)["conversions"] for campaign in Campaign.objects.all())
    assert conversions > 0
    assert "Campaigns: 5" in "\n".join(ctx.summary)


def test_demo_messages_reach_only_customers_who_existed_then(monkeypatch):
    ctx = crm_demo.DemoContext(seed=5, customers=120)
    crm_demo.seed(ctx)
    customers_demo.seed(ctx)
    sales_demo.seed(ctx)
    campaigns_demo.seed(ctx)
    recipients = CampaignRecipient.objects.select_related("customer", "run")
    assert recipients.exists()
    assert all(recipient.customer.created_at < recipient.run.started_at for recipient in recipients)
