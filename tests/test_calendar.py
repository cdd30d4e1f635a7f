"""Tests for sim.calendar. Every expected date below was worked out by hand (see comments)."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calendar import WorkingCalendar, default_calendar

CAL = default_calendar()


def test_default_calendar_is_shared_and_nine_to_five():
    assert default_calendar() is CAL
    assert (CAL.office_start, CAL.office_end) == (time(9), time(17))
    assert datetime(2018, 1, 1) == WorkingCalendar.EPOCH


# ---------------------------------------------------------------- Christmas 2025

# Working days from Fri 19 Dec 2025 (25, 26 Dec and 1 Jan are bank holidays; 20-21, 27-28 Dec
# and 3-4 Jan are weekends):
#   Fri 19 = 1, Mon 22 = 2, Tue 23 = 3, Wed 24 = 4, Mon 29 = 5, Tue 30 = 6, Wed 31 = 7,
#   Fri 2 Jan = 8, Mon 5 Jan = 9.
# Counting from the next working day instead, Mon 22 Dec is Day 1, so each Day is one working
# day later: ..., Fri 2 Jan = 7, Mon 5 Jan = 8, Tue 6 Jan = 9.
# Calendar days from Fri 19 Dec as Day 1: Day 9 = 19 + 8 = Sat 27 Dec.
XMAS_START = datetime(2025, 12, 19, 16, 40)


def test_christmas_bank_holidays_are_not_working_days():
    for d in (date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1)):
        assert not CAL.is_working_day(d)
    assert CAL.is_working_day(date(2025, 12, 24))
    assert not CAL.is_working_day(date(2025, 12, 27))  # Saturday


@pytest.mark.parametrize(
    ("unit", "day_one", "expected"),
    [
        ("working_days", "start_day", date(2026, 1, 5)),
        ("working_days", "next_working_day", date(2026, 1, 6)),
        ("calendar_days", "start_day", date(2025, 12, 27)),
        # calendar + next_working_day: Day 1 is Sat 20 Dec, Day 9 = 20 + 8 = Sun 28 Dec.
        ("calendar_days", "next_working_day", date(2025, 12, 28)),
    ],
)
def test_day_nine_from_friday_before_christmas(unit, day_one, expected):
    assert CAL.day_n(XMAS_START, 9, unit, day_one) == expected


def test_day_one_readings():
    assert CAL.day_n(XMAS_START, 1, "working_days", "start_day") == date(2025, 12, 19)
    assert CAL.day_n(XMAS_START, 1, "working_days", "next_working_day") == date(2025, 12, 22)
    # A Saturday start under working_days/start_day: Day 1 is the Monday.
    sat = datetime(2025, 12, 20, 10)
    assert CAL.day_n(sat, 1, "working_days", "start_day") == date(2025, 12, 22)


def test_day_n_deadlines():
    # Working days: close of office on Mon 5 Jan 2026. Calendar days: midnight after Sat 27 Dec.
    assert CAL.day_n_deadline(XMAS_START, 9, "working_days", "start_day") == datetime(
        2026, 1, 5, 17
    )
    assert CAL.day_n_deadline(XMAS_START, 9, "calendar_days", "start_day") == datetime(
        2025, 12, 28, 0
    )


def test_day_n_rejects_bad_arguments():
    with pytest.raises(ValueError, match="start at 1"):
        CAL.day_n(XMAS_START, 0, "working_days", "start_day")
    with pytest.raises(ValueError, match="unit"):
        CAL.day_n(XMAS_START, 1, "hours", "start_day")  # type: ignore[arg-type]


# ---------------------------------------------------------------- Easter 2026, May 2023


def test_easter_2026():
    # Good Friday 3 Apr and Easter Monday 6 Apr 2026 are bank holidays; 4-5 Apr the weekend.
    # Day 1 = Thu 2 Apr, Day 2 = the next working day = Tue 7 Apr.
    assert not CAL.is_working_day(date(2026, 4, 3))
    assert not CAL.is_working_day(date(2026, 4, 6))
    start = datetime(2026, 4, 2, 11)
    assert CAL.day_n(start, 2, "working_days", "start_day") == date(2026, 4, 7)


def test_may_2023_coronation_and_early_may():
    # Mon 1 May 2023 (early May) and Mon 8 May 2023 (coronation) are bank holidays.
    # Day 1 = Fri 5 May; 6-7 May weekend; 8 May holiday; Day 2 = Tue 9 May.
    assert not CAL.is_working_day(date(2023, 5, 1))
    assert not CAL.is_working_day(date(2023, 5, 8))
    start = datetime(2023, 5, 5, 10)
    assert CAL.day_n(start, 2, "working_days", "start_day") == date(2023, 5, 9)


# ---------------------------------------------------------------- days arithmetic


def test_next_and_add_working_days():
    assert CAL.next_working_day(date(2025, 12, 24)) == date(2025, 12, 29)
    assert CAL.add_working_days(date(2025, 12, 25), 0) == date(2025, 12, 29)
    assert CAL.add_working_days(date(2025, 12, 24), 0) == date(2025, 12, 24)
    # From Wed 24 Dec: +1 Mon 29, +2 Tue 30, +3 Wed 31, +4 Fri 2 Jan.
    assert CAL.add_working_days(date(2025, 12, 24), 4) == date(2026, 1, 2)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 12, 24), -1)


def test_working_days_between():
    # (Fri 19 Dec 2025, Mon 5 Jan 2026] holds Days 2..9 of the list above = 8 working days.
    assert CAL.working_days_between(date(2025, 12, 19), date(2026, 1, 5)) == 8
    assert CAL.working_days_between(date(2025, 12, 24), date(2025, 12, 28)) == 0
    assert CAL.working_days_between(date(2026, 1, 5), date(2025, 12, 19)) == -8


# ---------------------------------------------------------------- office hours


def test_same_working_day_cutoff():
    # 16:40 on a working Friday: still before close, so 17:00 that day.
    assert CAL.same_working_day_cutoff(datetime(2025, 12, 19, 16, 40)) == datetime(2025, 12, 19, 17)
    # 17:10 is after close: the weekend follows, so Monday 22 Dec at 17:00.
    assert CAL.same_working_day_cutoff(datetime(2025, 12, 19, 17, 10)) == datetime(2025, 12, 22, 17)


def test_custom_office_hours_change_the_cutoff():
    # With 08:30-18:00, Fri 19 Dec 2025 17:10 is still before close: cutoff 18:00 that day.
    late = WorkingCalendar(office_start=time(8, 30), office_end=time(18))
    dt = datetime(2025, 12, 19, 17, 10)
    assert late.same_working_day_cutoff(dt) == datetime(2025, 12, 19, 18)
    assert late.next_opening(datetime(2025, 12, 19, 18, 5)) == datetime(2025, 12, 22, 8, 30)
    # 9.5-hour days: Fri 17:00 + 2h = 1h Friday, then Mon 08:30 + 1h = 09:30.
    assert late.add_working_hours(datetime(2025, 12, 19, 17), 2) == datetime(2025, 12, 22, 9, 30)


def test_next_opening():
    # Friday after close -> Monday 09:00.
    assert CAL.next_opening(datetime(2025, 12, 19, 17, 10)) == datetime(2025, 12, 22, 9)
    # Christmas Eve evening: 25, 26 holidays, 27, 28 weekend -> Mon 29 Dec 09:00.
    assert CAL.next_opening(datetime(2025, 12, 24, 20)) == datetime(2025, 12, 29, 9)
    # Inside hours: unchanged. Before opening on a working day: that day's 09:00.
    inside = datetime(2025, 12, 19, 16, 40)
    assert CAL.next_opening(inside) == inside
    assert CAL.next_opening(datetime(2025, 12, 19, 7)) == datetime(2025, 12, 19, 9)


def test_is_office_hours_bounds():
    assert CAL.is_office_hours(datetime(2025, 12, 19, 9))
    assert not CAL.is_office_hours(datetime(2025, 12, 19, 17))  # close itself is out
    assert not CAL.is_office_hours(datetime(2025, 12, 25, 12))  # Christmas Day
    m = CAL.to_minutes(datetime(2025, 12, 19, 16, 59))
    assert CAL.is_office_minute(m)
    assert not CAL.is_office_minute(m + 1)


def test_add_working_hours():
    # Fri 16:00 + 8h: 1h Friday (to 17:00), 7h Monday from 09:00 -> Mon 22 Dec 16:00.
    assert CAL.add_working_hours(datetime(2025, 12, 19, 16), 8) == datetime(2025, 12, 22, 16)
    # Wed 24 Dec 16:00 + 2h: 1h Wednesday, then (25/26 holidays, weekend) Mon 29 09:00 + 1h.
    assert CAL.add_working_hours(datetime(2025, 12, 24, 16), 2) == datetime(2025, 12, 29, 10)
    # Out of hours start: counting begins at the next opening (Mon 22 Dec 09:00) -> 10:30.
    assert CAL.add_working_hours(datetime(2025, 12, 20, 3), 1.5) == datetime(2025, 12, 22, 10, 30)
    # Exactly a full day from an opening lands on that day's close, not the next opening.
    assert CAL.add_working_hours(datetime(2025, 12, 19, 9), 8) == datetime(2025, 12, 19, 17)


def test_working_minutes_between():
    # Fri 19 Dec 16:00 -> Mon 22 Dec 10:00: 60 minutes Friday + 60 minutes Monday.
    a, b = datetime(2025, 12, 19, 16), datetime(2025, 12, 22, 10)
    assert CAL.working_minutes_between(a, b) == 120
    assert CAL.working_minutes_between(b, a) == 0
    # Whole Christmas closure (Wed 24 17:00 -> Mon 29 09:00) holds no office time.
    assert CAL.working_minutes_between(datetime(2025, 12, 24, 17), datetime(2025, 12, 29, 9)) == 0


def test_tiny_offset_out_of_hours_starts_at_next_opening():
    # Found by hypothesis: an offset too small to change the float sum must still count from
    # the next opening (Wed 2 Jan 2019 09:00, as 1 Jan is a bank holiday), not the previous close.
    dt = datetime(2019, 1, 1)
    m = CAL.add_working_minutes_m(CAL.to_minutes(dt), 1e-68)
    assert CAL.from_minutes(m) == datetime(2019, 1, 2, 9)
    assert CAL.add_working_minutes(dt, 0) == datetime(2019, 1, 2, 9)


def test_numeric_hand_example():
    # Same as the Christmas Eve example above, on the minute clock.
    m = CAL.to_minutes(datetime(2025, 12, 24, 16))
    assert CAL.from_minutes(CAL.add_working_minutes_m(m, 120)) == datetime(2025, 12, 29, 10)
    # w exactly at Wednesday's close maps to 17:00 Wednesday, not Monday 09:00.
    close = CAL.to_minutes(datetime(2025, 12, 24, 17))
    assert CAL.calendar_at(CAL.working_at(close)) == close


# ---------------------------------------------------------------- out of range


def test_out_of_range_years_raise_naming_the_supported_years():
    with pytest.raises(ValueError, match="2018–2035"):
        CAL.is_working_day(date(2036, 1, 2))
    with pytest.raises(ValueError, match="2018–2035"):
        CAL.next_opening(datetime(2017, 6, 1, 12))
    with pytest.raises(ValueError, match="2018–2035"):
        CAL.working_at(CAL.to_minutes(datetime(2040, 1, 1)))
    with pytest.raises(ValueError, match="2018–2035"):
        CAL.add_working_days(date(2035, 12, 20), 30)
    small = WorkingCalendar(first_year=2024, last_year=2026)
    with pytest.raises(ValueError, match="2024–2026"):
        small.is_working_day(date(2023, 12, 29))


def test_bad_office_hours_rejected():
    with pytest.raises(ValueError, match="office_end"):
        WorkingCalendar(office_start=time(17), office_end=time(9))


# ---------------------------------------------------------------- properties

instants = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2034, 12, 31))
offsets = st.floats(min_value=0, max_value=60 * 24 * 60, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(dt=instants, minutes=offsets)
def test_numeric_and_datetime_add_agree(dt, minutes):
    slow = CAL.add_working_minutes(dt, minutes)
    fast = CAL.from_minutes(CAL.add_working_minutes_m(CAL.to_minutes(dt), minutes))
    # Float minutes vs timedelta arithmetic may differ by rounding at the microsecond.
    assert abs(slow - fast) <= timedelta(milliseconds=1)
    assert CAL.is_office_hours(fast) or fast.time() == CAL.office_end


@settings(max_examples=300, deadline=None)
@given(a=instants, b=instants)
def test_working_at_is_monotone(a, b):
    a, b = min(a, b), max(a, b)
    assert CAL.working_at(CAL.to_minutes(a)) <= CAL.working_at(CAL.to_minutes(b))


@settings(max_examples=300, deadline=None)
@given(dt=instants)
def test_calendar_at_inverts_working_at_inside_office_hours(dt):
    m = CAL.to_minutes(dt)
    # Strictly inside: an instant exactly at an opening shares its working minute with the
    # previous close, and calendar_at returns the earliest such instant (that close).
    if CAL.is_office_minute(m) and dt.time() != CAL.office_start:
        assert CAL.calendar_at(CAL.working_at(m)) == pytest.approx(m, abs=1e-6)
