"""Spring Festival (春节) alignment for month-over-month and year-over-year comparisons.

Factories stop for the festival and restart over the following weeks, so the month holding it
dips every year — and the festival moves between January and February (2025-01-29, 2026-02-17).
Comparing January with January would flag half the city every other year. So, year on year, the
festival month is compared with last year's festival month and the other of January/February with
the other; month on month, a month the festival's shutdown touches is not judged at all: its
previous month is the wrong base, and the year-on-year comparison still watches it.

Shared because alerting judges with it (domain/catalogue.py) and analytics shows power year on
year with it (用电趋势, 用电景气): one definition of "the same month last year".

The dates are data (spring_festival.csv, lunar new year's day, checked against the lunar
calendar): the `chinesecalendar` package only knows the years whose official holidays are
published, and backtests and next year's rules need more.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

from shared.periods import shift

FESTIVAL_DATES = Path(__file__).with_name("spring_festival.csv")


@cache
def _dates() -> dict[int, date]:
    with FESTIVAL_DATES.open(encoding="utf-8") as f:
        return {int(row["year"]): date.fromisoformat(row["spring_festival"]) for row in csv.DictReader(f)}


def spring_festival(year: int) -> date:
    """春节 (lunar new year's day) of a Gregorian year; ValueError outside the data file's years."""
    try:
        return _dates()[year]
    except KeyError:
        raise ValueError(f"{FESTIVAL_DATES.name} 中没有 {year} 年的春节日期") from None


def festival_month(year: int) -> str:
    festival = spring_festival(year)
    return f"{festival.year:04d}-{festival.month:02d}"


@lru_cache(maxsize=4096)
def year_on_year_base(period: str) -> str:
    """The month a period is compared with a year earlier: in January/February, the festival month
    with last year's festival month and the other with the other."""
    year, month = int(period[:4]), int(period[5:7])
    if month > 2:
        return shift(period, -12)
    this_festival, last_festival = festival_month(year), festival_month(year - 1)
    if period == this_festival:
        return last_festival
    return f"{year - 1}-02" if last_festival.endswith("-01") else f"{year - 1}-01"


@lru_cache(maxsize=4096)
def touched_by_festival(period: str, days_before: int, days_after: int) -> bool:
    """Whether a month overlaps its year's festival shutdown, `days_before` to `days_after` the day
    (the festival falls from January 21 to February 20, so a shutdown stays within its year)."""
    year, month = int(period[:4]), int(period[5:7])
    festival = spring_festival(year)
    first = date(year, month, 1)
    last = date.fromisoformat(shift(period, 1) + "-01") - timedelta(days=1)
    return first <= festival + timedelta(days=days_after) and festival - timedelta(days=days_before) <= last
