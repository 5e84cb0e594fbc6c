"""Background jobs of the plumbing. Thin: each calls one service and is safe to run twice."""

from celery import shared_task
from django.conf import settings

from crm_site.messaging.services import outbox_dispatch
from crm_site.services import datajobs_fail_stale, heartbeat_record


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Run every minute by beat; /healthz reads the time it last ran."""
    heartbeat_record(source="worker")


@shared_task(ignore_result=True)
def dispatch_outbox() -> dict:
    """Send due outbox messages in one bounded batch; queue another batch if this one was full."""
    result = outbox_dispatch(limit=settings.OUTBOX_BATCH_SIZE)
    if result.claimed >= settings.OUTBOX_BATCH_SIZE:
        dispatch_outbox.delay()
    return result.__dict__


@shared_task(ignore_result=True)
def sweep_stale_jobs() -> int:
    """Hourly: fail imports and exports left running by a worker that died."""
    return datajobs_fail_stale()
