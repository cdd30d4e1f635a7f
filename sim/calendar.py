"""The working-day calendar: England bank holidays, office hours and fast minute maths.

All datetimes are *naive* UK local wall-clock times. Daylight-saving changes are ignored on
purpose: office hours are wall-clock hours (09:00 is 09:00 in March and in November), and a
procedure's deadlines are expressed in wall-clock terms, so an hour lost or gained at 01:00 on
a Sunday never touches office time.

The simulation clock counts calendar minutes since ``WorkingCalendar.EPOCH``. The hot path of
the Monte Carlo model works on those numbers only (``working_at``, ``calendar_at``,
``add_working_minutes_m``, ``is_office_minute``): each is a bisect on lists precomputed once
per calendar, with no datetime objects. The datetime methods serve the edges (observe,
timeline, reports) and the tests.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta
from typing import ClassVar, Literal

import holidays

DayUnit = Literal["working_days", "calendar_days"]
DayOne = Literal["start_day", "next_working_day"]

_DAY_UNITS = ("working_days", "calendar_days")
_DAY_ONES = ("start_day", "next_working_day")


def _minutes_of(t: time) -> float:
    """Minutes since midnight of a wall-clock time."""
    return t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 60_000_000


class WorkingCalendar:
    """Working days (Mon–Fri minus England bank holidays) and office hours, with fast minute maths.

    Bank holidays come from the ``holidays`` package (GB, subdivision ENG), never a hand-kept
    list, so one-off days such as the 2023 coronation holiday are included. The calendar covers
    ``first_year`` to ``last_year`` inclusive; asking about a date outside raises ValueError
    rather than silently treating unknown years as holiday-free.
    """

    EPOCH: ClassVar[datetime] = datetime(2018, 1, 1)

    def __init__(
        self,
        office_start: time = time(9),
        office_end: time = time(17),
        first_year: int = 2018,
        last_year: int = 2035,
    ) -> None:
        if office_end <= office_start:
            raise ValueError(f"office_end {office_end} must be after office_start {office_start}")
        if last_year < first_year:
            raise ValueError(f"last_year {last_year} is before first_year {first_year}")
        self.office_start = office_start
        self.office_end = office_end
        self.first_year = first_year
        self.last_year = last_year
        self._build_tables()

    # ------------------------------------------------------------------ tables

    def _build_tables(self) -> None:
        """Precompute sorted working-day ordinals, open/close minutes and cumulative office minutes.

        Every day has the same office length, so the cumulative office minutes at the k-th
        opening is simply k * day length; storing it anyway keeps the bisects uniform.
        """
        bank = holidays.country_holidays(
            "GB", subdiv="ENG", years=range(self.first_year, self.last_year + 1)
        )
        start_m, end_m = _minutes_of(self.office_start), _minutes_of(self.office_end)
        self._day_length = end_m - start_m
        self._first_date = date(self.first_year, 1, 1)
        self._last_date = date(self.last_year, 12, 31)
        self._days: list[int] = []
        self._open: list[float] = []
        self._close: list[float] = []
        self._cum: list[float] = []
        day = self._first_date
        while day <= self._last_date:
            if day.weekday() < 5 and day not in bank:
                midnight = self._midnight_minutes(day)
                self._cum.append(len(self._days) * self._day_length)
                self._days.append(day.toordinal())
                self._open.append(midnight + start_m)
                self._close.append(midnight + end_m)
            day += timedelta(days=1)
        self._min_m = self._midnight_minutes(self._first_date)
        self._max_m = self._midnight_minutes(self._last_date + timedelta(days=1))
        self._total_working = len(self._days) * self._day_length

    def _midnight_minutes(self, d: date) -> float:
        """Calendar minutes from EPOCH to the midnight that starts ``d``."""
        return (d.toordinal() - self.EPOCH.toordinal()) * 1440.0

    def _range_error(self, what: object) -> ValueError:
        return ValueError(
            f"{what} is outside the working calendar's supported years "
            f"{self.first_year}–{self.last_year}"
        )

    def _check_date(self, d: date) -> None:
        """Refuse dates the bank-holiday table does not cover (they would look holiday-free)."""
        if not self._first_date <= d <= self._last_date:
            raise self._range_error(d)

    def _check_minute(self, m: float) -> None:
        if not self._min_m <= m <= self._max_m:
            raise self._range_error(self.from_minutes(m))

    # ------------------------------------------------------------------ conversions

    def to_minutes(self, dt: datetime) -> float:
        """Calendar minutes since EPOCH (the simulation clock's unit)."""
        return (dt - self.EPOCH) / timedelta(minutes=1)

    def from_minutes(self, m: float) -> datetime:
        """The naive datetime ``m`` calendar minutes after EPOCH."""
        return self.EPOCH + timedelta(minutes=m)

    # ------------------------------------------------------------------ days

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday and not an England bank holiday."""
        self._check_date(d)
        ordinal = d.toordinal()
        i = bisect_left(self._days, ordinal)
        return i < len(self._days) and self._days[i] == ordinal

    def next_working_day(self, d: date) -> date:
        """First working day strictly after ``d``."""
        self._check_date(d)
        i = bisect_right(self._days, d.toordinal())
        if i >= len(self._days):
            raise self._range_error(f"the working day after {d}")
        return date.fromordinal(self._days[i])

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (n=0: ``d`` itself, rolled forward if not working)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        self._check_date(d)
        i = bisect_left(self._days, d.toordinal()) + n
        if i >= len(self._days):
            raise self._range_error(f"{n} working days after {d}")
        return date.fromordinal(self._days[i])

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (minus those in (b, a]) when b is before a."""
        self._check_date(a)
        self._check_date(b)
        return bisect_right(self._days, b.toordinal()) - bisect_right(self._days, a.toordinal())

    def day_n(self, start: datetime, n: int, unit: DayUnit, day_one: DayOne) -> date:
        """The calendar date that is "Day n" of a procedure started at ``start``.

        Procedures differ in whether the day of the referral counts as Day 1 and whether
        weekends count, so both readings are parameters rather than baked in.
        """
        if n < 1:
            raise ValueError(f"Day numbers start at 1, got {n}")
        if unit not in _DAY_UNITS:
            raise ValueError(f"unit must be one of {_DAY_UNITS}, got {unit!r}")
        if day_one not in _DAY_ONES:
            raise ValueError(f"day_one must be one of {_DAY_ONES}, got {day_one!r}")
        d = start.date()
        if unit == "calendar_days":
            first = d if day_one == "start_day" else d + timedelta(days=1)
            return first + timedelta(days=n - 1)
        first = d if day_one == "start_day" else self.next_working_day(d)
        return self.add_working_days(first, n - 1)

    def day_n_deadline(self, start: datetime, n: int, unit: DayUnit, day_one: DayOne) -> datetime:
        """When the Day-n target expires.

        Close of office on that day for working days; the midnight that ends it for calendar
        days (a calendar-day target is not bound to office hours).
        """
        day = self.day_n(start, n, unit, day_one)
        if unit == "working_days":
            return datetime.combine(day, self.office_end)
        return datetime.combine(day + timedelta(days=1), time(0))

    # ------------------------------------------------------------------ office hours

    def is_office_hours(self, dt: datetime) -> bool:
        """On a working day and office_start <= time < office_end (the close itself is out)."""
        return self.is_working_day(dt.date()) and self.office_start <= dt.time() < self.office_end

    def is_office_minute(self, m: float) -> bool:
        """``is_office_hours`` on the minute clock, by bisect."""
        self._check_minute(m)
        i = bisect_right(self._open, m) - 1
        return i >= 0 and m < self._close[i]

    def next_opening(self, dt: datetime) -> datetime:
        """``dt`` if the office is open then, else the next time it opens."""
        if self.is_office_hours(dt):
            return dt
        d = dt.date()
        if self.is_working_day(d) and dt.time() < self.office_start:
            return datetime.combine(d, self.office_start)
        return datetime.combine(self.next_working_day(d), self.office_start)

    def same_working_day_cutoff(self, dt: datetime) -> datetime:
        """Close of office today if still before close on a working day, else next working day's.

        This is the "same working day" target: something raised after close (or at a weekend)
        cannot reasonably be expected until the end of the next working day.
        """
        d = dt.date()
        if self.is_working_day(d) and dt.time() < self.office_end:
            return datetime.combine(d, self.office_end)
        return datetime.combine(self.next_working_day(d), self.office_end)

    def add_working_minutes(self, dt: datetime, minutes: float) -> datetime:
        """Advance ``dt`` through office time only, starting from the next opening if closed.

        Walks day by day on datetimes (clear rather than fast); ``add_working_minutes_m`` is
        the hot-path version, and the tests check the two agree. Landing exactly on the end
        of a day's office time returns that day's close, not the next opening.
        """
        if minutes < 0:
            raise ValueError(f"minutes must be >= 0, got {minutes}")
        current, remaining = self.next_opening(dt), float(minutes)
        while True:
            close = datetime.combine(current.date(), self.office_end)
            available = (close - current) / timedelta(minutes=1)
            if remaining <= available:
                return current + timedelta(minutes=remaining)
            remaining -= available
            current = datetime.combine(self.next_working_day(current.date()), self.office_start)

    def add_working_hours(self, dt: datetime, hours: float) -> datetime:
        """``add_working_minutes`` in hours (reply times in the YAML are working hours)."""
        return self.add_working_minutes(dt, hours * 60)

    def working_minutes_between(self, a: datetime, b: datetime) -> float:
        """Office minutes in [a, b) (0 when b is not after a)."""
        if b <= a:
            return 0.0
        return self.working_at(self.to_minutes(b)) - self.working_at(self.to_minutes(a))

    # ------------------------------------------------------------------ hot path (numbers only)

    def working_at(self, m: float) -> float:
        """Cumulative office minutes from the table's start up to calendar minute ``m``.

        Monotone non-decreasing, flat out of hours: this is the map from the calendar clock
        to the working clock.
        """
        self._check_minute(m)
        i = bisect_right(self._open, m) - 1
        if i < 0:
            return 0.0
        return self._cum[i] + min(m - self._open[i], self._day_length)

    def calendar_at(self, w: float) -> float:
        """Earliest calendar minute at which cumulative office minutes reach ``w``.

        The result is always within office hours, and ``w`` exactly at a day's close maps to
        that close (not the next opening), so a task finishing at 17:00 is done at 17:00.
        Consequently an instant exactly at an opening round-trips to the previous close.
        """
        if not 0 <= w <= self._total_working:
            raise ValueError(
                f"working minute {w} is outside the working calendar's supported years "
                f"{self.first_year}–{self.last_year}"
            )
        i = bisect_left(self._cum, w) - 1
        if i < 0:
            return self._open[0]
        return self._open[i] + (w - self._cum[i])

    def next_opening_m(self, m: float) -> float:
        """``next_opening`` on the minute clock."""
        self._check_minute(m)
        i = bisect_right(self._open, m)
        if i > 0 and m < self._close[i - 1]:
            return m
        if i >= len(self._open):
            raise self._range_error(f"the office opening after {self.from_minutes(m)}")
        return self._open[i]

    def add_working_minutes_m(self, m: float, minutes: float) -> float:
        """``calendar_at(working_at(m) + minutes)``: the numeric ``add_working_minutes``.

        When the sum makes no progress (zero minutes, or an offset too small to change the
        float) the answer is the next opening, matching the datetime version; otherwise an
        out-of-hours ``m`` would map back to the previous close.
        """
        if minutes < 0:
            raise ValueError(f"minutes must be >= 0, got {minutes}")
        start = self.working_at(m)
        target = start + minutes
        if target == start:
            return self.next_opening_m(m)
        return self.calendar_at(target)


@functools.lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The shared 09:00–17:00 calendar, built once (the tables take a moment to compute)."""
    return WorkingCalendar()
