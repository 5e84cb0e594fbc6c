"""Dates in the install's time zone (settings.TIME_ZONE), for periods and reports."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The aware start of ``day`` in the install's time zone (Tehran time by default)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
