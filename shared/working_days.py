"""China's official working-day calendar: weekdays minus statutory holidays plus the weekends
worked in exchange (调休上班), which weekends alone cannot give.

``working_days.csv`` lists only those exceptions, transcribed from the State Council General
Office's yearly notices (国务院办公厅关于20XX年部分节假日安排的通知) for 2024, 2025 and 2026. A year
not listed raises ``CalendarUnknown`` rather than silently falling back to weekends, so 2027 must
be added when its notice is published (usually late October to November 2026).

Shared by ingest (departments' deadlines) and alerting (townships' deadlines).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_CSV = Path(__file__).with_name("working_days.csv")


class CalendarUnknown(LookupError):
    """The official calendar for this year has not been loaded (or not yet announced)."""


class WorkingCalendar:
    """Working days = weekdays minus official holidays plus adjusted weekend workdays."""

    def __init__(self, holidays: set[date], workdays: set[date], known_years: set[int]):
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        self._known_years = frozenset(known_years)

    @classmethod
    @cache
    def china(cls) -> WorkingCalendar:
        """The official calendar from ``working_days.csv``; a year is known once it has rows."""
        holidays: set[date] = set()
        workdays: set[date] = set()
        with _CSV.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                day = date.fromisoformat(row["date"])
                {"holiday": holidays, "workday": workdays}[row["kind"]].add(day)
        return cls(holidays, workdays, {d.year for d in holidays | workdays})

    def is_working_day(self, d: date) -> bool:
        if d.year not in self._known_years:
            raise CalendarUnknown(f"no official working-day calendar for {d.year}")
        if d.weekday() >= 5:
            return d in self._workdays
        return d not in self._holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start`` (n >= 1)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        d = start
        while n:
            d += timedelta(days=1)
            n -= self.is_working_day(d)
        return d

    def deadline(self, start: date, n: int) -> date | None:
        """`add_working_days`, or None while the year it falls in has no published calendar: a
        deadline nobody can compute yet is shown as such, not guessed."""
        try:
            return self.add_working_days(start, n)
        except CalendarUnknown:
            return None
