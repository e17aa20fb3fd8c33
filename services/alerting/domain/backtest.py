"""Backtest (回测): what a proposed rule set would have raised over the stored history, set against
the alerts raised today and against what the townships found when they handled them.

Counted per rule × period × township (county = its first six digits), so a change is judged where
it lands. Counts of chunks of entities add up (`merge`): the service compares each chunk where it
is judged and only the counts travel.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, fields

from services.alerting.domain.catalogue import Finding
from services.alerting.domain.history import month_of_period

RESOLVED = "resolved"


@dataclass(frozen=True)
class StoredAlert:
    alert_id: uuid.UUID
    rule: str
    uscc: str
    period: str
    township_code: str
    status: str  # the township's handling: open, acknowledged, resolved
    supported: bool
    inhibited: bool
    finding: str | None = None  # the disposition's effect the township resolved it with

    @property
    def raised(self) -> bool:
        """Today's open alerts are the ones townships have: supported by the data and not silenced
        (whatever their handling status: a resolved alert is still on the township's record)."""
        return self.supported and not self.inhibited


def handled(alert: StoredAlert) -> bool:
    return alert.status == RESOLVED


def confirmed(alert: StoredAlert) -> bool:
    """Whether the township found the anomaly real: resolved as 属实 (the `confirmed` effect). A
    resolution from before dispositions existed carries no finding and counts as confirmed."""
    return alert.status == RESOLVED and alert.finding in (None, "confirmed")


@dataclass
class Counts:
    would_fire: int = 0  # alerts the proposal raises (published, not silenced)
    currently_open: int = 0  # alerts raised today (StoredAlert.raised)
    would_disappear: int = 0  # raised today, not by the proposal
    would_appear: int = 0  # raised by the proposal, not today
    handled: int = 0  # stored alerts townships resolved
    confirmed: int = 0  # of those, the ones that count as confirmed (`confirmed`)
    confirmed_missed: int = 0  # confirmed alerts the proposal would not raise

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def confirmed_share(self) -> float | None:
        """The share of handled alerts that were confirmed; None before any was handled."""
        return self.confirmed / self.handled if self.handled else None


Key = tuple[str, str, str]  # rule, period, township_code


def compare(proposed: Iterable[Finding], alerts: Iterable[StoredAlert], judged: Container[str]) -> dict[Key, Counts]:
    """The proposal's published findings against the stored alerts of the same entities; `judged`:
    the months judged (an alert counts when its period ends in one). An alert of a rule the proposal
    does not run would not be raised by it: it counts as disappearing."""
    proposal = {f.alert_id: (f.rule, f.period, f.township_code) for f in proposed}
    counts: defaultdict[Key, Counts] = defaultdict(Counts)
    for key in proposal.values():
        counts[key].would_fire += 1
    raised = set()
    for alert in alerts:
        if month_of_period(alert.period) not in judged:
            continue
        c = counts[(alert.rule, alert.period, alert.township_code)]
        kept = alert.alert_id in proposal
        if alert.raised:
            raised.add(alert.alert_id)
            c.currently_open += 1
            c.would_disappear += not kept
        if handled(alert):
            c.handled += 1
        if confirmed(alert):
            c.confirmed += 1
            c.confirmed_missed += not kept
    for alert_id, key in proposal.items():
        if alert_id not in raised:
            counts[key].would_appear += 1
    return dict(counts)


def merge(into: dict[Key, Counts], part: Mapping[Key, Counts]) -> None:
    for key, counts in part.items():
        into.setdefault(key, Counts()).add(counts)


@dataclass(frozen=True)
class Row:
    rule: str
    period: str
    county: str
    township_code: str
    counts: Counts


@dataclass(frozen=True)
class Report:
    rows: list[Row]  # by rule, period, township
    rules: dict[str, Counts]  # per rule, in rule order
    totals: Counts

    @classmethod
    def of(cls, counts: Mapping[Key, Counts]) -> Report:
        rows = [Row(rule, period, township[:6], township, c) for (rule, period, township), c in sorted(counts.items())]
        return cls._summed(rows)

    @classmethod
    def _summed(cls, rows: list[Row]) -> Report:
        rules: dict[str, Counts] = {}
        totals = Counts()
        for row in rows:
            rules.setdefault(row.rule, Counts()).add(row.counts)
            totals.add(row.counts)
        return cls(rows, rules, totals)

    def within(self, township_prefix: str) -> Report:
        """Only the townships a supervisor oversees, summed again."""
        return self._summed([row for row in self.rows if row.township_code.startswith(township_prefix)])
