"""Correction requests (数据错误): a township verified an alert on site and found the records it rests on
wrong. Each department whose records they are is asked to check them and send them again; the request
is answered when the department sends one of those records again changed (a correction: the same
kind, source key and period, new content).

Pure: the feedback event and what ingest holds in, the requests (and which are answered) out. Each answer is
told on `corrections` too, so that feedback's 效能监测 charges the wait to the department, not the township."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.contracts import DispositionEffect, FeedbackAction, FeedbackPayload
from shared.reference import TOWNSHIPS, department_name

_NAMESPACE = uuid.UUID("3d8f5a61-2b7c-4e0f-9a14-6c5e8b2d7f93")
MAX_LISTED = 20  # records named in the message; the request itself carries them all


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"

    @property
    def label_zh(self) -> str:
        return {RequestStatus.OPEN: "待核对", RequestStatus.ANSWERED: "已重新报送"}[self]


@dataclass(frozen=True, order=True)
class StoredRecord:
    """A record as ingest holds it: its identity, without its content."""

    department: str
    kind: str
    source_key: str
    period: str | None
    record_id: uuid.UUID


@dataclass(frozen=True)
class CorrectionRequest:
    request_id: uuid.UUID
    feedback_id: uuid.UUID
    alert_id: uuid.UUID
    department: str
    records: tuple[StoredRecord, ...]
    township_code: str
    note: str
    rule: str | None
    uscc: str | None
    period: str | None
    requested_at: datetime

    @property
    def message_zh(self) -> str:
        return message_zh(self)


def request_id(feedback_id: uuid.UUID, department: str) -> uuid.UUID:
    """The same finding asks the same department once, however often its event is delivered."""
    return uuid.uuid5(_NAMESPACE, f"{feedback_id}:{department}")


def asks_for_correction(feedback: FeedbackPayload) -> bool:
    return feedback.action is FeedbackAction.RESOLVE and feedback.effect is DispositionEffect.CORRECTION_REQUEST


def requests_for(feedback: FeedbackPayload, found: Iterable[StoredRecord]) -> list[CorrectionRequest]:
    """One request per department whose records the alert rests on: those of `found` (the records ingest
    holds) that the finding names. Nothing when the finding is not 数据错误 or names none of them."""
    if not asks_for_correction(feedback):
        return []
    named = set(feedback.record_ids)
    by_department: dict[str, list[StoredRecord]] = {}
    for record in sorted(set(found)):
        if record.record_id in named:
            by_department.setdefault(record.department, []).append(record)
    return [
        CorrectionRequest(
            request_id=request_id(feedback.feedback_id, department),
            feedback_id=feedback.feedback_id,
            alert_id=feedback.alert_id,
            department=department,
            records=tuple(records),
            township_code=feedback.township_code,
            note=feedback.note.strip(),
            rule=feedback.rule,
            uscc=feedback.uscc,
            period=feedback.period,
            requested_at=feedback.submitted_at,
        )
        for department, records in sorted(by_department.items())
    ]


@dataclass(frozen=True)
class OpenRequest:
    """A request still waiting for its department, as ingest holds it."""

    request_id: uuid.UUID
    feedback_id: uuid.UUID
    alert_id: uuid.UUID
    department: str
    township_code: str
    requested_at: datetime
    records: tuple[StoredRecord, ...]


def answered_by(requests: Iterable[OpenRequest], corrected: Collection[StoredRecord]) -> list[OpenRequest]:
    return [request for request in requests if answered(request.records, corrected)]


def answer_message_zh(request: OpenRequest) -> str:
    return (f"{department_name(request.department)}部门已重新报送{_where(request.township_code)}核实认为有误的记录，"
            f"更正请求已办结。")


def answered(request_records: Iterable[StoredRecord], corrected: Collection[StoredRecord]) -> bool:
    """A request is answered once the department sends one of its records again changed: the same kind,
    source key and period. A resubmission identical to what was held is no answer (nothing was corrected)."""
    keys = {(r.department, r.kind, r.source_key, r.period) for r in corrected}
    return any((r.department, r.kind, r.source_key, r.period) in keys for r in request_records)


def _where(township_code: str) -> str:
    township = TOWNSHIPS.get(township_code)
    return f"{township.division_name}{township.name}" if township else f"乡镇（街道）{township_code}"


def message_zh(request: CorrectionRequest) -> str:
    where = _where(request.township_code)
    about = "、".join(p for p in (request.rule, request.uscc, request.period) if p)
    listed = "；".join(
        f"{r.kind} {r.source_key}" + (f" {r.period}" if r.period else "") for r in request.records[:MAX_LISTED]
    )
    more = f"等 {len(request.records)} 条" if len(request.records) > MAX_LISTED else f"共 {len(request.records)} 条"
    text = f"{where}核实预警（{about}）后认为以下记录有误，请核对后重新报送：{listed}（{more}）。"
    if request.note:
        text += f"乡镇核实说明：{request.note}"
    return text
