"""Listener: a paid order earns loyalty points. The work is queued as a Celery task after the
payment's transaction commits (crm_site.events sends the signal then), so paying never waits
for, or fails because of, the loyalty programme; the task credits each order once."""

import logging

from django.dispatch import receiver

from crm_site.events import CustomerEvent, Event, customer_event

logger = logging.getLogger(__name__)


@receiver(customer_event, dispatch_uid="marketing.loyalty.order_paid")
def order_paid(sender, event: CustomerEvent, **kwargs) -> None:
    if event.event != Event.ORDER_PAID or event.source_model != "sales.order" or not event.source_id:
        return
    from marketing.tasks.loyalty import loyalty_earn_for_order

    loyalty_earn_for_order.delay(order_id=int(event.source_id))
