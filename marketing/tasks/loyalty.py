"""Jobs of the loyalty programme: credit a paid order's points, expire points whose time has
come, and move members between tiers. Each is idempotent and calls a service.

Schedules (django-celery-beat): ``marketing.loyalty_expire_points`` and
``marketing.loyalty_refresh_tiers`` once a day (e.g. 02:30 and 02:45 local time);
``marketing.loyalty_earn_for_order`` runs on the ORDER_PAID event (marketing/listeners/loyalty.py).
"""

from celery import shared_task

from marketing.services import loyalty as services
from sales.models import Order


@shared_task(name="marketing.loyalty_earn_for_order")
def loyalty_earn_for_order(order_id: int) -> int:
    """The points of a paid order, once (the entry's key makes a repeat a no-op). Returns the points credited."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return 0
    entry = services.points_earn_for_order(order)
    return entry.points if entry is not None else 0


@shared_task(name="marketing.loyalty_expire_points")
def loyalty_expire_points() -> int:
    """Expire the unspent points of earnings past their date (FIFO), one entry per account and day."""
    return services.points_expire()


@shared_task(name="marketing.loyalty_refresh_tiers")
def loyalty_refresh_tiers() -> int:
    """Credit paid orders whose earning was lost (the broker was down when they were paid), then
    promote and demote members as their earnings enter and leave the tier window."""
    services.points_earn_missed()
    return services.tiers_refresh()
