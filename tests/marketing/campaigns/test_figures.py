"""Monitoring and ROI: the attribution window's edges, responses, and the arithmetic of cost,
ROI and the control group, against figures computed by hand; a constant number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_site.models import OutboxMessage, Purpose
from marketing.models import Campaign, CampaignRecipient, CampaignRun
from marketing.selectors.campaigns import (
    campaign_chart,
    campaign_figures,
    campaigns_list_figures,
    campaigns_roi_summary,
)
from sales.models import Lead, Order, SurveyInvitation
from tests.sales.factories import LeadFactory, OrderFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db
Status = CampaignRecipient.Status
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def sent_campaign(approved, make_customers):
    """A campaign sent 40 days ago (30-day window) to four customers, with two kept back and one
    without consent; its outbox rows built by hand so every figure is known."""
    campaign = approved(cost_per_message=1000, fixed_cost=5000, holdout_percent=30)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT)
    sent_at = timezone.now() - 40 * DAY
    run = CampaignRun.objects.create(campaign=campaign, status=CampaignRun.Status.DONE, started_at=sent_at)
    people = dict(zip(["m1", "m2", "m3", "m4", "c1", "c2", "n1"], make_customers(7), strict=True))
    outcomes = {"m1": "sent", "m2": "sent", "m3": "sent", "m4": "failed"}
    for name, customer in people.items():
        outbox = None
        if name in outcomes:
            outbox = OutboxMessage.objects.create(
                channel="sms",
                purpose=Purpose.MARKETING,
                recipient=customer.phone,
                body="Hi",
                idempotency_key=f"campaign:{run.pk}:{customer.pk}",
                status=outcomes[name],
                next_attempt_at=sent_at,
            )
        status = Status.QUEUED if outbox else Status.HOLDOUT if name.startswith("c") else Status.NO_CONSENT
        CampaignRecipient.objects.create(
            run=run,
            campaign=campaign,
            customer=customer,
            status=status,
            address=customer.phone if outbox else "",
            outbox_message=outbox,
            processed_at=sent_at,
            attribution_ends_at=sent_at + 30 * DAY if status != Status.NO_CONSENT else None,
        )
    campaign.refresh_from_db()
    return campaign, people, sent_at


def order(customer, at, total, cost, status=Order.Status.CONFIRMED):
    return OrderFactory(customer=customer, ordered_at=at, total=Decimal(total), cost_total=Decimal(cost), status=status)


@pytest.fixture
def orders(sent_campaign):
    _campaign, people, t0 = sent_campaign
    made = {
        "m1_first": order(people["m1"], t0 + DAY, 100000, 60000),
        "m1_last_moment": order(people["m1"], t0 + 30 * DAY, 50000, 20000),  # the window's last moment counts
        "m2_too_late": order(people["m2"], t0 + 30 * DAY + SECOND, 999999, 0),
        "m3_too_early": order(people["m3"], t0 - SECOND, 777777, 0),
        "m3_draft": order(people["m3"], t0 + 2 * DAY, 555555, 0, status=Order.Status.DRAFT),
        "m3_cancelled": order(people["m3"], t0 + 2 * DAY, 444444, 0, status=Order.Status.CANCELLED),
        "m4": order(people["m4"], t0 + 5 * DAY, 30000, 10000),
        "c1": order(people["c1"], t0 + 3 * DAY, 40000, 30000),
        "n1": order(people["n1"], t0 + 3 * DAY, 88888, 0),
    }
    return made


def test_the_figures_and_roi_match_the_hand_computation(sent_campaign, orders):
    campaign, _people, _t0 = sent_campaign
    figures = campaign_figures(campaign)
    assert (figures["recipients"], figures["control"], figures["sent"]) == (5, 2, 4)
    assert (figures["delivered"], figures["failed"], figures["no_consent"]) == (3, 1, 1)
    # m1 (two orders, the second on the window's last moment) and m4 converted; m2 too late,
    # m3 only before the message or with a draft / cancelled order; n1 was never messaged.
    assert figures["conversions"] == 2 and figures["orders"] == 3
    assert figures["revenue"] == Decimal("180000.00")
    assert figures["profit"] == Decimal("90000.00")  # 180,000 − (60,000 + 20,000 + 10,000)
    assert figures["cost"] == Decimal("9000.00")  # 4 sent × 1,000 + 5,000
    assert figures["roi"] == Decimal("9.0000")  # (90,000 − 9,000) / 9,000
    assert figures["cost_per_conversion"] == Decimal("4500.00")
    assert figures["conversion_rate"] == Decimal("0.5000")
    control = figures["control_group"]
    # Control: 2 customers, c1 converted with 40,000 (profit 10,000).
    assert control["conversion_rate_messaged"] == Decimal("0.5000")
    assert control["conversion_rate_control"] == Decimal("0.5000")
    assert control["uplift"] == Decimal("0.0000")
    assert control["incremental_conversions"] == Decimal("0.00")
    assert control["revenue_per_customer_messaged"] == Decimal("45000.00")  # 180,000 / 4
    assert control["revenue_per_customer_control"] == Decimal("20000.00")  # 40,000 / 2
    assert control["incremental_revenue"] == Decimal("100000.00")  # (45,000 − 20,000) × 4
    assert control["incremental_profit"] == Decimal("70000.00")  # (22,500 − 5,000) × 4
    assert control["incremental_roi"] == Decimal("6.7778")  # (70,000 − 9,000) / 9,000


def test_an_uplift_in_conversions(sent_campaign, orders):
    campaign, people, t0 = sent_campaign
    order(people["m2"], t0 + 10 * DAY, 10000, 5000)
    control = campaign_figures(campaign)["control_group"]
    assert control["conversion_rate_messaged"] == Decimal("0.7500")
    assert control["uplift"] == Decimal("0.2500")
    assert control["incremental_conversions"] == Decimal("1.00")  # 0.25 × 4


def test_responses_within_the_window(sent_campaign, orders):
    campaign, people, t0 = sent_campaign

    def lead(at, **fields):
        made = LeadFactory(phone=fields.pop("phone", ""), **fields)
        Lead.objects.filter(pk=made.pk).update(created_at=at)

    lead(t0 + 2 * DAY, campaign=campaign.tracking_code)
    lead(t0 + 3 * DAY, phone=people["m2"].phone)
    lead(t0 + 31 * DAY, phone=people["m2"].phone)  # after the window
    lead(t0 + 3 * DAY, phone=people["c1"].phone)  # the control group was not messaged
    TicketFactory(customer=people["m3"], created_at=t0 + DAY)
    TicketFactory(customer=people["c1"], created_at=t0 + DAY)
    SurveyInvitation.objects.create(
        order=orders["m1_first"], customer=people["m1"], token="t1", answered_at=t0 + 4 * DAY, score=5
    )
    SurveyInvitation.objects.create(order=orders["m4"], customer=people["m4"], token="t2")  # not answered
    figures = campaign_figures(campaign)
    assert (figures["leads"], figures["tickets"], figures["surveys"]) == (2, 1, 1)
    assert figures["responses"] == 4


def test_the_list_and_the_summary_agree_with_the_detail(sent_campaign, orders):
    campaign, _people, _t0 = sent_campaign
    listed = campaigns_list_figures([campaign.pk])[campaign.pk]
    assert listed == {"recipients": 5, "sent": 4, "delivered": 3, "opted_out": 0, "conversions": 2}
    summary = campaigns_roi_summary()
    assert summary["sent"] == 4 and summary["conversions"] == 2
    assert summary["revenue"] == Decimal("180000.00") and summary["cost"] == Decimal("9000.00")
    assert summary["roi"] == Decimal("9.0000")
    assert campaigns_roi_summary(since=timezone.now() + DAY)["sent"] == 0


def test_the_chart_is_cumulative_revenue_per_customer(sent_campaign, orders):
    campaign, _people, _t0 = sent_campaign
    chart = campaign_chart(campaign, figures=campaign_figures(campaign))
    assert len(chart["labels"]) == 31
    assert chart["messaged"][-1] == "45000.00" and chart["control"][-1] == "20000.00"
    assert chart["messaged"][0] == "0.00"


@pytest.mark.parametrize("extra", [0, 20])
def test_the_figures_take_a_constant_number_of_queries(sent_campaign, orders, make_customers, extra):
    campaign, _people, t0 = sent_campaign
    run = campaign.runs.get()
    for customer in make_customers(extra):
        CampaignRecipient.objects.create(
            run=run,
            campaign=campaign,
            customer=customer,
            status=Status.HOLDOUT,
            processed_at=t0,
            attribution_ends_at=t0 + 30 * DAY,
        )
        order(customer, t0 + DAY, 1000, 500)
    with CaptureQueriesContext(connection) as queries:
        campaign_figures(campaign)
    assert len(queries) == 6
