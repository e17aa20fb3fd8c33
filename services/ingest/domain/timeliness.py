"""Submission timeliness: departments owe each period's data within N working days after it ends.

Working days follow China's official calendar (``shared/working_days.py``): until 2027 is added,
December 2026 deadlines cannot be computed.

Deadlines are whole calendar days in Asia/Shanghai: data arriving at any time on the deadline day
is on time, whatever the UTC date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from shared.contracts import SubmissionStatus
from shared.records import Frequency
from shared.working_days import LOCAL_TZ, WorkingCalendar

_PATTERNS = {
    Frequency.MONTHLY: re.compile(r"(\d{4})-(0[1-9]|1[0-2])"),
    Frequency.QUARTERLY: re.compile(r"(\d{4})-Q([1-4])"),
    Frequency.YEARLY: re.compile(r"(\d{4})"),
}
_PER_YEAR = {Frequency.MONTHLY: 12, Frequency.QUARTERLY: 4, Frequency.YEARLY: 1}


def _index(period: str, frequency: str) -> int:
    """Periods as consecutive integers, so stepping and ordering are plain arithmetic."""
    freq = Frequency(frequency)
    m = _PATTERNS[freq].fullmatch(period)
    if m is None:
        raise ValueError(f"{period!r} is not a {freq} period")
    year = int(m[1])
    number_in_year = 1 if freq is Frequency.YEARLY else int(m[2])
    return year * _PER_YEAR[freq] + number_in_year - 1


def _period(index: int, frequency: str) -> str:
    freq = Frequency(frequency)
    year, sub = divmod(index, _PER_YEAR[freq])
    if freq is Frequency.MONTHLY:
        return f"{year:04d}-{sub + 1:02d}"
    if freq is Frequency.QUARTERLY:
        return f"{year:04d}-Q{sub + 1}"
    return f"{year:04d}"


def period_end(period: str, frequency: str) -> date:
    """Last calendar day of the period ("2026-10" monthly, "2026-Q3" quarterly, "2026" yearly)."""
    freq = Frequency(frequency)
    year, sub = divmod(_index(period, freq) + 1, _PER_YEAR[freq])
    months_per_period = 12 // _PER_YEAR[freq]
    return date(year, sub * months_per_period + 1, 1) - timedelta(days=1)


def periods_between(first: str, last: str, frequency: str) -> list[str]:
    """All periods from ``first`` to ``last`` inclusive; a reversed range is a caller error."""
    start, stop = _index(first, frequency), _index(last, frequency)
    if start > stop:
        raise ValueError(f"{first!r} is after {last!r}")
    return [_period(i, frequency) for i in range(start, stop + 1)]


def deadline(period: str, frequency: str, calendar: WorkingCalendar, working_days: int = 5) -> date:
    """Last local day on which the period's data counts as on time."""
    return calendar.add_working_days(period_end(period, frequency), working_days)


def _local_date(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware: a naive one has no defined local day")
    return moment.astimezone(LOCAL_TZ).date()


def status(
    period: str,
    frequency: str,
    first_arrival: datetime | None,
    now: datetime,
    calendar: WorkingCalendar,
    working_days: int = 5,
) -> SubmissionStatus:
    """Judge by the first arrival, so a later correction never turns on-time data late."""
    due = deadline(period, frequency, calendar, working_days)
    if first_arrival is not None:
        return SubmissionStatus.ON_TIME if _local_date(first_arrival) <= due else SubmissionStatus.LATE
    return SubmissionStatus.MISSING if _local_date(now) > due else SubmissionStatus.PENDING


def due_periods(now: datetime, frequency: str, calendar: WorkingCalendar, lookback: int = 3) -> list[str]:
    """The latest ``lookback`` periods whose deadline has passed as of ``now``, oldest first."""
    today = _local_date(now)
    per_year = _PER_YEAR[Frequency(frequency)]
    # The period containing today cannot be due yet, so start one before it; that also avoids
    # asking in December about next year's calendar before it has been announced.
    newest = today.year * per_year + (today.month - 1) * per_year // 12 - 1
    while deadline(_period(newest, frequency), frequency, calendar) >= today:
        newest -= 1
    return [_period(i, frequency) for i in range(newest - lookback + 1, newest + 1)]
