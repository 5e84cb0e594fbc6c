"""Business-hours arithmetic for service-level targets (first response, resolution).

An SLA of "8 business hours" is not eight hours of wall-clock time: nights, closed weekdays
(Friday in Iran, where Thursday is often a half day) and official holidays do not count.
This module answers the three questions an SLA engine needs:

* is this moment inside business hours? (:func:`is_business_time`)
* when does a given amount of business time run out? (:func:`add_business_time`)
* how much business time elapsed between two moments? (:func:`business_time_between`)

Pausing the clock (e.g. while waiting on the customer) is left to the caller: it sums
:func:`business_time_between` over the intervals during which the clock ran, which is exact
because that function is additive: ``between(a, b) + between(b, c) == between(a, c)``.

The module is deliberately pure (no Django, no database): calendars stored in models are
adapted into the frozen dataclasses below, which keeps this arithmetic trivially testable.

Time zones: working periods are wall-clock times on local dates. Each period is turned into
an absolute interval with ``datetime.combine(day, t, tzinfo=tz)`` and all comparisons and
subtractions are done in UTC, because Python compares and subtracts two datetimes that share
a ``tzinfo`` by their wall-clock fields, which is wrong across a daylight-saving change.
Callers comparing results should likewise compare in UTC (or via ``timestamp()``): per
PEP 495, ``==`` between datetimes of different zones is always False when one of them falls
in a repeated (fall-back) hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "IRANIAN_WEEK",
    "SEARCH_HORIZON",
    "BusinessCalendar",
    "WorkingPeriod",
    "add_business_time",
    "business_time_between",
    "iranian_calendar",
    "is_business_time",
    "next_business_moment",
]

#: How far :func:`add_business_time` looks for business time before concluding there is none
#: (e.g. a calendar whose only working day is always a holiday). Without it such a calendar
#: would loop until ``date.max``.
SEARCH_HORIZON: Final[timedelta] = timedelta(days=3 * 366)

_ZERO: Final[timedelta] = timedelta(0)
_ONE_DAY: Final[timedelta] = timedelta(days=1)


@dataclass(frozen=True)
class WorkingPeriod:
    """One stretch of wall-clock working time within a day, ``[start, end)``.

    A day may have several (a split shift such as 08:00-12:00 and 13:00-17:00). Times are naive
    wall-clock times: the calendar's time zone gives them meaning on each local date, so the
    same period stays "08:00" on both sides of a daylight-saving change.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            raise TypeError("WorkingPeriod start and end must be datetime.time objects")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("WorkingPeriod times must be naive wall-clock times; the calendar carries the time zone")
        if not self.start < self.end:
            raise ValueError(f"WorkingPeriod must start before it ends (got {self.start} to {self.end})")


def _normalise_week(week: Mapping[int, Iterable[WorkingPeriod]]) -> dict[int, tuple[WorkingPeriod, ...]]:
    """Copy and validate a week so later mutation of the caller's dict cannot bypass validation."""
    normalised: dict[int, tuple[WorkingPeriod, ...]] = {}
    for weekday, periods in week.items():
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ValueError(f"week keys must be weekday numbers 0 (Monday) to 6 (Sunday), got {weekday!r}")
        day_periods = tuple(periods)
        for period in day_periods:
            if not isinstance(period, WorkingPeriod):
                raise TypeError(f"week[{weekday}] must contain WorkingPeriod objects, got {period!r}")
        for earlier, later in pairwise(day_periods):
            if later.start < earlier.start:
                raise ValueError(f"week[{weekday}] periods must be sorted by start time")
            if later.start < earlier.end:
                raise ValueError(
                    f"week[{weekday}] periods overlap: {earlier.start}-{earlier.end} and {later.start}-{later.end}"
                )
        if day_periods:
            normalised[weekday] = day_periods
    return normalised


