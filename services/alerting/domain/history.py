"""What the catalogue judges: one entity's months as the departments reported them, how complete a
period is, and the population its peers form.

Absence matters as much as presence here: `kwh=None` says the power company sent nothing for the
month, `tax=0.0` says the tax office reported a zero. Whether "nothing" means "nothing yet" or
"nothing at all" is the period's `Closure`, so absence rules cannot fire on a late department.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import MappingProxyType

from shared.industries import section_of
from shared.periods import shift  # the domain speaks of months as every service does

TAX = "tax"
POWER = "power_supply"
INACTIVE_STATUSES = frozenset({"deregistered", "revoked"})

# GB/T 4754-2017: the 门类 letter each 大类 (two digits) belongs to, by the first 大类 of each 门类.
# A national standard, not a city's choice: registrations may carry "1311" without its letter.


@dataclass(frozen=True)
class Entity:
    uscc: str
    name: str
    township_code: str
    industry_code: str | None = None  # as registered; `division` normalises it
    status: str = "active"  # active | deregistered | revoked
    status_since: date | None = None  # the deregistration / revocation date

    @property
    def county(self) -> str:
        return self.township_code[:6]


@dataclass(frozen=True)
class Month:
    period: str  # "2026-10"
    kwh: float | None = None  # None: no power record for the month (shares already applied)
    tax: float | None = None  # None: no tax record; 0.0 a reported zero; negative a net refund
    power_townships: frozenset[str] = frozenset()  # townships the entity's power accounts are in
    record_ids: tuple[uuid.UUID, ...] = ()


_NO_MONTH = Month(period="")


@dataclass(frozen=True)
class History:
    entity: Entity
    months: Mapping[str, Month]  # by period
    finance: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))  # net profit by "2026-Q3" / "2026"

    def month(self, period: str) -> Month:
        """The month's records, an empty month when nothing was reported."""
        return self.months.get(period, _NO_MONTH)


@dataclass(frozen=True)
class Closure:
    """What is known about one period's completeness, per department."""

    closed: frozenset[str]  # departments whose data for the period is final (arrived, or past deadline)
    missing: frozenset[str] = frozenset()  # of those, the ones past deadline with nothing received

    def covers(self, *departments: str) -> bool:
        return all(d in self.closed for d in departments)

    def missing_of(self, *departments: str) -> tuple[str, ...]:
        return tuple(d for d in departments if d in self.missing)


OPEN = Closure(closed=frozenset())


@dataclass(frozen=True)
class Interval:
    """A reasonable range of tax per kWh (元/千瓦时) and where it comes from, for the API to show."""

    low: float
    high: float
    sample_size: int  # entities it was fitted on; 0 for a configured one
    source: str  # "configured" | "fitted"


@dataclass(frozen=True)
class Peers:
    """An industry's tax burden in one period, robustly: its median and median absolute deviation."""

    median: float
    mad: float
    count: int


@dataclass(frozen=True)
class Population:
    """One period's statistics over all entities, fitted in one pass (`intervals.fit_populations`)."""

    intervals: Mapping[tuple[str, str | None], Interval] = field(default_factory=dict)  # fitted, by (division, county or None)
    peers: Mapping[str, Peers] = field(default_factory=dict)  # by division


EMPTY_POPULATION = Population()


@lru_cache(maxsize=4096)  # a city has a few hundred distinct codes; rules ask per entity-month
def division(industry_code: str | None) -> str | None:
    """The GB/T 4754 大类 as 门类 letter + two digits ("1311", "C1311", "C13" → "C13")."""
    if not industry_code:
        return None
    digits = industry_code.lstrip("ABCDEFGHIJKLMNOPQRST")
    if len(digits) < 2 or not digits[:2].isdigit():
        return None
    two = int(digits[:2])
    section = section_of(two)
    return None if section is None else f"{section}{digits[:2]}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_of_period(period: str) -> str:
    """The month a period ends in, i.e. is judged in: itself for a month, the quarter's or year's last month."""
    if "-Q" in period:
        return f"{period[:4]}-{int(period[-1]) * 3:02d}"
    return f"{period}-12" if len(period) == 4 else period


def finance_periods_ending(period: str) -> tuple[str, ...]:
    """The finance periods a month closes: its quarter when it is a quarter's last month, and its year in December."""
    year, month = period[:4], int(period[5:7])
    if month % 3:
        return ()
    quarter = f"{year}-Q{month // 3}"
    return (quarter, year) if month == 12 else (quarter,)


def previous_finance_period(finance_period: str) -> str:
    if "-Q" not in finance_period:
        return str(int(finance_period) - 1)
    year, quarter = int(finance_period[:4]), int(finance_period[-1])
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"
