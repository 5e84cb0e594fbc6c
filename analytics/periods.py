"""The periods the analytics pages compare: a period and the one before it, of the same kind.

Calendar periods compare with the previous month, quarter or year; rolling ones ("last 90 days")
with the same number of days just before. The nightly computation snapshots the figures that
cannot be summed from daily facts (retention) for each of these keys; a custom period is
computed when asked."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from crm_site.dates import local_midnight

PERIOD_CHOICES = [
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("this_quarter", _("This quarter")),
    ("last_quarter", _("Last quarter")),
    ("this_year", _("This year")),
    ("last_year", _("Last year")),
    ("last_30_days", _("Last 30 days")),
    ("last_90_days", _("Last 90 days")),
    ("last_365_days", _("Last 365 days")),
    ("custom", _("Custom")),
]
DEFAULT_PERIOD = "last_90_days"
# Every key but "custom": the ones the nightly computation snapshots.
SNAPSHOT_PERIODS = [key for key, _label in PERIOD_CHOICES if key != "custom"]
_ROLLING_DAYS = {"last_30_days": 30, "last_90_days": 90, "last_365_days": 365}


@dataclass(frozen=True)
class Period:
    key: str
    first_day: datetime.date
    last_day: datetime.date  # included

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime.datetime:
        """Local midnight at the start of the first day (aware)."""
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime.datetime:
        """Local midnight after the last day (excluded, aware)."""
        return local_midnight(self.last_day + datetime.timedelta(days=1))

    @property
    def label(self) -> str:
        return str(dict(PERIOD_CHOICES).get(self.key, ""))


@dataclass(frozen=True)
class Comparison:
    current: Period
    previous: Period


def _month_start(year: int, month_index: int) -> datetime.date:
    """The first day of month ``month_index`` (0-based, may run past 11 or below 0) of ``year``."""
    index = year * 12 + month_index
    return datetime.date(index // 12, index % 12 + 1, 1)


def _calendar(key: str, today: datetime.date) -> tuple[datetime.date, datetime.date, int]:
    """(first day, last day, length in months) of a calendar period; "this ..." ends today."""
    quarter_month = (today.month - 1) // 3 * 3
    starts = {
        "this_month": (_month_start(today.year, today.month - 1), 1),
        "last_month": (_month_start(today.year, today.month - 2), 1),
        "this_quarter": (_month_start(today.year, quarter_month), 3),
        "last_quarter": (_month_start(today.year, quarter_month - 3), 3),
        "this_year": (datetime.date(today.year, 1, 1), 12),
        "last_year": (datetime.date(today.year - 1, 1, 1), 12),
    }
    first, months = starts[key]
    if key.startswith("this_"):
        return first, today, months
    last = _month_start(first.year, first.month - 1 + months) - datetime.timedelta(days=1)
    return first, last, months


def _shift_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months``, clamped to the month's last day (31 March - 1 month = 28/29 Feb)."""
    first = _month_start(day.year, day.month - 1 + months)
    last_of_month = _month_start(first.year, first.month) - datetime.timedelta(days=1)
    return first.replace(day=min(day.day, last_of_month.day))


def period_compare(
    *,
    key: str,
    today: datetime.date,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> Comparison:
    """The period a choice covers (up to today) and the one to compare it with. An unknown key,
    or "custom" without both dates in order, falls back to the default period."""
    if key == "custom" and start and end and start <= end:
        current = Period(key, start, end)
        previous_last = start - datetime.timedelta(days=1)
        return Comparison(current, Period(key, previous_last - (end - start), previous_last))
    if key not in _ROLLING_DAYS and key not in {k for k, _label in PERIOD_CHOICES[:6]}:
        key = DEFAULT_PERIOD
    if key in _ROLLING_DAYS:
        days = _ROLLING_DAYS[key]
        current = Period(key, today - datetime.timedelta(days=days - 1), today)
        previous_last = current.first_day - datetime.timedelta(days=1)
        return Comparison(current, Period(key, previous_last - datetime.timedelta(days=days - 1), previous_last))
    first, last, months = _calendar(key, today)
    current = Period(key, first, last)
    if key.startswith("last_"):  # a whole past month, quarter or year: the whole one before
        return Comparison(current, Period(key, _shift_months(first, -months), first - datetime.timedelta(days=1)))
    # So far this month, quarter or year: the same stretch of the previous one.
    return Comparison(current, Period(key, _shift_months(first, -months), _shift_months(last, -months)))
