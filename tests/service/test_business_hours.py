"""Business-hours arithmetic behind SLA deadlines: pure functions, no database."""

import time as wall_clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.business_hours import (
    IRANIAN_WEEK,
    BusinessCalendar,
    WorkingPeriod,
    add_business_time,
    business_time_between,
    iranian_calendar,
    is_business_time,
    next_business_moment,
)

TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)

# A reference week in 2024 (Iran has had no daylight saving since 2022).
SAT, SUN, MON, TUE, WED, THU, FRI = (date(2024, 5, d) for d in range(11, 18))
assert [d.weekday() for d in (SAT, SUN, MON, TUE, WED, THU, FRI)] == [5, 6, 0, 1, 2, 3, 4]
NEXT_SAT = SAT + timedelta(days=7)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = TEHRAN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


@pytest.fixture
def iran():
    return iranian_calendar()


# --- the Iranian week -------------------------------------------------------------------------


def test_iranian_week_shape():
    assert set(IRANIAN_WEEK) == {5, 6, 0, 1, 2, 3}
    assert IRANIAN_WEEK[3] == (WorkingPeriod(time(8), time(13)),)
    assert 4 not in IRANIAN_WEEK  # Friday


def test_wednesday_afternoon_plus_eight_hours_ends_saturday_morning(iran):
    # Wed 15-16 = 1h, Thu 08-13 = 5h, Fri closed, Sat 08-10 = 2h.
    deadline = add_business_time(iran, at(WED, 15), 8 * H)
    assert deadline == at(NEXT_SAT, 10)
    assert deadline.tzinfo == TEHRAN
    assert deadline.isoformat() == "2024-05-18T10:00:00+03:30"


def test_result_is_in_calendar_zone_whatever_the_input_zone(iran):
    start = at(WED, 15).astimezone(UTC)
    deadline = add_business_time(iran, start, 8 * H)
    assert deadline.tzinfo is TEHRAN
    assert deadline == at(NEXT_SAT, 10)


def test_start_at_night_counts_from_next_opening(iran):
    assert add_business_time(iran, at(SUN, 22), 2 * H) == at(MON, 10)
    assert add_business_time(iran, at(MON, 3), 2 * H) == at(MON, 10)


def test_start_on_friday_counts_from_saturday(iran):
    assert add_business_time(iran, at(FRI, 11), 3 * H) == at(NEXT_SAT, 11)


def test_start_on_holiday_skips_it():
    cal = iranian_calendar(holidays={MON})
    assert add_business_time(cal, at(MON, 9), H) == at(TUE, 9)
    assert add_business_time(cal, at(SUN, 15), 2 * H) == at(TUE, 9)


def test_holiday_on_thursday_skips_the_half_day():
    cal = iranian_calendar(holidays=[THU])
    assert add_business_time(cal, at(WED, 15), 3 * H) == at(NEXT_SAT, 10)
    assert business_time_between(cal, at(WED, 0), at(NEXT_SAT, 0)) == 8 * H


def test_start_exactly_at_opening(iran):
    assert add_business_time(iran, at(SUN, 8), 8 * H) == at(SUN, 16)
    assert add_business_time(iran, at(SUN, 8), 9 * H) == at(MON, 9)


def test_start_exactly_at_closing_counts_from_next_opening(iran):
    assert add_business_time(iran, at(SUN, 16), H) == at(MON, 9)
    assert add_business_time(iran, at(THU, 13), H) == at(NEXT_SAT, 9)


def test_duration_ending_at_closing_returns_closing(iran):
    assert add_business_time(iran, at(SUN, 15), H) == at(SUN, 16)


def test_zero_duration(iran):
    inside = at(SUN, 10, 30)
    assert add_business_time(iran, inside, timedelta(0)) == inside
    assert add_business_time(iran, at(SUN, 16), timedelta(0)) == at(MON, 8)
    assert add_business_time(iran, at(FRI, 12), timedelta(0)) == at(NEXT_SAT, 8)
    assert business_time_between(iran, inside, inside) == timedelta(0)


