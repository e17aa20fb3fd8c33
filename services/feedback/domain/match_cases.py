"""Match cases: a department source key the matcher could not link, decided once by its township.

A case is per source key (户号, 纳税人识别号), not per record: the decision applies to every
record of that key, past and future, so the township answers each question once.

A case and everything in it belongs to exactly one township at a time: the township of its newest
record (by period, then arrival). When a newer record places the key in another township (the
account moved, or the department corrected it), the whole case moves there — the old township
no longer sees its records or may decide it — and the move is recorded for both to see.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import uuid
from datetime import datetime

from shared import ids, uscc
from shared.contracts import FeedbackAction, MatchDecision, MatchFailureReason

from services.feedback.domain.cases import Refusal, TransitionRefused

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
        raise TransitionRefused("note_required", "请填写核实情况说明", Refusal.INVALID)
    codes = [uscc.normalise(code) for code in usccs]
    if bad := [code for code in codes if not uscc.is_valid(code)]:
        raise TransitionRefused("uscc_invalid", f"统一社会信用代码无效：{'、'.join(bad)}", Refusal.INVALID)
    if len(set(codes)) != len(codes):
        raise TransitionRefused("uscc_repeated", "同一统一社会信用代码只能填写一次", Refusal.INVALID)
    wanted = {FeedbackAction.LINK: (1, 1), FeedbackAction.NOT_REGISTERED: (0, 0), FeedbackAction.SPLIT: (2, 50),
              FeedbackAction.NOT_SAME_ENTITY: (1, 50)}
    low, high = wanted[action]
    if not low <= len(codes) <= high:
        message = {
            FeedbackAction.LINK: "关联须填写一个统一社会信用代码",
            FeedbackAction.NOT_REGISTERED: "认定无商事登记时不应填写统一社会信用代码",
            FeedbackAction.SPLIT: "分户须填写两个及以上统一社会信用代码",
            FeedbackAction.NOT_SAME_ENTITY: "请填写经核实并非该用户（纳税人）的主体的统一社会信用代码",
        }[action]
        raise TransitionRefused("usccs_count", message, Refusal.INVALID)
    if action is FeedbackAction.SPLIT:
        shares = shares or [1 / len(codes)] * len(codes)  # equal parts unless the township says otherwise
        if (len(shares) != len(codes) or not all(math.isfinite(s) and s > 0 for s in shares)
                or abs(sum(shares) - 1) > 1e-6):  # NaN passes every comparison: refused by name
            raise TransitionRefused("shares_invalid", "分户比例须为正数、与代码一一对应，且合计为 1", Refusal.INVALID)
    else:
        shares = []
    return MatchDecision(department=department, source_key=source_key, usccs=codes, shares=shares)


@dataclasses.dataclass(frozen=True)
class Failure:
    """One record the matcher sent for review, as its case sees it."""

    township_code: str
    basis: str  # how new the record is: its period, then its arrival ("2026-10|2026-11-03T08:00:00+00:00")
    record_id: str
    details: dict  # name, reason, message_zh, candidates: shown as the case's
    occurred_at: datetime


@dataclasses.dataclass(frozen=True)
class Case:
    case_id: uuid.UUID
    township_code: str
    township_basis: str
    department: str
    kind: str
    source_key: str
    details: dict
    record_ids: tuple[str, ...]
    status: CaseStatus
    opened_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class Move:
    case_id: uuid.UUID
    from_township_code: str
    to_township_code: str
    record_id: str  # the record that placed the key in its new township
    moved_at: datetime


def basis(period: str | None, received_at: datetime) -> str:
    return f"{period or ''}|{received_at.isoformat()}"


def follow(case: Case | None, failures: list[Failure], *, department: str, kind: str, source_key: str) -> tuple[Case, list[Move]]:
    """The case after these failures of its source key arrived, and the moves they caused.

    A newer record joins the case and reopens it (the matcher sends a record for review again only
    when the township's decision could not be applied), except one that was on its way before the
    decision; the case's township and what it shows follow its newest record."""
    moves: list[Move] = []
    for failure in failures:
        if case is None:
            case = Case(
                case_id(department, source_key), failure.township_code, failure.basis, department, kind, source_key,
                failure.details, (failure.record_id,), CaseStatus.OPEN, failure.occurred_at, failure.occurred_at,
            )
            continue
        late = case.status is CaseStatus.DECIDED and failure.occurred_at <= case.updated_at
        changes: dict = {
            "record_ids": tuple(sorted({*case.record_ids, failure.record_id})),
            "status": case.status if late else CaseStatus.OPEN,
            "updated_at": max(case.updated_at, failure.occurred_at),
        }
        if failure.basis >= case.township_basis:
            changes |= {"township_code": failure.township_code, "township_basis": failure.basis, "details": failure.details}
            if failure.township_code != case.township_code:
                moves.append(Move(case.case_id, case.township_code, failure.township_code, failure.record_id,
                                  failure.occurred_at))
        case = dataclasses.replace(case, **changes)
    assert case is not None, "follow() needs at least one failure"
    return case, moves
