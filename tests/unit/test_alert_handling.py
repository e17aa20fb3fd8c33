import pytest

from services.feedback.domain.handling import AlertStatus, TransitionRefused, apply
from shared.contracts import FeedbackAction


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
