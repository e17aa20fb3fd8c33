import pytest

from services.alerting.domain.rules import MonthFacts, alert_id, power_without_tax
from services.feedback.domain.handling import AlertStatus, TransitionRefused, apply
from shared.contracts import FeedbackAction


def _month(kwh, tax, reported=True):
    return MonthFacts("91350100M000100Y43", "某某公司", "445202001", "2026-10", kwh, tax, reported)


def test_power_without_tax_fires_only_on_use_with_zero_reported_tax():
    finding = power_without_tax(_month(500, 0), min_kwh=1)
    assert finding is not None and finding.facts == {"kwh": 500, "tax_amount": 0}
    assert finding.alert_id == alert_id("power_without_tax", "91350100M000100Y43", "2026-10")
    assert power_without_tax(_month(500, 10), min_kwh=1) is None
    assert power_without_tax(_month(0.5, 0), min_kwh=1) is None
    assert power_without_tax(_month(500, 0, reported=False), min_kwh=1) is None


def test_a_month_whose_refund_exceeds_its_tax_counts_as_no_tax_paid():
    finding = power_without_tax(_month(500, -120.5), min_kwh=1)
    assert finding is not None and finding.facts["tax_amount"] == -120.5
    assert "净退税 120.50 元" in finding.message_zh


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
