"""Listener: automation rules react to the customer events other apps announce.

The event arrives after the announcing transaction committed; it is handed to the Celery task
``marketing.automation_handle_event`` so that the rules run in a worker, not in the request. Only
events some active rule listens to are queued (an order paid also serves first-purchase rules).

If the broker cannot be reached the event is logged and dropped: the daily job re-derives only
the date-based and segment events (birthdays, no purchase, entered/left a segment), not announced
ones such as an order paid or a ticket closed.
"""

import logging

from django.db import transaction
from django.dispatch import receiver

from crm_site.events import CustomerEvent, Event, customer_event
from marketing.models import AutomationRule

logger = logging.getLogger(__name__)


def _listened_events(event: str) -> list[str]:
    return [event, Event.FIRST_PURCHASE] if event == Event.ORDER_PAID else [event]


@receiver(customer_event, dispatch_uid="marketing.automation")
def on_customer_event(sender, event: CustomerEvent, **kwargs) -> None:
    if not AutomationRule.objects.filter(is_active=True, event__in=_listened_events(event.event)).exists():
        return
    transaction.on_commit(lambda: _queue(event))


def _queue(event: CustomerEvent) -> None:
    from marketing.tasks.automation import event_to_json, handle_event

    try:
        handle_event.delay(event_to_json(event))
    except Exception:
        # Never into the request that announced the event (see the module's note on what is lost).
        logger.exception("Could not queue the automation rules for %s (%s)", event.event, event.key)
