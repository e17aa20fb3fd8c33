import uuid
from datetime import UTC, datetime

import pytest

from services.alerting.domain.rules import MonthFacts, alert_id, power_without_tax
from services.feedback.domain.handling import AlertStatus, TransitionRefused, apply
from services.matcher.domain.matching import Entity, Linked, Unlinked, link
from shared.contracts import FeedbackAction, ImportedRecord, MatchFailureReason, MatchMethod


def _record(uscc):
    return ImportedRecord(
        record_id=uuid.uuid4(),
        version=1,
        department="power_supply",
        kind="power_usage",
        source_key="0300123456",
        period="2026-10",
        township_code="445202001",
        uscc=uscc,
        received_at=datetime.now(UTC),
        data={},
    )


ENTITY = Entity("91350100M000100Y43", "揭阳市某某有限公司", "445202001", "active")


def test_exact_code_links_with_full_score():
    decision = link(_record(ENTITY.uscc), ENTITY)
    assert isinstance(decision, Linked)
    assert decision.method is MatchMethod.EXACT_USCC and decision.score == 1.0


@pytest.mark.parametrize(
    ("uscc", "entity", "reason"),
    [(None, None, MatchFailureReason.NO_CODE), ("91350100M000100Y43", None, MatchFailureReason.CODE_NOT_REGISTERED)],
)
def test_unlinkable_records_say_why_in_chinese(uscc, entity, reason):
    decision = link(_record(uscc), entity)
    assert isinstance(decision, Unlinked) and decision.reason is reason
    assert "0300123456" in decision.message_zh


def _month(kwh, tax, reported=True):
    return MonthFacts("91350100M000100Y43", "某某公司", "445202001", "2026-10", kwh, tax, reported)


def test_power_without_tax_fires_only_on_use_with_zero_reported_tax():
    finding = power_without_tax(_month(500, 0), min_kwh=1)
    assert finding is not None and finding.facts == {"kwh": 500, "tax_amount": 0}
    assert finding.alert_id == alert_id("power_without_tax", "91350100M000100Y43", "2026-10")
    assert power_without_tax(_month(500, 10), min_kwh=1) is None
    assert power_without_tax(_month(0.5, 0), min_kwh=1) is None
    assert power_without_tax(_month(500, 0, reported=False), min_kwh=1) is None


def test_alert_handling_moves_forward_only():
    assert apply(AlertStatus.OPEN, FeedbackAction.ACKNOWLEDGE, "") is AlertStatus.ACKNOWLEDGED
    assert apply(AlertStatus.ACKNOWLEDGED, FeedbackAction.RESOLVE, "已核实") is AlertStatus.RESOLVED
    assert apply(AlertStatus.OPEN, FeedbackAction.RESOLVE, "已核实") is AlertStatus.RESOLVED
    for status, action, code in [
        (AlertStatus.ACKNOWLEDGED, FeedbackAction.ACKNOWLEDGE, "already_acknowledged"),
        (AlertStatus.RESOLVED, FeedbackAction.ACKNOWLEDGE, "already_resolved"),
        (AlertStatus.RESOLVED, FeedbackAction.RESOLVE, "already_resolved"),
        (AlertStatus.ACKNOWLEDGED, FeedbackAction.RESOLVE, "note_required"),
    ]:
        with pytest.raises(TransitionRefused) as info:
            apply(status, action, "已核实" if code != "note_required" else " ")
        assert info.value.code == code
