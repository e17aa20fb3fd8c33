"""What changed since an alert was raised: its evidence packet is frozen then, so that the officer
verifies what the township was told; when the data still supports the alert with other figures
(a correction, a late record), alerting says so and the case shows each difference side by side.

Pure: two packets in, the differences in the words of the case page out."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import EvidencePacket

STATUS_ZH = {"active": "存续", "deregistered": "注销", "revoked": "吊销"}
NO_RECORD = "无记录"


@dataclass(frozen=True)
class Change:
    what_zh: str  # e.g. "2026-10 用电（千瓦时）"
    before: str
    after: str


def changes_since(frozen: EvidencePacket, now: EvidencePacket) -> list[Change]:
    """Registration first, then month by month (oldest first) power and tax, then the records the
    alert rests on: only what differs."""
    changes = []
    if (frozen.status, frozen.status_since) != (now.status, now.status_since):
        changes.append(Change("登记状态", _status(frozen), _status(now)))
    if frozen.industry_code != now.industry_code:
        changes.append(Change("行业代码", frozen.industry_code or "—", now.industry_code or "—"))
    before = {m.period: m for m in frozen.months}
    for month in now.months:
        was = before.get(month.period)
        for what, old, new, fmt in (("用电（千瓦时）", was and was.kwh, month.kwh, "{:,.0f}"),
                                    ("纳税（元）", was and was.tax, month.tax, "{:,.2f}")):
            if old != new:
                changes.append(Change(f"{month.period} {what}", _figure(old, fmt), _figure(new, fmt)))
    linked_before = {link.source_key: link for link in frozen.links}
    linked_now = {link.source_key: link for link in now.links}
    for key in sorted(linked_before.keys() - linked_now.keys()):
        changes.append(Change(f"关联记录 {key}", "作为依据", "不再作为依据"))
    for key in sorted(linked_now.keys() - linked_before.keys()):
        changes.append(Change(f"关联记录 {key}", "—", "新增为依据"))
    return changes


def _status(packet: EvidencePacket) -> str:
    label = STATUS_ZH.get(packet.status, packet.status)
    return f"{label}（{packet.status_since}）" if packet.status_since else label


def _figure(value: float | None, fmt: str) -> str:
    return NO_RECORD if value is None else fmt.format(value)