def test_sub_second_precision(iran):
    delta = timedelta(microseconds=1)
    assert add_business_time(iran, at(SUN, 16) - delta, 2 * delta) == at(MON, 8) + delta


def test_negative_duration_refused(iran):
    with pytest.raises(ValueError, match="negative"):
        add_business_time(iran, at(SUN, 9), -H)


def test_very_long_duration_matches_week_by_week_expectation(iran):
    week_hours = 5 * 8 + 5
    assert business_time_between(iran, at(SAT, 0), at(NEXT_SAT, 0)) == week_hours * H
    # 500 = 11 full weeks (495h) + 5h on the twelfth Saturday.
    deadline = add_business_time(iran, at(SAT, 8), 500 * H)
    assert deadline == at(SAT + timedelta(weeks=11), 13)
    assert business_time_between(iran, at(SAT, 8), deadline) == 500 * H


def test_long_durations_are_fast(iran):
    began = wall_clock.perf_counter()
    for _ in range(20):
        deadline = add_business_time(iran, at(WED, 15), 2000 * H)
        business_time_between(iran, at(WED, 15), deadline)
    assert wall_clock.perf_counter() - began < 2


# --- split shifts ---------------------------------------------------------------------------------


@pytest.fixture
def split():
    shifts = (WorkingPeriod(time(8), time(12)), WorkingPeriod(time(13), time(17)))
    return BusinessCalendar(tz=TEHRAN, week=dict.fromkeys(range(5), shifts), holidays=frozenset())


def test_split_shift_skips_lunch(split):
    assert add_business_time(split, at(MON, 11), 2 * H) == at(MON, 14)
    assert add_business_time(split, at(MON, 12, 30), H) == at(MON, 14)
    assert add_business_time(split, at(MON, 11), H) == at(MON, 12)
    assert not is_business_time(split, at(MON, 12, 30))
    assert next_business_moment(split, at(MON, 12, 30)) == at(MON, 13)
    assert business_time_between(split, at(MON, 0), at(TUE, 0)) == 8 * H


def test_split_shift_over_weekend(split):
    # Friday (weekday 4) 16:00 + 3h: Fri 16-17 = 1h, weekend closed, Mon 08-10.
    assert add_business_time(split, at(FRI, 16), 3 * H) == at(FRI + timedelta(days=3), 10)


# --- is_business_time / next_business_moment ---------------------------------------------------


def test_is_business_time(iran):
    assert is_business_time(iran, at(SAT, 8))
    assert is_business_time(iran, at(WED, 15, 59))
    assert not is_business_time(iran, at(WED, 16))
    assert not is_business_time(iran, at(THU, 13))
    assert is_business_time(iran, at(THU, 12, 59))
    assert not is_business_time(iran, at(FRI, 10))
    assert not is_business_time(iran, at(SUN, 7, 59))
    assert is_business_time(iran, at(SUN, 5, 0, UTC))  # 08:30 in Tehran
    assert not is_business_time(iranian_calendar(holidays={SUN}), at(SUN, 10))


def test_next_business_moment(iran):
    assert next_business_moment(iran, at(SUN, 10)) == at(SUN, 10)
    assert next_business_moment(iran, at(THU, 14)) == at(NEXT_SAT, 8)
    assert next_business_moment(iran, at(SUN, 2, 0, UTC)) == at(SUN, 8)


# --- business_time_between --------------------------------------------------------------------


def test_between_basic(iran):
    assert business_time_between(iran, at(WED, 15), at(NEXT_SAT, 10)) == 8 * H
    assert business_time_between(iran, at(FRI, 0), at(NEXT_SAT, 0)) == timedelta(0)
    assert business_time_between(iran, at(SUN, 10), at(SUN, 9)) == timedelta(0)


def test_pauses_are_summed_by_the_caller(iran):
    # Clock runs Sun 09-12, pauses while waiting on the customer, resumes Mon 10-11.
    running = [(at(SUN, 9), at(SUN, 12)), (at(MON, 10), at(MON, 11))]
    assert sum((business_time_between(iran, a, b) for a, b in running), timedelta(0)) == 4 * H


