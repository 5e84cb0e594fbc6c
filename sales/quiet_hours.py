"""Quiet hours: the part of the night when no message goes to a customer.

The window is read in the install's local time (``settings.TIME_ZONE``), whatever the server's
clock or the request's active time zone, and may wrap past midnight (21:00–09:00).
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings


def local_time(moment: datetime.datetime) -> datetime.time:
    """The wall-clock time of an aware ``moment`` where the business is."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).time()


def in_quiet_hours(*, moment: datetime.datetime, start: datetime.time, end: datetime.time) -> bool:
    """Whether ``moment`` falls in [start, end). Equal bounds mean no quiet hours at all."""
    now = local_time(moment)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    # The window wraps past midnight: late evening or early morning.
    return now >= start or now < end


def customer_messages_quiet(now: datetime.datetime) -> bool:
    """Whether ``now`` is within the quiet hours set in the sales settings (one query)."""
    from sales.models import SalesSettings

    sales_settings = SalesSettings.load()
    return in_quiet_hours(moment=now, start=sales_settings.quiet_hours_start, end=sales_settings.quiet_hours_end)
