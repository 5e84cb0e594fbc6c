"""Writes of the plumbing: staff notifications and worker heartbeats."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm_site.models import DataJob, Heartbeat, Notification, User

# An import or export still queued or running this long after it was created lost its worker.
STALE_JOB_AFTER = timedelta(hours=2)


def notification_create(
    *, recipient: User, title: str, body: str = "", url: str = "", dedupe_key: str | None = None
) -> Notification:
    """Tell a member of staff something in the app. With ``dedupe_key``, telling them twice
    about the same event (a job that ran twice) leaves one notification."""
    if dedupe_key:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    notification = Notification(
        recipient=recipient, title=title[:200], body=body, url=url[:300], dedupe_key=dedupe_key or None
    )
    notification.full_clean(exclude=["dedupe_key"])
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return Notification.objects.get(dedupe_key=dedupe_key)
    return notification


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read (all of them, or those in ``ids``)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def heartbeat_record(*, source: str = "worker") -> Heartbeat:
    heartbeat, _created = Heartbeat.objects.update_or_create(source=source, defaults={"beat_at": timezone.now()})
    return heartbeat


def datajobs_fail_stale() -> int:
    """Mark imports and exports whose worker died as failed, so their pages stop waiting."""
    return DataJob.objects.filter(
        status__in=[DataJob.Status.QUEUED, DataJob.Status.RUNNING], created_at__lt=timezone.now() - STALE_JOB_AFTER
    ).update(
        status=DataJob.Status.FAILED,
        error=_("The job was interrupted (its worker stopped). Please start it again."),
        finished_at=timezone.now(),
    )
