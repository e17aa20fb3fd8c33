"""产业运行监控 (#2) and 用电趋势分析 (#6): rows of figures per 门类 or township and month, with
their month-on-month and year-on-year changes and their share of the area.

Where the rollups come from: computed on request by indexed SQL over `entity_months` (one row per
entity × month, township and 门类 copied onto it, index (period, township_code)), not kept as a
stored township × 门类 × month table. Measured locally on 50,000 entities × 12 months (600,000
rows, PostgreSQL 18, one core): a city-wide 产业运行监控 for one month (three months read: the
month, the one before, the one a year before) takes ~60 ms, a township's ~2 ms, and a city-wide
12-month 用电趋势 by township ~150 ms warm. That meets this slice's needs and keeps one source of
truth (no second table to keep in step when an entity changes township or industry); a stored
rollup kept by the consumers is the next step for 36 months × 600,000 entities (issue 13's
benchmark), where a city-wide trend reads 21.6 million rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from services.analytics.domain.changes import change_pct, share_pct
from services.analytics.domain.months import SECTION_NAMES, UNKNOWN_SECTION, UNKNOWN_SECTION_NAME, months_between, shift


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


@dataclass(frozen=True)
class TrendPoint:
    period: str
    entities: int
    kwh: float | None
    kwh_yoy_pct: float | None  # against the same calendar month a year before


def trend(cells: Mapping[str, Cell], first: str, last: str) -> list[TrendPoint]:
    """One group's monthly power from `first` to `last`, each month with its YoY change. `cells`
    must hold the months a year before `first` too. (Aligning January and February to the Spring
    Festival is a later slice: these are calendar-month changes.)"""
    points = []
    for p in months_between(first, last):
        now, was = cells.get(p, EMPTY), cells.get(shift(p, -12), EMPTY)
        points.append(TrendPoint(p, now.entities, now.kwh, change_pct(now.kwh, was.kwh)))
    return points
