"""The reminder job: each due reminder is sent exactly once, at the right time, by the chosen channels."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from crm_site.messaging import sms
from crm_site.messaging.services import outbox_dispatch
from crm_site.models import Channel, Notification, OutboxMessage
from sales.models import Activity
from sales.services import activities as services
from sales.services.activities import activity_cancel, activity_complete, activity_update, reminders_send_due
from sales.tasks.activities import send_due_reminders
from tests.factories import CustomerFactory
from tests.sales.factories import ActivityFactory

TEHRAN = ZoneInfo("Asia/Tehran")
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=TEHRAN)


def due_activity(user, *, remind_at=NOON, **kwargs) -> Activity:
    return ActivityFactory(
        assignee=user,
        customer=CustomerFactory(owner=user),
        due_at=remind_at + timedelta(minutes=30),
        remind_at=remind_at,
        **kwargs,
    )


@pytest.mark.django_db
def test_reminder_is_not_sent_before_its_time_and_is_sent_after(rep):
    activity = due_activity(rep)
    with time_machine.travel(NOON - timedelta(seconds=30), tick=False):
        assert reminders_send_due() == 0
    assert not Notification.objects.exists()
    with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
        assert reminders_send_due() == 1
    notification = Notification.objects.get()
    assert notification.recipient == rep
    assert activity.subject in notification.title
    assert notification.url == f"/sales/activities/{activity.pk}/"
    activity.refresh_from_db()
    assert activity.reminder_sent_at is not None


@pytest.mark.django_db
def test_double_run_sends_each_reminder_once(rep, rep2):
    rep.remind_by_email = rep.remind_by_sms = True
    rep.phone = "+989121234567"
    rep.save()
    for user in (rep, rep, rep2):
        due_activity(user)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        assert reminders_send_due() == 3
        assert reminders_send_due() == 0
        send_due_reminders.delay()  # the beat's task, run eagerly: nothing left to send
    assert Notification.objects.count() == 3
    # rep chose email and SMS for their two reminders; rep2 chose neither.
    assert OutboxMessage.objects.filter(channel=Channel.EMAIL).count() == 2
    assert OutboxMessage.objects.filter(channel=Channel.SMS).count() == 2
    outbox_dispatch()
    assert len(mail.outbox) == 2
    assert {message.to[0] for message in mail.outbox} == {rep.email}
    assert len(sms.sent) == 2


@pytest.mark.django_db
def test_two_overlapping_claims_share_nothing(rep):
    """Two workers: the second claims while the first has claimed but not yet delivered."""
    first_batch = [due_activity(rep) for _ in range(3)]
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        with transaction.atomic():
            claimed_first = services._claim_reminders(now=NOON + timedelta(minutes=1), limit=2)
            claimed_second = services._claim_reminders(now=NOON + timedelta(minutes=1), limit=10)
            services._deliver_reminders(claimed_first)
            services._deliver_reminders(claimed_second)
        assert reminders_send_due() == 0
    assert len(claimed_first) == 2 and len(claimed_second) == 1
    assert {a.pk for a in claimed_first} | {a.pk for a in claimed_second} == {a.pk for a in first_batch}
    assert Notification.objects.count() == 3


@pytest.mark.django_db
def test_delivering_the_same_reminder_twice_writes_one_notification_and_one_message(rep):
    rep.remind_by_email = True
    rep.save()
    activity = due_activity(rep)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        reminders_send_due()
        # A worker that crashed after its send and retried its batch: the keys collapse the repeat.
        services._deliver_reminders(list(Activity.objects.select_related("assignee").filter(pk=activity.pk)))
    assert Notification.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


@pytest.mark.django_db
def test_batches_loop_until_none_remain(rep):
    for _ in range(5):
        due_activity(rep)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        assert reminders_send_due(batch_size=2) == 5
    assert Notification.objects.count() == 5


@pytest.mark.django_db
def test_no_email_or_sms_unless_chosen(rep):
    rep.phone = "+989121234567"
    rep.save()
    due_activity(rep)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        reminders_send_due()
    outbox_dispatch()
    assert Notification.objects.count() == 1
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == [] and sms.sent == []


@pytest.mark.django_db
def test_sms_only_when_only_sms_is_chosen(rep):
    rep.remind_by_sms = True
    rep.phone = "+989121234567"
    rep.save()
    due_activity(rep)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        reminders_send_due()
    outbox_dispatch()
    assert mail.outbox == []
    assert len(sms.sent) == 1 and sms.sent[0].to == "+989121234567"


@pytest.mark.django_db
def test_cancelled_and_done_activities_are_not_reminded(rep):
    cancelled, done = due_activity(rep), due_activity(rep, kind=Activity.Kind.TASK)
    with time_machine.travel(NOON - timedelta(minutes=5), tick=False):
        activity_cancel(activity=cancelled, by=rep)
        activity_complete(activity=done, by=rep)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        assert reminders_send_due() == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_changing_the_reminder_time_rearms_a_sent_reminder(rep):
    activity = due_activity(rep)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        reminders_send_due()
        later = NOON + timedelta(minutes=20)
        activity_update(activity=activity, by=rep, remind_at=later)
        activity.refresh_from_db()
        assert activity.reminder_sent_at is None
        assert reminders_send_due() == 0  # not yet: the new time has not come
    with time_machine.travel(later + timedelta(seconds=1), tick=False):
        assert reminders_send_due() == 1
    assert Notification.objects.count() == 2


@pytest.mark.django_db
def test_editing_other_fields_does_not_rearm(rep):
    activity = due_activity(rep)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        reminders_send_due()
        activity_update(activity=activity, by=rep, subject="Renamed")
        assert reminders_send_due() == 0
    activity.refresh_from_db()
    assert activity.reminder_sent_at is not None
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_an_unusable_phone_does_not_hold_back_the_batch(rep, rep2):
    rep.remind_by_sms = True
    rep.phone = "12"
    rep.save()
    due_activity(rep), due_activity(rep2)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        assert reminders_send_due() == 2
    assert Notification.objects.count() == 2
    assert not OutboxMessage.objects.exists()


def test_the_beat_schedule_names_the_task():
    assert send_due_reminders.name == "sales.send_due_reminders"


@pytest.mark.django_db
def test_admin_lists_activities(client_for, admin, rep):
    due_activity(rep)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    assert client_for(admin).get("/admin/sales/activity/").status_code == 200
