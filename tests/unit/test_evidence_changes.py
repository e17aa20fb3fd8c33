"""What changed since an alert was raised, as the case page lists it: only the differences, in the
words and units of the evidence packet."""

import uuid
from datetime import date

from services.feedback.domain.evidence import Change, changes_since
from shared.contracts import EvidenceLink, EvidenceMonth, EvidencePacket


def _link(source_key: str) -> EvidenceLink:
    return EvidenceLink(record_id=uuid.uuid4(), department="power_supply", kind="power_usage", source_key=source_key,
                        period="2026-10", method="exact_uscc", score=1.0)


def _packet(months, status="active", since=None, links=("P1",)) -> EvidencePacket:
    return EvidencePacket(industry_code="3311", status=status, status_since=since,
                          months=[EvidenceMonth(period=p, kwh=k, tax=t) for p, k, t in months],
                          links=[_link(key) for key in links])


def test_an_unchanged_packet_has_no_changes():
    packet = _packet([("2026-09", 100.0, 0.0), ("2026-10", 25000.0, 0.0)])
    assert changes_since(packet, packet) == []


def test_each_changed_figure_registration_and_record_is_listed_before_and_now():
    frozen = _packet([("2026-09", 100.0, None), ("2026-10", 25000.0, 0.0)])
    now = _packet([("2026-09", 100.0, 1234.5), ("2026-10", 18000.0, 0.0)], status="deregistered",
                  since=date(2026, 11, 3), links=("P2",))

    assert changes_since(frozen, now) == [
        Change("登记状态", "存续", "注销（2026-11-03）"),
        Change("2026-09 纳税（元）", "无记录", "1,234.50"),
        Change("2026-10 用电（千瓦时）", "25,000", "18,000"),
        Change("关联记录 P1", "作为依据", "不再作为依据"),
        Change("关联记录 P2", "—", "新增为依据"),
    ]
