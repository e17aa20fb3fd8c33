"""产业运行监控 (#2) and 用电趋势分析 (#6): rows of figures per 门类 or township and month, with
their month-on-month and year-on-year changes and their share of the area.

Where the rollups come from: the township × 门类 × month table `area_months`, kept by deltas in the
statement that changes entity-months (storage/repository.py `_with_rollup`; migration 0010), so a
city-wide month is a few hundred rows whatever the number of entities. Measured before it
(50,000 entities × 12 months, medians of 20 calls), the sums over `entity_months` took 54 ms
city-wide for 产业运行监控's three months and 253 ms for a 24-month 用电趋势 and grow with entities ×
months; docs/benchmarks/dashboard.md has the figures at 600,000 entities × 36 months. The 用电景气
index's counts are in the rollup too (each entity-month carries its base month's daily kWh). The
movers rank entities: they are sought among the largest figures of both months, read down the
(period, kwh|tax) indexes, and proven there (changes.py `proven_movers`) — every entity-month of
both months is ranked only where the candidates cannot tell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.analytics.domain.changes import change_pct, share_pct
from services.analytics.domain.months import SECTION_NAMES, UNKNOWN_SECTION, UNKNOWN_SECTION_NAME, shift


@dataclass(frozen=True)
class Cell:
    """One group's figures in one month: entities with data, total kWh, total tax (None: none reported)."""

    entities: int = 0
    kwh: float | None = None
    tax: float | None = None


EMPTY = Cell()


def section_name(section: str) -> str:
    return SECTION_NAMES.get(section, UNKNOWN_SECTION_NAME)


@dataclass
class SectionRow:
    section: str
    section_name: str
    entities: int
    kwh: float | None
    tax: float | None
    kwh_mom_pct: float | None
    kwh_yoy_pct: float | None
    tax_mom_pct: float | None
    tax_yoy_pct: float | None
    kwh_share_pct: float | None
    tax_share_pct: float | None
    extra: dict = field(default_factory=dict)


def section_rows(cells: Mapping[tuple[str, str], Cell], period: str) -> tuple[list[SectionRow], Cell]:
    """Per 门类 with figures in `period`, the month before or a year before: its figures, their
    MoM and YoY changes and its share of the area's total; and the area's total. Largest tax first."""
    before, year_before = shift(period, -1), shift(period, -12)
    sections = sorted({s for s, _ in cells})
    totals = {p: _sum(cells.get((s, p), EMPTY) for s in sections) for p in (period, before, year_before)}
    rows = []
    for s in sections:
        now, mom, yoy = (cells.get((s, p), EMPTY) for p in (period, before, year_before))
        rows.append(SectionRow(
            section=s, section_name=section_name(s), entities=now.entities, kwh=now.kwh, tax=now.tax,
            kwh_mom_pct=change_pct(now.kwh, mom.kwh), kwh_yoy_pct=change_pct(now.kwh, yoy.kwh),
            tax_mom_pct=change_pct(now.tax, mom.tax), tax_yoy_pct=change_pct(now.tax, yoy.tax),
            kwh_share_pct=share_pct(now.kwh, totals[period].kwh), tax_share_pct=share_pct(now.tax, totals[period].tax),
        ))
    rows.sort(key=lambda r: (-(r.tax or 0.0), -(r.kwh or 0.0), r.section == UNKNOWN_SECTION, r.section))
    return rows, totals[period]


def _sum(cells: Iterable[Cell]) -> Cell:
    cells = list(cells)
    kwh = [c.kwh for c in cells if c.kwh is not None]
    tax = [c.tax for c in cells if c.tax is not None]
    return Cell(sum(c.entities for c in cells), sum(kwh) if kwh else None, sum(tax) if tax else None)


def largest(totals: Mapping[str, float | None], n: int) -> list[str]:
    """The `n` keys with the largest totals (a chart draws these; a table lists all), largest first;
    keys without a total last, ties by key."""
    return sorted(totals, key=lambda k: (totals[k] is None, -(totals[k] or 0.0), k))[:n]
