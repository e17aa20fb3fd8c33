"""区域概况's map and ranking: which measure colours the map, the figures per county-level division,
and the colour scale (pure: the page's data is computed here, the script only draws it).

A measure is a count (entities, records, open alerts, …) or a share (unmatched records of all
records, resolved alerts of all alerts). A share without a base (no records) is None, shown as
无数据 and left uncoloured, never as 0 %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.analytics.domain.changes import share_pct


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # what the page calls it
    unit: str  # 户, 条, 个 or %
    part: str  # the figure counted
    base: str | None = None  # a share: part of base, in per cent

    @property
    def is_count(self) -> bool:
        return self.base is None

    def of(self, figures: Mapping[str, int]) -> float | None:
        if self.base is None:
            return float(figures[self.part])
        return share_pct(figures[self.part], figures[self.base])


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("entities", "登记主体数", "户", "entities"),
    Measure("records", "部门记录数", "条", "records"),
    Measure("unmatched_records", "未关联记录数", "条", "unmatched_records"),
    Measure("unmatched_share", "未关联记录占比", "%", "unmatched_records", "records"),
    Measure("open_alerts", "待签收预警数", "个", "open_alerts"),
    Measure("resolved_share", "预警办结率", "%", "resolved_alerts", "all_alerts"),
)}
DEFAULT_MEASURE = "entities"
COUNTS = ("entities", "records", "matched_records", "unmatched_records", "open_alerts", "acknowledged_alerts", "resolved_alerts")
# light to dark: the more of the measure, the darker (ECharts' own blues, readable on white)
PALETTE = ("#dbe9f6", "#a9cce3", "#6baed6", "#3182bd", "#08519c")
NO_DATA_COLOUR = "#eeeeee"


def measure_of(key: str | None) -> Measure:
    """The measure asked for; the default for none or an unknown one (a page never fails on it)."""
    return MEASURES.get(key or "", MEASURES[DEFAULT_MEASURE])


def with_all_alerts(figures: Mapping[str, int]) -> dict[str, int]:
    return {**figures, "all_alerts": figures["open_alerts"] + figures["acknowledged_alerts"] + figures["resolved_alerts"]}


def by_division(townships: Sequence[Mapping]) -> list[dict]:
    """The townships' counts summed per county-level division, in code order."""
    divisions: dict[str, dict] = {}
    for t in townships:
        row = divisions.setdefault(t["division_code"], {
            "division_code": t["division_code"], "division_name": t["division_name"], "townships": 0,
            **dict.fromkeys(COUNTS, 0)})
        row["townships"] += 1
        for c in COUNTS:
            row[c] += t[c]
    return [divisions[code] for code in sorted(divisions)]


@dataclass(frozen=True)
class Step:
    low: float  # both ends included
    high: float
    colour: str


def scale(values: Sequence[float | None], counts: bool, palette: Sequence[str] = PALETTE) -> list[Step]:
    """Steps from the smallest to the largest value, at most one per colour, spread over the palette
    from light to dark. Counts (`counts`) get whole-number steps (0–17, 18–35, …; fewer steps when the counts
    span less), shares equal-width ones. Empty when no value is known."""
    known = [v for v in values if v is not None]
    if not known:
        return []
    low, high = min(known), max(known)
    if low == high:
        return [Step(low, high, palette[-1])]
    if counts:
        span = int(high - low) + 1
        width = -(-span // min(len(palette), span))  # ceiling
        bounds = [(low + i * width, min(high, low + (i + 1) * width - 1)) for i in range(-(-span // width))]
    else:
        width = (high - low) / len(palette)
        bounds = [(low + i * width, high if i == len(palette) - 1 else low + (i + 1) * width) for i in range(len(palette))]
    last = len(bounds) - 1
    return [Step(lo, hi, palette[round(i * (len(palette) - 1) / last)]) for i, (lo, hi) in enumerate(bounds)]


def colour_of(value: float | None, steps: Sequence[Step]) -> str:
    """The colour of the first step holding `value`."""
    if value is None or not steps:
        return NO_DATA_COLOUR
    for step in steps:
        if value <= step.high:
            return step.colour
    return steps[-1].colour


def ranked(rows: Sequence[Mapping], measure: Measure, name: str = "township_name") -> list[dict]:
    """Rows with the measure's value, largest first (unknown last), ties by name."""
    valued = [{**r, "value": measure.of(with_all_alerts(r))} for r in rows]
    return sorted(valued, key=lambda r: (r["value"] is None, -(r["value"] or 0.0), r[name]))
