"""A campaign's life: drafting and its checks, approval by a manager (never one's own),
scheduling, pause, resume and cancel, each refused from the wrong state; bad input writes nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketing.models import Campaign, CampaignRun
from marketing.services import campaigns as services
from marketing.services.campaign_sending import campaigns_run_due
from tests.marketing.campaigns.conftest import approve, plan

pytestmark = pytest.mark.django_db


def test_a_new_campaign_is_a_draft_with_a_tracking_code(marketer, everyone):
    campaign = plan(marketer, [everyone])
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.tracking_code == f"cmp{campaign.pk}"
    assert list(campaign.segments.all()) == [everyone]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "Hi {nickname}"}, "body"),
        ({"channel": Campaign.Channel.EMAIL, "subject": ""}, "subject"),
        ({"schedule": Campaign.Schedule.AT}, "scheduled_at"),
        ({"schedule": Campaign.Schedule.RECURRING, "scheduled_at": timezone.now()}, "repeat_every_days"),
        ({"holdout_percent": 80}, "holdout_percent"),
        ({"cost_per_message": -1}, "cost_per_message"),
    ],
)
def test_bad_plans_are_refused_and_write_nothing(marketer, everyone, fields, field):
    with pytest.raises(ValidationError) as error:
        plan(marketer, [everyone], **fields)
    assert field in error.value.message_dict
    assert not Campaign.objects.exists()


def test_no_segment_or_a_segment_both_targeted_and_excluded_is_refused(marketer, everyone):
    with pytest.raises(ValidationError, match="at least one segment"):
        plan(marketer, [])
    with pytest.raises(ValidationError, match="both a target and an exclusion"):
        plan(marketer, [everyone], excluded_segments=[everyone])
    assert not Campaign.objects.exists()


def test_only_a_draft_can_be_edited(marketer, manager, everyone):
    campaign = plan(marketer, [everyone])
    services.campaign_update(campaign=campaign, by=marketer, name="Renamed")
    assert Campaign.objects.get().name == "Renamed"
    services.campaign_submit(campaign=campaign, by=marketer)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.campaign_update(campaign=campaign, by=marketer, name="Again")
    assert Campaign.objects.get().name == "Renamed"


@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_managers_and_admins_approve(persona, personas, everyone):
    campaign = plan(personas["marketer"], [everyone])
    approved = approve(campaign, approver=personas[persona])
    assert approved.status == Campaign.Status.SCHEDULED
    assert approved.approved_by == personas[persona]
    assert approved.next_run_at is not None


@pytest.mark.parametrize("persona", ["marketer", "rep"])
def test_other_roles_cannot_approve(persona, personas, everyone, marketer):
    campaign = plan(marketer, [everyone])
    services.campaign_submit(campaign=campaign, by=marketer)
    with pytest.raises(ValidationError, match="Only a manager"):
        services.campaign_approve(campaign=campaign, by=personas[persona])
    assert Campaign.objects.get().status == Campaign.Status.PENDING_APPROVAL


def test_nobody_approves_their_own_campaign(manager, everyone):
    campaign = plan(manager, [everyone])
    services.campaign_submit(campaign=campaign, by=manager)
    with pytest.raises(ValidationError, match="your own"):
        services.campaign_approve(campaign=campaign, by=manager)
    assert Campaign.objects.get().status == Campaign.Status.PENDING_APPROVAL


def test_a_rejected_campaign_goes_back_to_draft_with_the_note(marketer, manager, everyone):
    campaign = plan(marketer, [everyone])
    services.campaign_submit(campaign=campaign, by=marketer)
    with pytest.raises(ValidationError):
        services.campaign_reject(campaign=campaign, by=manager, note=" ")
    services.campaign_reject(campaign=campaign, by=manager, note="Shorter text, please")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT and campaign.rejection_note == "Shorter text, please"
    services.campaign_update(campaign=campaign, by=marketer, body="Hi {first_name}")


def test_a_draft_cannot_be_approved_nor_a_sent_campaign_paused(marketer, manager, everyone):
    campaign = plan(marketer, [everyone])
    with pytest.raises(ValidationError, match="cannot be approved"):
        services.campaign_approve(campaign=campaign, by=manager)
    with pytest.raises(ValidationError, match="cannot be paused"):
        services.campaign_pause(campaign=campaign, by=marketer)
    with pytest.raises(ValidationError, match="cannot be resumed"):
        services.campaign_resume(campaign=campaign, by=marketer)


def test_a_send_time_in_the_past_cannot_be_submitted(marketer, everyone):
    campaign = plan(
        marketer, [everyone], schedule=Campaign.Schedule.AT, scheduled_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with pytest.raises(ValidationError, match="passed"):
        services.campaign_submit(campaign=campaign, by=marketer)
    assert Campaign.objects.get().status == Campaign.Status.DRAFT


def test_a_campaign_set_for_later_waits_for_its_time(marketer, manager, everyone, make_customers, _noon):
    make_customers(2)
    at = timezone.now() + datetime.timedelta(hours=3)
    campaign = approve(plan(marketer, [everyone], schedule=Campaign.Schedule.AT, scheduled_at=at), approver=manager)
    assert campaign.next_run_at == at
    assert campaigns_run_due()["started"] == 0
    _noon.shift(datetime.timedelta(hours=3, minutes=1))
    assert campaigns_run_due()["started"] == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_a_recurring_campaign_runs_every_n_days_until_its_end(marketer, manager, everyone, make_customers, _noon):
    make_customers(1)
    start = timezone.now() + datetime.timedelta(minutes=5)
    campaign = approve(
        plan(
            marketer,
            [everyone],
            schedule=Campaign.Schedule.RECURRING,
            scheduled_at=start,
            repeat_every_days=7,
            repeat_until=start + datetime.timedelta(days=15),
        ),
        approver=manager,
    )
    runs = []
    for _week in range(4):
        _noon.shift(datetime.timedelta(minutes=10))
        campaigns_run_due()
        campaign.refresh_from_db()
        runs.append((campaign.status, CampaignRun.objects.filter(campaign=campaign).count()))
        _noon.shift(datetime.timedelta(days=7) - datetime.timedelta(minutes=10))
    assert runs == [
        (Campaign.Status.SCHEDULED, 1),
        (Campaign.Status.SCHEDULED, 2),
        (Campaign.Status.SENT, 3),
        (Campaign.Status.SENT, 3),
    ]


def test_cancel_stops_what_is_left(approved, marketer):
    campaign = approved()
    services.campaign_cancel(campaign=campaign, by=marketer)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED and campaign.next_run_at is None
    assert campaigns_run_due()["started"] == 0
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        services.campaign_cancel(campaign=campaign, by=marketer)


def test_pausing_a_scheduled_campaign_and_resuming_it(approved, marketer):
    campaign = approved()
    services.campaign_pause(campaign=campaign, by=marketer)
    assert campaigns_run_due()["started"] == 0
    services.campaign_resume(campaign=campaign, by=marketer)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