# --- validation -----------------------------------------------------------------------------------


def test_naive_datetimes_refused(iran):
    naive = datetime(2024, 5, 12, 10, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"):
        is_business_time(iran, naive)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(iran, naive, H)
    with pytest.raises(ValueError, match="aware"):
        next_business_moment(iran, naive)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(iran, naive, at(SUN, 12))
    with pytest.raises(ValueError, match="aware"):
        business_time_between(iran, at(SUN, 9), naive)


def test_calendar_without_working_time_refused():
    with pytest.raises(ValueError, match="at least one working period"):
        BusinessCalendar(tz=TEHRAN, week={}, holidays=frozenset())
    with pytest.raises(ValueError, match="at least one working period"):
        BusinessCalendar(tz=TEHRAN, week={0: (), 1: ()}, holidays=frozenset())


def test_bad_periods_refused():
    with pytest.raises(ValueError, match="start before"):
        WorkingPeriod(time(12), time(8))
    with pytest.raises(ValueError, match="start before"):
        WorkingPeriod(time(8), time(8))
    morning, afternoon = WorkingPeriod(time(8), time(12)), WorkingPeriod(time(13), time(17))
    with pytest.raises(ValueError, match="sorted"):
        BusinessCalendar(tz=TEHRAN, week={0: (afternoon, morning)}, holidays=frozenset())
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar(tz=TEHRAN, week={0: (morning, WorkingPeriod(time(11), time(14)))}, holidays=frozenset())
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar(tz=TEHRAN, week={7: (morning,)}, holidays=frozenset())
    # Touching periods are fine.
    BusinessCalendar(tz=TEHRAN, week={0: (morning, WorkingPeriod(time(12), time(13)))}, holidays=frozenset())


def test_datetime_holidays_refused():
    with pytest.raises(TypeError, match="date"):
        iranian_calendar(holidays={at(SUN, 0)})


def test_calendar_is_immutable_and_hashable():
    week = {0: [WorkingPeriod(time(9), time(17))]}
    cal = BusinessCalendar(tz=TEHRAN, week=week, holidays=frozenset())
    week[1] = [WorkingPeriod(time(9), time(9, 30))]  # mutating the source does not reach the calendar
    assert set(cal.week) == {0}
    assert hash(iranian_calendar({SUN})) == hash(iranian_calendar({SUN}))
    assert iranian_calendar({SUN}) == iranian_calendar({SUN})


def test_no_business_time_within_horizon_refused():
    mondays = frozenset(date(2024, 1, 1) + timedelta(weeks=n) for n in range(5 * 53))
    cal = BusinessCalendar(tz=TEHRAN, week={0: (WorkingPeriod(time(9), time(17)),)}, holidays=mondays)
    with pytest.raises(ValueError, match="no business time"):
        add_business_time(cal, at(date(2024, 1, 1), 0), H)
    with pytest.raises(ValueError, match="no business time"):
        next_business_moment(cal, at(date(2024, 1, 1), 0))
    # Measuring still works: there simply was none.
    assert business_time_between(cal, at(date(2024, 1, 1), 0), at(date(2026, 1, 1), 0)) == timedelta(0)


# --- daylight saving (any zone, not just Tehran) ------------------------------------------------


@pytest.fixture
def berlin():
    # Open every day 00:00-08:00 so the 02:00/03:00 transitions fall inside business hours.
    return BusinessCalendar(
        tz=BERLIN, week={d: (WorkingPeriod(time(0), time(8)),) for d in range(7)}, holidays=frozenset()
    )


def test_spring_forward_day_is_an_hour_shorter(berlin):
    day = date(2024, 3, 31)
    assert business_time_between(berlin, at(day, 0, tz=BERLIN), at(day, 12, tz=BERLIN)) == 7 * H
    assert add_business_time(berlin, at(day, 0, tz=BERLIN), 3 * H) == at(day, 4, tz=BERLIN)


def test_fall_back_day_is_an_hour_longer(berlin):
    day = date(2024, 10, 27)
    assert business_time_between(berlin, at(day, 0, tz=BERLIN), at(day, 12, tz=BERLIN)) == 9 * H
    deadline = add_business_time(berlin, at(day, 0, tz=BERLIN), 3 * H)
    assert deadline.astimezone(UTC) == datetime(2024, 10, 27, 1, 0, tzinfo=UTC)  # 02:00 CET, second time


def test_periods_touching_a_dst_gap_count_only_wall_times_that_occur():
    # Berlin skips 02:00-03:00 on 2024-03-31.
    cal = BusinessCalendar(
        tz=BERLIN,
        week={6: (WorkingPeriod(time(1), time(2, 30)), WorkingPeriod(time(2, 45), time(5)))},
        holidays=frozenset(),
    )
    day = date(2024, 3, 31)
    assert business_time_between(cal, at(day, 0, tz=BERLIN), at(day, 12, tz=BERLIN)) == 3 * H
    assert add_business_time(cal, at(day, 0, tz=BERLIN), H) == at(day, 3, tz=BERLIN)  # gap end, 01:00 UTC
    assert add_business_time(cal, at(day, 0, tz=BERLIN), H).astimezone(UTC) == datetime(2024, 3, 31, 1, tzinfo=UTC)


def test_period_inside_a_dst_gap_counts_nothing():
    gap = BusinessCalendar(
        tz=BERLIN,
        week={d: (WorkingPeriod(time(2, 15), time(2, 45)), WorkingPeriod(time(9), time(10))) for d in range(7)},
        holidays=frozenset(),
    )
    day = date(2024, 3, 31)
    assert business_time_between(gap, at(day, 0, tz=BERLIN), at(day + timedelta(days=1), 0, tz=BERLIN)) == H
    assert next_business_moment(gap, at(day, 0, tz=BERLIN)) == at(day, 9, tz=BERLIN)


# --- properties -------------------------------------------------------------------------------------

ZONES = [TEHRAN, BERLIN, ZoneInfo("America/New_York"), UTC]

calendars = st.sampled_from(
    [
        iranian_calendar(holidays={THU, MON, date(2024, 3, 20), date(2025, 1, 1)}),
        iranian_calendar(tz="Europe/Berlin"),
        BusinessCalendar(
            tz=ZoneInfo("America/New_York"),
            week={
                d: (
                    WorkingPeriod(time(1, 30), time(2, 30)),
                    WorkingPeriod(time(8), time(12)),
                    WorkingPeriod(time(13), time(17)),
                )
                for d in range(5)
            },
            holidays=frozenset({date(2024, 12, 25)}),
        ),
        BusinessCalendar(tz=BERLIN, week={6: (WorkingPeriod(time(0), time(23, 59, 59)),)}, holidays=frozenset()),
    ]
)
moments = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31)),  # noqa: DTZ001
    st.sampled_from(ZONES),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=600))


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, start=moments, duration=durations)
def test_between_inverts_add(calendar, start, duration):
    deadline = add_business_time(calendar, start, duration)
    assert deadline.tzinfo is calendar.tz
    assert deadline >= start
    assert business_time_between(calendar, start, deadline) == duration
    # The deadline is the earliest such moment: no business time is wasted before it.
    if duration:
        assert business_time_between(calendar, start, deadline - timedelta(microseconds=1)) < duration


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, a=moments, b=moments, c=moments)
def test_between_is_additive(calendar, a, b, c):
    a, b, c = sorted([a, b, c])
    assert business_time_between(calendar, a, b) + business_time_between(calendar, b, c) == business_time_between(
        calendar, a, c
    )


@settings(max_examples=300, deadline=None)
@given(calendar=calendars, moment=moments)
def test_next_business_moment_is_business_time(calendar, moment):
    opening = next_business_moment(calendar, moment)
    assert opening >= moment
    assert is_business_time(calendar, opening)
    assert business_time_between(calendar, moment, opening) == timedelta(0)
    # Compare in UTC: PEP 495 makes inter-zone == False for times in a repeated hour.
    assert (opening.astimezone(UTC) == moment.astimezone(UTC)) == is_business_time(calendar, moment)
