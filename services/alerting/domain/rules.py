"""Anomaly rules (预警): pure functions over one entity's facts for one month.

Rule parameters are data (settings), not code, so the reasonable intervals can be tuned per city.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

_NAMESPACE = uuid.UUID("3d0b8f5e-9c2a-5b7d-8e1f-6a4c2b9d0e7f")

POWER_WITHOUT_TAX = "power_without_tax"


@dataclass(frozen=True)
class MonthFacts:
    """What is known of one entity in one month, corrections already applied."""

    uscc: str
    entity_name: str
    township_code: str
    period: str
    kwh: float
    tax_amount: float
    tax_reported: bool
    record_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Finding:
    alert_id: uuid.UUID
    rule: str
    facts: dict[str, float]
    message_zh: str


def alert_id(rule: str, uscc: str, period: str) -> uuid.UUID:
    """One alert per rule, entity and month, however often the facts are re-evaluated."""
    return uuid.uuid5(_NAMESPACE, f"{rule}|{uscc}|{period}")


def power_without_tax(facts: MonthFacts, min_kwh: float) -> Finding | None:
    """用电无税: electricity used but the month's reported tax is zero — or negative: a refund
    (退税) larger than what was paid leaves the month without tax paid just the same."""
    if not (facts.tax_reported and facts.tax_amount <= 0 and facts.kwh >= min_kwh):
        return None
    tax = "为零" if facts.tax_amount == 0 else f"为净退税 {-facts.tax_amount:,.2f} 元"
    return Finding(
        alert_id=alert_id(POWER_WITHOUT_TAX, facts.uscc, facts.period),
        rule=POWER_WITHOUT_TAX,
        facts={"kwh": facts.kwh, "tax_amount": facts.tax_amount},
        message_zh=f"{facts.entity_name}（{facts.uscc}）{facts.period} 用电 {facts.kwh:,.0f} 千瓦时，但当月纳税{tax}，请核实",
    )
