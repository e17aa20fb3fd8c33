"""Silences (静默): a supervisor holds back a rule's alerts for a while — for one entity, an
industry, or an area — with a reason, as Alertmanager does. A silenced finding is still judged and
recorded, only not published; when the silence ends or is lifted, what it held back goes out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.contracts import DispositionEffect, FeedbackPayload

from services.alerting.domain.catalogue import Finding
from services.alerting.domain.history import Entity, division


@dataclass(frozen=True)
class Silence:
    """Every matcher given must match: `rule` (None: every rule), `uscc`, `industry` (a GB/T 4754
    大类 such as C13), and always `township_prefix` (a township, a county or the city)."""

    silence_id: uuid.UUID
    township_prefix: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    rule: str | None = None
    uscc: str | None = None
    industry: str | None = None
    lifted_at: datetime | None = None

    def active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at and (self.lifted_at is None or at < self.lifted_at)

    def matches(self, finding: Finding, entity: Entity) -> bool:
        return (
            finding.township_code.startswith(self.township_prefix)
            and self.rule in (None, finding.rule)
            and self.uscc in (None, finding.uscc)
            and self.industry in (None, division(entity.industry_code))
        )


def silencing(finding: Finding, entity: Entity, silences: list[Silence], at: datetime) -> Silence | None:
    """The active silence that holds this finding back, if any (the one ending last: it holds longest)."""
    holding = [s for s in silences if s.active(at) and s.matches(finding, entity)]
    return max(holding, key=lambda s: s.ends_at, default=None)


_FINDING_SILENCES = uuid.UUID("5f1d2c3b-7a8e-5b90-a1c2-d3e4f5a6b7c8")
FOREVER = timedelta(days=365 * 100)


def silence_for(finding: FeedbackPayload, event_id: uuid.UUID) -> dict | None:
    """The silence a township's finding asks for, as a row: 误报 (suppress) holds the alert's rule back
    for its entity until the policy's date; 迁出/注销 (stop_judging) every rule for it from now on —
    nothing it does later is the township's to verify. Its id comes from the event, so a redelivery
    adds nothing."""
    if finding.uscc is None:
        return None
    if finding.effect is DispositionEffect.SUPPRESS and finding.suppress_until is not None and finding.rule:
        rule, ends_at, why = finding.rule, finding.suppress_until, "乡镇核实为误报"
    elif finding.effect is DispositionEffect.STOP_JUDGING:
        rule, ends_at, why = None, finding.submitted_at + FOREVER, "乡镇核实企业已迁出或注销"
    else:
        return None
    return {
        "silence_id": uuid.uuid5(_FINDING_SILENCES, str(event_id)), "rule": rule, "uscc": finding.uscc,
        "industry": None, "township_prefix": "", "starts_at": finding.submitted_at, "ends_at": ends_at,
        "reason": f"{why}：{finding.note}"[:500], "created_by": finding.actor,
    }
