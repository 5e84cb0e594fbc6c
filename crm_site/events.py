"""Customer events that apps announce and others react to (marketing's automation, loyalty).

Imports go one way (customers <- sales/service <- marketing), so an app low in the stack cannot
call marketing when an order is paid or a ticket closes. Instead its service announces the event
here and marketing, which imports everything, listens:

    announce(Event.ORDER_PAID, customer_id=order.customer_id, key=f"order:{order.pk}",
             source=order, amount=str(order.total))

The signal is sent after the surrounding transaction commits, so a listener never sees an event
whose data was rolled back, and a listener that fails cannot undo the write that announced it.
``key`` names the occurrence (the order, the ticket...): listeners use it to act once per
occurrence however many times an event is announced.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class Event(models.TextChoices):
    """Every event an app announces or marketing derives (date-based and segment events are
    produced by marketing's daily job, not announced by another app)."""

    CUSTOMER_CREATED = "customer_created", _("Customer created")
    BIRTHDAY = "birthday", _("Birthday")
    FIRST_PURCHASE = "first_purchase", _("First purchase")
    ORDER_PAID = "order_paid", _("Order paid")
    NO_PURCHASE = "no_purchase", _("No purchase for a number of days")
    SEGMENT_ENTERED = "segment_entered", _("Entered a segment")
    SEGMENT_LEFT = "segment_left", _("Left a segment")
    TICKET_CLOSED = "ticket_closed", _("Ticket closed")
    COMPLAINT_FILED = "complaint_filed", _("Complaint filed")
    SATISFACTION_ANSWERED = "satisfaction_answered", _("Satisfaction survey answered")
    LEAD_CREATED = "lead_created", _("Lead created")
    LOYALTY_TIER_CHANGED = "loyalty_tier_changed", _("Loyalty tier changed")


@dataclass(frozen=True)
class CustomerEvent:
    """What listeners receive. ``data`` holds plain JSON-able values (amounts as strings)."""

    event: str
    key: str
    occurred_at: datetime
    customer_id: int | None = None
    source_model: str = ""  # "app_label.model" of the record behind the event
    source_id: str = ""
    data: dict = field(default_factory=dict)


# Sent with ``event=CustomerEvent(...)``; receivers take ``(sender, event, **kwargs)``.
customer_event = Signal()


def announce(
    event: str,
    *,
    customer_id: int | None,
    key: str,
    source: models.Model | None = None,
    occurred_at: datetime | None = None,
    **data,
) -> None:
    """Announce ``event`` once the current transaction commits (at once outside one)."""
    payload = CustomerEvent(
        event=str(event),
        key=key,
        occurred_at=occurred_at or timezone.now(),
        customer_id=customer_id,
        source_model=source._meta.label_lower if source is not None else "",
        source_id=str(source.pk) if source is not None else "",
        data=data,
    )
    transaction.on_commit(lambda: _send(payload))


def _send(payload: CustomerEvent) -> None:
    # A listener's failure is logged, never raised into the request that announced the event:
    # the order is paid whether or not a loyalty rule could run.
    for receiver, response in customer_event.send_robust(sender=CustomerEvent, event=payload):
        if isinstance(response, Exception):
            logger.error(
                "Listener %r failed on %s (%s)",
                receiver,
                payload.event,
                payload.key,
                exc_info=(type(response), response, response.__traceback__),
            )
