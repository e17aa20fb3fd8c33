"""How a township handles an alert (闭环): open → acknowledged → resolved, and nothing backwards."""

from __future__ import annotations

import enum

from shared.contracts import FeedbackAction


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class TransitionRefused(ValueError):
    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(code)
        self.code = code
        self.message_zh = message_zh


_NEXT = {
    (AlertStatus.OPEN, FeedbackAction.ACKNOWLEDGE): AlertStatus.ACKNOWLEDGED,
    (AlertStatus.OPEN, FeedbackAction.RESOLVE): AlertStatus.RESOLVED,
    (AlertStatus.ACKNOWLEDGED, FeedbackAction.RESOLVE): AlertStatus.RESOLVED,
}


def apply(status: AlertStatus, action: FeedbackAction, note: str) -> AlertStatus:
    """The status after `action`; a resolution must say what was done (it is assessed)."""
    if action is FeedbackAction.RESOLVE and not note.strip():
        raise TransitionRefused("note_required", "办结时须填写处理情况说明")
    new = _NEXT.get((status, action))
    if new is None:
        if status is AlertStatus.RESOLVED:
            raise TransitionRefused("already_resolved", "该预警已办结，不能再次操作")
        raise TransitionRefused("already_acknowledged", "该预警已签收")
    return new
