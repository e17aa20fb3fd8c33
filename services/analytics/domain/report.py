"""The monthly township report (乡镇月度数据分析报告) and 梁柱企业: what a township head takes to the
month's data-analysis meeting and reports upward — the township's figures with their changes, how
far its departments' records are linked, its alerts and their handling, and the entities to visit.

Pure: the report is assembled here from rows the repository read; the API, the page and the
workbook (report_xlsx.py) all show this one assembly.

- **Figures**: tax and power of the month, summed over the township's entities, with MoM and YoY
  (domain/changes.py: None where a month reported nothing, never 0 %), and the 13 months up to it.
- **Linkage (关联)**: department records linked to a registered entity, unlinked (match failed) and
  pending, with the linked and unlinked shares of all records — how far a "no tax" figure can be
  trusted where linking is low.
- **梁柱企业**: the township's largest entities — the top `n` taxpayers and the top `n` power
  users of the month (`n` is the service's setting `pillar_count`) — each with its tax and power now
  and a month before; listed with the biggest percentage move first (an entity that stopped
  reporting a figure moved by −100 %).
- **The entities to visit (走访清单)**: one row per entity with every reason to go: an alert not yet
  办结, long-term suspension, a 梁柱企业 whose tax or power fell by `drop_pct` or more, one of the
  month's biggest movers that fell. Most reasons first, then by the reasons' order below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from services.analytics.domain.changes import change_pct, share_pct
from services.analytics.domain.industries import Cell
from services.analytics.domain.overview import TownshipFigures
from services.analytics.domain.months import shift

DROP_PCT = 30.0  # a 梁柱企业's fall of this many per cent or more is a reason to visit

# why an entity is on the list to visit, in the order the list ranks them
ALERT, SUSPENDED, PILLAR_FELL, MOVER_FELL = "alert", "suspended", "pillar_fell", "mover_fell"
REASON_ORDER = (ALERT, SUSPENDED, PILLAR_FELL, MOVER_FELL)
MEASURE_ZH = {"tax": "纳税", "kwh": "用电"}


@dataclass(frozen=True)
class Headline:
    """The township's month: entities with figures, tax and power, their MoM and YoY."""

    entities: int
    entities_before: int
    tax: float | None
    tax_before: float | None
    tax_year_before: float | None
    kwh: float | None
    kwh_before: float | None
    kwh_year_before: float | None
    tax_mom_pct: float | None
    tax_yoy_pct: float | None
    kwh_mom_pct: float | None
    kwh_yoy_pct: float | None


def headline(totals: Mapping[str, Cell], period: str) -> Headline:
    """`totals`: the township's figures per month (at least `period`, the month before and the year before)."""
    empty = Cell()
    now, before, year = (totals.get(p, empty) for p in (period, shift(period, -1), shift(period, -12)))
    return Headline(
        entities=now.entities, entities_before=before.entities,
        tax=now.tax, tax_before=before.tax, tax_year_before=year.tax,
        kwh=now.kwh, kwh_before=before.kwh, kwh_year_before=year.kwh,
        tax_mom_pct=change_pct(now.tax, before.tax), tax_yoy_pct=change_pct(now.tax, year.tax),
        kwh_mom_pct=change_pct(now.kwh, before.kwh), kwh_yoy_pct=change_pct(now.kwh, year.kwh),
    )


TREND_MONTHS = 13  # the report's chart: the month and the twelve before it, so last year's month is beside it


def trend_months(period: str, n: int = TREND_MONTHS) -> list[str]:
    """The months the report's trend shows, oldest first, ending with `period`."""
    return [shift(period, i - n + 1) for i in range(n)]


def trend(totals: Mapping[str, Cell], period: str) -> list[tuple[str, Cell]]:
    """The township's tax and power month by month up to `period` (a month without figures: no
    figures, never zero), for the report's chart and its workbook's sheet."""
    return [(p, totals.get(p, Cell())) for p in trend_months(period)]


def month_totals(cells: Mapping[tuple[str, str], Cell]) -> dict[str, Cell]:
    """Per-门类 cells ((section, period) → Cell) summed per month."""
    by_month: dict[str, list[Cell]] = {}
    for (_, period), cell in cells.items():
        by_month.setdefault(period, []).append(cell)
    return {p: Cell(sum(c.entities for c in cs), _sum(c.kwh for c in cs), _sum(c.tax for c in cs)) for p, cs in by_month.items()}


