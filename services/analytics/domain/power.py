"""用电趋势 year on year aligned to the Spring Festival, and the 用电景气 index (#6).

**Aligned year on year (同比（春节对齐）)** — a month is compared with `aligned_base(period)`
(shared/festival.py, the same rule alerting judges power_drop by): from March on, the same month a
year before; in January and February, the festival month with last year's festival month and the
other with the other. The festival moved from February 2024 to January 2025 and back to February
2026, so calendar January 2025 fell a third below January 2024 and February rose as much — the
aligned comparison takes the shutdown out of both.

**Average daily use (日均用电)** — a month's kWh over its days. Aligning pits a 31-day January
against a 29-day February, and a leap February has a day more than the next one: per day, the
change is the business's, not the calendar's.

**用电景气 index** of an area and month, two figures:
- the average daily use year on year (aligned): `daily_yoy_pct`;
- the share of entities using less per day than in the aligned base month: of the entities with
  power in both months (`compared`), those below (`below`). An entity without last year's figure
  (new, or its record missing) or without this month's (late, stopped) is not compared: it has no
  "last year's level" to be below of; a reported zero is a figure (and below a positive one).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.festival import year_on_year_base as aligned_base
from shared.periods import shift

from services.analytics.domain.changes import change_pct, share_pct
from services.analytics.domain.months import months_between

__all__ = ["aligned_base", "known_base", "based_on", "days_in", "daily", "below_last_year", "compare_entities", "Month", "Point", "trend", "first_needed", "combine"]


def known_base(period: str) -> str | None:
    """`aligned_base`, or None for a January or February beyond the festival dates the city's file
    knows (shared/spring_festival.csv): such a month is not compared rather than refused."""
    try:
        return aligned_base(period)
    except ValueError:
        return None


def based_on(period: str) -> list[str]:
    """The months whose aligned base month is `period` (one, or none or two around the festival): a
    change to `period`'s figure changes their comparison. A base is 11 to 13 months back."""
    return [later for later in (shift(period, 11), shift(period, 12), shift(period, 13)) if known_base(later) == period]


def days_in(period: str) -> int:
    return calendar.monthrange(int(period[:4]), int(period[5:7]))[1]


def daily(kwh: float | None, period: str) -> float | None:
    """Average daily use of a month (kWh per day); None without a figure."""
    return None if kwh is None else kwh / days_in(period)


def below_last_year(kwh: float | None, base_kwh: float | None, period: str) -> bool | None:
    """Whether an entity used less per day in `period` than in its aligned base month; None when
    either figure is missing (not compared). storage/repository.py counts by the same rule in SQL."""
    if kwh is None or base_kwh is None:
        return None
    return kwh / days_in(period) < base_kwh / days_in(aligned_base(period))


def compare_entities(kwh_by_entity: Mapping[str, Mapping[str, float | None]], period: str) -> tuple[int, int]:
    """(compared, below) over entities' monthly kWh (entity → period → kWh): the definition the SQL mirrors."""
    base = aligned_base(period)
    verdicts = [below_last_year(months.get(period), months.get(base), period) for months in kwh_by_entity.values()]
    return sum(v is not None for v in verdicts), sum(v is True for v in verdicts)


@dataclass(frozen=True)
class Month:
    """One group's (or area's) month: entities with power, their kWh, and how many were compared
    with / were below their aligned base month (`compared`/`below` are counted for this month)."""

    entities: int = 0
    kwh: float | None = None
    compared: int = 0
    below: int = 0


EMPTY = Month()


@dataclass(frozen=True)
class Point:
    period: str
    base_period: str | None  # the aligned month a year before; None beyond the festival dates known
    entities: int
    kwh: float | None
    kwh_yoy_pct: float | None  # against the same calendar month a year before
    kwh_yoy_aligned_pct: float | None  # against the aligned month
    kwh_daily: float | None
    kwh_daily_yoy_pct: float | None  # average daily use against the aligned month's: the index's first figure
    compared: int
    below: int
    below_share_pct: float | None  # the index's second figure; None when nothing was compared


def trend(months: Mapping[str, Month], first: str, last: str) -> list[Point]:
    """One group's months from `first` to `last` with both year-on-year changes and the index.
    `months` must hold the base months too: from 13 months before `first` (see `first_needed`)."""
    points = []
    for p in months_between(first, last):
        base = known_base(p)
        now, calendar_was, was = months.get(p, EMPTY), months.get(shift(p, -12), EMPTY), months.get(base, EMPTY) if base else EMPTY
        points.append(Point(
            period=p, base_period=base, entities=now.entities, kwh=now.kwh,
            kwh_yoy_pct=change_pct(now.kwh, calendar_was.kwh),
            kwh_yoy_aligned_pct=change_pct(now.kwh, was.kwh),
            kwh_daily=None if now.kwh is None else round(daily(now.kwh, p), 1),
            kwh_daily_yoy_pct=change_pct(daily(now.kwh, p), daily(was.kwh, base)) if base else None,
            compared=now.compared, below=now.below,
            below_share_pct=share_pct(now.below, now.compared),
        ))
    return points


def first_needed(first: str) -> str:
    """The earliest month `trend` reads for a range from `first`: an aligned base is 11 to 13 months
    back (a February's can be last January), a calendar one 12."""
    return shift(first, -13)


def combine(groups: Iterable[Mapping[str, Month]]) -> dict[str, Month]:
    """The area's months from its groups' (townships or 门类: each entity-month in one group)."""
    total: dict[str, Month] = {}
    for months in groups:
        for p, m in months.items():
            t = total.get(p, EMPTY)
            kwh = t.kwh if m.kwh is None else (t.kwh or 0.0) + m.kwh
            total[p] = Month(t.entities + m.entities, kwh, t.compared + m.compared, t.below + m.below)
    return total