@dataclass(frozen=True)
class BusinessCalendar:
    """When the business clock runs: a time zone, a weekly schedule and a set of holidays.

    ``week`` maps ``date.weekday()`` numbers (Monday=0 ... Sunday=6) to that day's working
    periods, sorted and non-overlapping; a missing or empty day is closed. ``holidays`` are
    local dates on which nothing counts, whatever the weekday.

    The calendar is validated on construction so that the arithmetic functions never meet
    an impossible schedule, and it is hashable so callers can cache results per calendar.
    """

    tz: ZoneInfo
    week: Mapping[int, tuple[WorkingPeriod, ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, tzinfo):
            raise TypeError(f"tz must be a tzinfo such as ZoneInfo('Asia/Tehran'), got {self.tz!r}")
        week = _normalise_week(self.week)
        if not week:
            raise ValueError("a business calendar needs at least one working period in the week")
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            # datetime is a subclass of date but never equals one, so it would silently never match.
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise TypeError(f"holidays must be datetime.date objects, got {holiday!r}")
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "holidays", holidays)

    def __hash__(self) -> int:
        return hash((self.tz, tuple(sorted(self.week.items())), self.holidays))

    def periods_on(self, day: date) -> tuple[WorkingPeriod, ...]:
        """The wall-clock working periods of a local date: none on holidays and closed days."""
        if day in self.holidays:
            return ()
        return self.week.get(day.weekday(), ())


#: The usual Iranian office week: Saturday to Wednesday 08:00-16:00, Thursday a half day
#: 08:00-13:00, Friday closed. Read-only; pass it (or a copy) to :class:`BusinessCalendar`.
IRANIAN_WEEK: Final[Mapping[int, tuple[WorkingPeriod, ...]]] = MappingProxyType(
    {
        5: (WorkingPeriod(time(8), time(16)),),  # Saturday
        6: (WorkingPeriod(time(8), time(16)),),  # Sunday
        0: (WorkingPeriod(time(8), time(16)),),  # Monday
        1: (WorkingPeriod(time(8), time(16)),),  # Tuesday
        2: (WorkingPeriod(time(8), time(16)),),  # Wednesday
        3: (WorkingPeriod(time(8), time(13)),),  # Thursday
    }
)


def iranian_calendar(holidays: Iterable[date] = frozenset(), tz: str | ZoneInfo = "Asia/Tehran") -> BusinessCalendar:
    """A calendar with the Iranian week (:data:`IRANIAN_WEEK`) and the given official holidays."""
    zone = tz if isinstance(tz, tzinfo) else ZoneInfo(tz)
    return BusinessCalendar(tz=zone, week=dict(IRANIAN_WEEK), holidays=frozenset(holidays))


