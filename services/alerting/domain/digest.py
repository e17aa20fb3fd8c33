"""A township's daily digest (每日汇总): what is open per rule, what is new since the last one and
what is overdue, in one message — so a township system is not flooded one message per alert on
the day a department imports a month."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

_NAMESPACE = uuid.UUID("9a3f6c2e-1b7d-5e48-a0c9-4d2e8f1b7c36")
NEW_LISTED = 50  # new alerts named one by one; beyond that, counted


@dataclass(frozen=True)
class OpenAlert:
    alert_id: str
    rule: str
    uscc: str
    period: str
    detected_at: datetime
    overdue: bool


@dataclass(frozen=True)
class Digest:
    township_code: str
    day: date
    open_by_rule: dict[str, int]
    new_by_rule: dict[str, int]
    overdue: int
    new: list[OpenAlert]  # the first NEW_LISTED, oldest first
    message_zh: str


def digest(township_code: str, day: date, alerts: Iterable[OpenAlert], since: datetime | None,
           names_zh: Mapping[str, str]) -> Digest | None:
    """None when there is nothing to say: no open alert at all."""
    alerts = sorted(alerts, key=lambda a: (a.detected_at, a.alert_id))
    if not alerts:
        return None
    new = [a for a in alerts if since is None or a.detected_at > since]
    open_by_rule, new_by_rule = Counter(a.rule for a in alerts), Counter(a.rule for a in new)
    overdue = sum(a.overdue for a in alerts)
    parts = "，".join(f"{names_zh.get(rule, rule)} {n} 条" for rule, n in sorted(open_by_rule.items()))
    message = f"{day:%Y年%m月%d日}预警汇总：待办 {len(alerts)} 条（{parts}），新增 {len(new)} 条，逾期 {overdue} 条"
    return Digest(township_code, day, dict(open_by_rule), dict(new_by_rule), overdue, new[:NEW_LISTED], message)


def digest_id(township_code: str, day: date) -> uuid.UUID:
    """One digest per township and day: its id traces it whoever sends it."""
    return uuid.uuid5(_NAMESPACE, f"{township_code}|{day.isoformat()}")
