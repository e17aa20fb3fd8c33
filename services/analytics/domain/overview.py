"""The regional overview (区域概况): per township, what is registered, linked and being handled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from shared.reference import TOWNSHIPS

MATCH_PENDING, MATCH_FAILED, MATCH_OK = 0, 1, 2
ALERT_OPEN, ALERT_ACKNOWLEDGED, ALERT_RESOLVED = 0, 1, 2


@dataclass
class TownshipFigures:
    entities: int = 0
    records: int = 0
    matched_records: int = 0
    unmatched_records: int = 0
    open_alerts: int = 0
    acknowledged_alerts: int = 0
    resolved_alerts: int = 0

    def add(self, other: TownshipFigures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def overview(figures: Mapping[str, TownshipFigures], township_prefix: str) -> tuple[list[dict], TownshipFigures]:
    """Every township in scope, including those with nothing yet (zeros are information too)."""
    rows, totals = [], TownshipFigures()
    for code, township in sorted(TOWNSHIPS.items()):
        if not code.startswith(township_prefix):
            continue
        figs = figures.get(code, TownshipFigures())
        totals.add(figs)
        rows.append(
            {
                "township_code": code,
                "township_name": township.name,
                "division_code": township.division_code,
                "division_name": township.division_name,
                **figs.__dict__,
            }
        )
    return rows, totals