def _require_aware(name: str, moment: datetime) -> None:
    """Refuse naive datetimes: without a zone there is no way to know which business day they are."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with tzinfo), got naive {moment.isoformat()}")


def _local_date(calendar: BusinessCalendar, moment: datetime) -> date:
    return moment.astimezone(calendar.tz).date()


def _wall_to_utc(day: date, wall: time, tz: tzinfo) -> datetime:
    """The UTC instant at which the wall clock of ``tz`` shows ``wall`` on ``day``.

    Ambiguous times (clocks set back) resolve to their first occurrence (``fold=0``). A time
    that never occurs (inside a gap when clocks go forward) resolves to the end of the gap,
    so a period covers exactly the wall-clock times that do occur: 01:00-02:30 on a night
    that skips 02:00-03:00 lasts one hour, and a period entirely inside the gap lasts none.
    """
    local = datetime.combine(day, wall, tzinfo=tz)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Non-existent: the transition lies in (fold=1 reading, fold=0 reading]; find it exactly.
    low = local.replace(fold=1).astimezone(UTC)
    high = instant
    offset_before = low.astimezone(tz).utcoffset()
    resolution = timedelta(microseconds=1)
    while high - low > resolution:
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return high


def _days_intervals(
    calendar: BusinessCalendar, first_day: date
) -> Iterator[tuple[date, list[tuple[datetime, datetime]]]]:
    """Yield each local date from ``first_day`` on with its business intervals as UTC pairs.

    Intervals are in increasing order and never overlap: as a safeguard against exotic zones
    (a day skipped or repeated when a zone changes side of the date line), each interval is
    clipped to start no earlier than the previous one ended, and empty ones are dropped.
    Closed days and holidays yield an empty list, which lets callers stop or give up.
    """
    tz = calendar.tz
    floor: datetime | None = None
    day = first_day
    while True:
        intervals: list[tuple[datetime, datetime]] = []
        for period in calendar.periods_on(day):
            begin = _wall_to_utc(day, period.start, tz)
            end = _wall_to_utc(day, period.end, tz)
            if floor is not None and begin < floor:
                begin = floor
            if begin < end:
                intervals.append((begin, end))
                floor = end
        yield day, intervals
        day += _ONE_DAY


def is_business_time(calendar: BusinessCalendar, moment: datetime) -> bool:
    """Whether the business clock runs at ``moment`` (periods are half-open: closing time is out)."""
    _require_aware("moment", moment)
    instant = moment.astimezone(UTC)
    local_day = _local_date(calendar, moment)
    days = _days_intervals(calendar, local_day - _ONE_DAY)
    for day, intervals in days:
        if any(begin <= instant < end for begin, end in intervals):
            return True
        if day > local_day:
            return False
    raise AssertionError("unreachable")  # pragma: no cover


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The moment at which ``duration`` of business time has elapsed after ``start``.

    This is an SLA deadline: counting starts at ``start`` if the clock runs then, otherwise at
    the next opening. When the duration runs out exactly at a closing time, that closing time
    is returned (not the next opening), so a deadline never jumps over a night needlessly.

    The search works period by period (each one consumed in a single subtraction), so long
    durations cost one step per working period, never per minute. Raises ``ValueError`` if
    :data:`SEARCH_HORIZON` passes without any business time, as with a calendar whose every
    working day is a holiday. The result is an aware datetime in the calendar's time zone.
    """
    _require_aware("start", start)
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")
    instant = start.astimezone(UTC)
    remaining = duration
    last_open = first_day = _local_date(calendar, start) - _ONE_DAY
    for day, intervals in _days_intervals(calendar, first_day):
        for begin, end in intervals:
            if end <= instant:
                continue
            last_open = day
            counted_from = max(begin, instant)
            available = end - counted_from
            if remaining <= available:
                return (counted_from + remaining).astimezone(calendar.tz)
            remaining -= available
        if day - last_open > SEARCH_HORIZON:
            raise ValueError(
                f"no business time within {SEARCH_HORIZON.days} days after {day - SEARCH_HORIZON}; "
                "check the calendar's working periods and holidays"
            )
    raise AssertionError("unreachable")  # pragma: no cover


def next_business_moment(calendar: BusinessCalendar, moment: datetime) -> datetime:
    """``moment`` itself if the clock runs then, otherwise the next opening (in the calendar's zone).

    Useful to show when a ticket received out of hours will start being counted.
    """
    return add_business_time(calendar, moment, _ZERO)


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time elapsed in ``[start, end)``; zero if ``end <= start``.

    Additive over adjacent intervals, so a paused SLA clock is the sum of this function over
    the intervals during which the clock ran. Costs one step per working period in the range.
    """
    _require_aware("start", start)
    _require_aware("end", end)
    low = start.astimezone(UTC)
    high = end.astimezone(UTC)
    if high <= low:
        return _ZERO
    last_day = _local_date(calendar, end) + _ONE_DAY
    total = _ZERO
    for day, intervals in _days_intervals(calendar, _local_date(calendar, start) - _ONE_DAY):
        for begin, finish in intervals:
            overlap_begin = max(begin, low)
            overlap_end = min(finish, high)
            if overlap_begin < overlap_end:
                total += overlap_end - overlap_begin
        if day >= last_day:
            return total
    raise AssertionError("unreachable")  # pragma: no cover
