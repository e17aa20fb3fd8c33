"""Months, the 门类 an entity belongs to, and what "as known at month end" means.

**As known at month end (月末口径)** — the figure of month P as it was first reported: built, record
by record, from the *first* version of each record for P that ingest received before the cutoff,
00:00 Beijing time on the first day of month P+2 (`month_end_cutoff`), linked to the entity that
version was linked to. Month P's data are due by the 5th working day of P+1, so the cutoff leaves
the whole reporting month for late senders. The *restated* figure (现值) is always each record's
newest version. So:

- a record first received after the cutoff is in the restated figure only (its as-reported part is none);
- a correction, whenever it arrives, restates the month; the as-reported figure keeps the first version
  (a correction sent within the reporting month too: what the month's first report said stays visible);
- a record whose first version failed to match adds nothing to any entity's as-reported figure, even
  when a later version (or a township's decision) links it.

The time that decides is the version's `received_at` (stamped by ingest), never when analytics
consumed the event, so a replay of the topics into empty tables gives the same figures. A record's
share of an entity (多户一表) is that of the same version.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from shared.industries import SECTION_NAMES, section_of
from shared.periods import shift  # the domain speaks of months as every service does

BEIJING = ZoneInfo("Asia/Shanghai")
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)

UNKNOWN_SECTION = "unknown"  # registered without an industry code, or not (yet) registered
UNKNOWN_SECTION_NAME = "行业不详"


def is_month(period: str) -> bool:
    return bool(_MONTH.match(period))


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (empty when last < first)."""
    span = (int(last[:4]) * 12 + int(last[5:7])) - (int(first[:4]) * 12 + int(first[5:7]))
    return [shift(first, i) for i in range(span + 1)]


@lru_cache(maxsize=4096)
def month_end_cutoff(period: str) -> datetime:
    """The instant month `period`'s as-reported figures are taken at: 00:00 Beijing time on the first
    day of the second month after it (the end of the month its data are reported in)."""
    after = shift(period, 2)
    return datetime(int(after[:4]), int(after[5:7]), 1, tzinfo=BEIJING)


def known_at_month_end(period: str, received_at: datetime) -> bool:
    """Whether a record version for `period` received at `received_at` was known at month end (the
    first such version of a record is its as-reported one)."""
    return received_at < month_end_cutoff(period)


@lru_cache(maxsize=4096)
def section(industry_code: str | None) -> str | None:
    """The GB/T 4754 门类 letter of an industry code ("3311", "C3311", "C33", "C" → "C"); None when unreadable."""
    if not industry_code:
        return None
    letter = industry_code[0] if industry_code[0].isalpha() else None
    digits = industry_code.lstrip("ABCDEFGHIJKLMNOPQRST")
    if len(digits) >= 2 and digits[:2].isdigit():
        two = int(digits[:2])
        return section_of(two)
    return letter if letter in SECTION_NAMES and not digits else None
