"""Silences (静默): a supervisor holds back a rule's alerts for a while — for one entity, an
industry, or an area — with a reason, as Alertmanager does. A silenced finding is still judged and
recorded, only not published; when the silence ends or is lifted, what it held back goes out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

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
