"""Match cases: a department source key the matcher could not link, decided once by its township.

A case is per source key (户号, 纳税人识别号), not per record: the decision applies to every
record of that key, past and future, so the township answers each question once.
"""

from __future__ import annotations

import enum
import math
import uuid

from shared import ids, uscc
from shared.contracts import FeedbackAction, MatchDecision, MatchFailureReason

from services.feedback.domain.handling import TransitionRefused

_NAMESPACE = uuid.UUID("3d6f0c8e-2b7a-5e41-8c9d-6a1b2c3d4e5f")


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    DECIDED = "decided"


def case_id(department: str, source_key: str) -> uuid.UUID:
    return ids.uuid5(_NAMESPACE, f"{department}|{source_key}")


def opens_case(reason: MatchFailureReason) -> bool:
    """Everything the matcher sends for review; a confirmed-unregistered key was decided already."""
    return reason is not MatchFailureReason.CONFIRMED_UNREGISTERED


def decide(
    status: CaseStatus, action: FeedbackAction, department: str, source_key: str,
    usccs: list[str], shares: list[float] | None, note: str,
) -> MatchDecision:
    """The decision to publish, or TransitionRefused with a code and a Chinese reason."""
    if status is CaseStatus.DECIDED:
        raise TransitionRefused("already_decided", "该核实事项已作出决定，等待系统处理")
    if not note.strip():
        raise TransitionRefused("note_required", "请填写核实情况说明")
    codes = [uscc.normalise(code) for code in usccs]
    if bad := [code for code in codes if not uscc.is_valid(code)]:
        raise TransitionRefused("uscc_invalid", f"统一社会信用代码无效：{'、'.join(bad)}")
    if len(set(codes)) != len(codes):
        raise TransitionRefused("uscc_repeated", "同一统一社会信用代码只能填写一次")
    wanted = {FeedbackAction.LINK: (1, 1), FeedbackAction.NOT_REGISTERED: (0, 0), FeedbackAction.SPLIT: (2, 50)}
    low, high = wanted[action]
    if not low <= len(codes) <= high:
        message = {
            FeedbackAction.LINK: "关联须填写一个统一社会信用代码",
            FeedbackAction.NOT_REGISTERED: "认定无商事登记时不应填写统一社会信用代码",
            FeedbackAction.SPLIT: "分户须填写两个及以上统一社会信用代码",
        }[action]
        raise TransitionRefused("usccs_count", message)
    if action is FeedbackAction.SPLIT:
        shares = shares or [1 / len(codes)] * len(codes)  # equal parts unless the township says otherwise
        if (len(shares) != len(codes) or not all(math.isfinite(s) and s > 0 for s in shares)
                or abs(sum(shares) - 1) > 1e-6):  # NaN passes every comparison: refused by name
            raise TransitionRefused("shares_invalid", "分户比例须为正数、与代码一一对应，且合计为 1")
    else:
        shares = []
    return MatchDecision(department=department, source_key=source_key, usccs=codes, shares=shares)
