"""What a fresh judgement of an entity-month means for the alerts already raised for it.

Alerts follow the data both ways: a finding that appears is published (anomaly-detected); an alert
the data no longer supports (a correction, a late record) is withdrawn and said so
(anomaly-resolved), so no township chases it; if the data comes back to it, the same alert id is
published again. An alert the data still supports with other figures is told again as changed
(anomaly-updated), so the township verifies what the data says now. Inhibited findings are
recorded and never published.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.alerting.domain.catalogue import Finding, Judgement


@dataclass(frozen=True)
class Raised:
    """An alert as stored: whether the data supported it when last judged, and whether it was silenced."""

    alert_id: uuid.UUID
    rule: str
    supported: bool
    inhibited: bool
    facts: Mapping[str, float | str] | None = None  # as last told; None: not known (nothing to compare)

    @property
    def published(self) -> bool:
        """A township has it and has not been told it is gone."""
        return self.supported and not self.inhibited


@dataclass
class Outcome:
    recorded: list[tuple[Finding, bool]] = field(default_factory=list)  # every finding, with `inhibited`
    detected: list[Finding] = field(default_factory=list)  # to publish as anomaly-detected
    withdrawn: list[uuid.UUID] = field(default_factory=list)  # no longer supported by the data
    resolved: list[uuid.UUID] = field(default_factory=list)  # to publish as anomaly-resolved
    updated: list[tuple[Finding, Mapping]] = field(default_factory=list)  # anomaly-updated, with the facts told before

    def add(self, other: Outcome) -> None:
        self.recorded += other.recorded
        self.detected += other.detected
        self.updated += other.updated
        self.withdrawn += other.withdrawn
        self.resolved += other.resolved


def reconcile(judgement: Judgement, raised: list[Raised], judged_rules: frozenset[str]) -> Outcome:
    """`raised`: the alerts stored for the judged entity and period(s); `judged_rules`: the rules the
    judgement ran (an alert of a rule the rule set no longer runs is left as it is)."""
    before = {r.alert_id: r for r in raised}
    outcome = Outcome()
    found: set[uuid.UUID] = set()
    for finding, inhibited in [(f, False) for f in judgement.findings] + [(f, True) for f in judgement.inhibited]:
        found.add(finding.alert_id)
        outcome.recorded.append((finding, inhibited))
        earlier = before.get(finding.alert_id)
        if not inhibited and (earlier is None or not earlier.published):
            outcome.detected.append(finding)
        elif not inhibited and earlier.facts is not None and dict(earlier.facts) != finding.facts:
            outcome.updated.append((finding, earlier.facts))
        elif inhibited and earlier is not None and earlier.published:
            outcome.resolved.append(finding.alert_id)  # silenced now: the township's copy is taken back
    for alert in raised:
        if alert.alert_id not in found and alert.rule in judged_rules and alert.supported:
            outcome.withdrawn.append(alert.alert_id)
            if not alert.inhibited:
                outcome.resolved.append(alert.alert_id)
    return outcome