def _sum(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


@dataclass(frozen=True)
class Linkage:
    """The township's department records (registrations aside) by how far they are linked."""

    records: int
    linked: int
    unlinked: int
    pending: int
    linked_pct: float | None
    unlinked_pct: float | None


def linkage(figures: TownshipFigures) -> Linkage:
    pending = figures.records - figures.matched_records - figures.unmatched_records
    return Linkage(
        records=figures.records, linked=figures.matched_records, unlinked=figures.unmatched_records, pending=pending,
        linked_pct=share_pct(figures.matched_records, figures.records),
        unlinked_pct=share_pct(figures.unmatched_records, figures.records),
    )


@dataclass(frozen=True)
class Pillar:
    """One of the largest entities, with its month and the month before."""

    uscc: str
    name: str
    industry: str | None
    tax: float | None
    tax_before: float | None
    kwh: float | None
    kwh_before: float | None
    tax_rank: int | None  # 1 = the largest taxpayer of the month; None: not among the top n
    kwh_rank: int | None
    tax_change_pct: float | None
    kwh_change_pct: float | None
    moved_pct: float | None  # the larger move of its two figures, by size (the sign kept)

    def fell(self, drop_pct: float) -> list[str]:
        """The measures (tax, kwh) that fell by `drop_pct` per cent or more."""
        return [m for m, pct in (("tax", self.tax_change_pct), ("kwh", self.kwh_change_pct)) if pct is not None and pct <= -drop_pct]


def _stopped(now: float | None, before: float | None) -> float | None:
    """A change where a figure stopped being reported counts as −100 %; else as changes.change_pct."""
    if now is None and before is not None and before > 0:
        return -100.0
    return change_pct(now, before)


def pillars(candidates: Sequence[Mapping], n: int) -> list[Pillar]:
    """梁柱企业 from `candidates` (uscc, name, industry, tax, tax_before, kwh, kwh_before: the
    area's largest entities by either figure, more than needed is fine): the top `n` by tax and the
    top `n` by power of the month, one row each, the biggest move first (unknown moves last, then
    by rank)."""
    by_tax = _top(candidates, "tax", n)
    by_kwh = _top(candidates, "kwh", n)
    rows = []
    for c in candidates:
        if c["uscc"] not in by_tax and c["uscc"] not in by_kwh:
            continue
        rows.append(Pillar(
            uscc=c["uscc"], name=c["name"], industry=c.get("industry"),
            tax=c["tax"], tax_before=c["tax_before"], kwh=c["kwh"], kwh_before=c["kwh_before"],
            tax_rank=by_tax.get(c["uscc"]), kwh_rank=by_kwh.get(c["uscc"]),
            tax_change_pct=(tax := _stopped(c["tax"], c["tax_before"])), kwh_change_pct=(kwh := _stopped(c["kwh"], c["kwh_before"])),
            moved_pct=max((m for m in (tax, kwh) if m is not None), key=abs, default=None),
        ))
    best = lambda p: min(r for r in (p.tax_rank, p.kwh_rank) if r is not None)  # noqa: E731
    rows.sort(key=lambda p: (p.moved_pct is None, -abs(p.moved_pct or 0.0), best(p), p.uscc))
    return rows


def _top(candidates: Sequence[Mapping], measure: str, n: int) -> dict[str, int]:
    """uscc → rank (1 first) of the `n` largest positive figures of `measure`, ties by code."""
    ranked = sorted((c for c in candidates if (c[measure] or 0) > 0), key=lambda c: (-c[measure], c["uscc"]))
    return {c["uscc"]: i for i, c in enumerate(ranked[:n], 1)}


@dataclass(frozen=True)
class Reason:
    kind: str  # ALERT, SUSPENDED, PILLAR_FELL or MOVER_FELL
    text: str  # as the township reads it


@dataclass
class Visit:
    uscc: str
    name: str
    reasons: list[Reason] = field(default_factory=list)


def to_visit(
    pending_alerts: Sequence[Mapping], suspended: Sequence[Mapping], pillar_rows: Sequence[Pillar],
    movers: Sequence[Mapping], drop_pct: float = DROP_PCT,
) -> list[Visit]:
    """The entities to visit, one row each with all its reasons.

    `pending_alerts`: uscc, name, rule_zh, state_zh, period of alerts not yet 办结; `suspended`:
    uscc, name, months, from_period of 长期停业 alerts not yet 办结; `movers`: uscc, name, measure,
    now, before, pct (the month's biggest movers; only those that fell count)."""
    visits: dict[str, Visit] = {}

    def add(uscc: str | None, name: str | None, reason: Reason) -> None:
        if not uscc:
            return
        visit = visits.setdefault(uscc, Visit(uscc, name or uscc))
        if reason not in visit.reasons:
            visit.reasons.append(reason)

    for a in pending_alerts:
        add(a["uscc"], a["name"], Reason(ALERT, f"{a['rule_zh']}预警{a['state_zh']}（{a['period'] or '—'}）"))
    for s in suspended:
        months = f"{int(s['months'])} 个月" if isinstance(s.get("months"), int | float) else "多月"
        since = f"，自 {s['from_period']} 起" if s.get("from_period") else ""
        add(s["uscc"], s["name"], Reason(SUSPENDED, f"长期停业：连续 {months}无用电或纳税{since}"))
    for p in pillar_rows:
        for measure in p.fell(drop_pct):
            pct = p.tax_change_pct if measure == "tax" else p.kwh_change_pct
            add(p.uscc, p.name, Reason(PILLAR_FELL, f"梁柱企业{MEASURE_ZH[measure]}环比 {pct:+.1f}%"))
    for m in movers:
        if m["before"] is None or (m["now"] is not None and m["now"] >= m["before"]):
            continue  # rose, or a newcomer: no reason to go
        measure = MEASURE_ZH[m["measure"]]
        if m["now"] is None:
            text = f"{measure}本月无数据（上月 {m['before']:,.0f}）"
        else:
            pct = f"（{m['pct']:+.1f}%）" if m.get("pct") is not None else ""
            text = f"{measure}环比减少 {m['before'] - m['now']:,.0f}{pct}"
        add(m["uscc"], m["name"], Reason(MOVER_FELL, f"变动最大：{text}"))
    order = {kind: i for i, kind in enumerate(REASON_ORDER)}
    return sorted(visits.values(), key=lambda v: (-len(v.reasons), min(order[r.kind] for r in v.reasons), v.name, v.uscc))
