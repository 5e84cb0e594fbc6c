"""Jobs: automation.

``marketing.automation_handle_event`` runs the rules of one announced event (queued by the
listener in marketing/listeners/automation.py); ``marketing.automation_daily`` (beat, daily at
08:00 Asia/Tehran) fires the birthday, no-purchase and segment entered/left rules. Both are safe
to run twice: each (rule, occurrence) fires once.
"""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from crm_site.events import CustomerEvent
from marketing.services.automation import automation_handle_event, automation_run_daily


def event_to_json(event: CustomerEvent) -> dict:
    return {
        "event": event.event,
        "key": event.key,
        "occurred_at": event.occurred_at.isoformat(),
        "customer_id": event.customer_id,
        "source_model": event.source_model,
        "source_id": event.source_id,
        "data": event.data,
    }


def event_from_json(payload: dict) -> CustomerEvent:
    return CustomerEvent(
        event=payload["event"],
        key=payload["key"],
        occurred_at=parse_datetime(payload["occurred_at"]),
        customer_id=payload.get("customer_id"),
        source_model=payload.get("source_model", ""),
        source_id=payload.get("source_id", ""),
        data=payload.get("data") or {},
    )


@shared_task(name="marketing.automation_handle_event")
def handle_event(payload: dict) -> int:
    """Fire the automation rules of one announced event; returns how many fired."""
    return len(automation_handle_event(event_from_json(payload)))


@shared_task(name="marketing.automation_daily")
def automation_daily() -> dict:
    """Daily (beat, 08:00 Asia/Tehran): birthdays, no purchase for N days, segment entered/left."""
    return automation_run_daily()
