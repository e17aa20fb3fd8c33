"""The intake use cases, whatever the channel (HTTP batch, file upload, Kafka, CLI):
validate, desensitise, identify, store, publish through the outbox, and judge timeliness."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared import topics
from shared.contracts import (
    FeedbackSubmitted,
    ImportedRecord,
    RecordImported,
    SubmissionAssessed,
    SubmissionPayload,
    derived_event_id,
)
from shared.contracts.events import (
    CorrectionAnswered,
    CorrectionAnswerPayload,
    CorrectionRecord,
    CorrectionRequested,
    CorrectionRequestPayload,
)
from shared.messaging.outbox import UnitOfWork
from shared.records import Frequency, RecordKind
from shared.working_days import CalendarUnknown, WorkingCalendar

from services.ingest.domain import corrections, identity, timeliness
from services.ingest.domain.corrections import StoredRecord
from services.ingest.domain.desensitise import desensitise, protect_source_key
from services.ingest.domain.validation import RowError, ValidRow, period_warning, validate_rows, warnings_of
from services.ingest.storage import repository

PRODUCER = "ingest"
log = logging.getLogger(__name__)


class IntakeRefused(Exception):
    """The whole submission is refused (unknown kind, another department's kind)."""

    def __init__(self, code: str, message_zh: str, status: int) -> None:
        super().__init__(code)
        self.code = code
        self.message_zh = message_zh
        self.status = status


@dataclass
class ImportReport:
    kind: str
    received: int = 0
    accepted: int = 0
    corrections: int = 0
    duplicates: int = 0
    rejected_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)  # on accepted rows

    def add(self, other: ImportReport, max_errors: int) -> None:
        for name in ("received", "accepted", "corrections", "duplicates", "rejected_rows"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors[: max(0, max_errors - len(self.errors))]
        self.warnings += other.warnings[: max(0, max_errors - len(self.warnings))]


class Intake:
    def __init__(
        self,
        kinds: dict[str, RecordKind],
        hmac_key: bytes,
        calendar: WorkingCalendar,
        deadline_working_days: int,
    ) -> None:
        self.kinds = kinds
        self._hmac_key = hmac_key
        self._calendar = calendar
        self._working_days = deadline_working_days

    def kind_for(self, department: str, kind_name: str) -> RecordKind:
        kind = self.kinds.get(kind_name)
        if kind is None:
            raise IntakeRefused("unknown_kind", f"未知的数据类型：{kind_name}", 422)
        if kind.department != department:
            raise IntakeRefused(
                "kind_not_allowed", f"本部门无权报送“{kind.title_zh}”数据（由 {kind.department} 报送）", 403
            )
        return kind

    async def import_rows(
        self,
        uow: UnitOfWork,
        *,
        kind: RecordKind,
        rows: Sequence[Any],
        channel: str,
        row_numbers: Sequence[int] | None = None,
    ) -> ImportReport:
        received_at = datetime.now(UTC)
        report = ImportReport(kind=kind.name, received=len(rows))
        valid, errors = validate_rows(kind, rows, row_numbers)
        report.errors = errors
        report.rejected_rows = len({e.row for e in errors})
        report.warnings = warnings_of(valid) + self._undatable_periods(kind, valid)

        prepared: dict[uuid.UUID, ImportedRecord] = {}
        hashes: dict[uuid.UUID, str] = {}
        for item in valid:
            record, hashes_of_record = self._prepare(kind, item, received_at)
            if record.record_id in prepared:  # the same record twice in one batch: the last one counts
                report.duplicates += 1
            prepared[record.record_id] = record
            hashes[record.record_id] = hashes_of_record

        stored = await repository.store_records(
            uow.session,
            [(r.record_id, r.department, r.kind, r.source_key, r.period, hashes[r.record_id]) for r in prepared.values()],
        )
        corrected: list[StoredRecord] = []
        for record in prepared.values():
            version = stored.get(record.record_id)
            if version is None:
                report.duplicates += 1
                continue
            if version > 1:
                record = record.model_copy(update={"version": version, "is_correction": True})
                report.corrections += 1
                corrected.append(StoredRecord(record.department, record.kind, record.source_key, record.period,
                                              record.record_id))
            else:
                report.accepted += 1
            event = RecordImported.create(
                record,
                producer=PRODUCER,
                correlation_id=record.record_id,
                event_id=identity.imported_event_id(record.record_id, version),
            )
            uow.emit(event, key=record.uscc or f"{record.department}:{record.source_key}")

        if corrected:
            await answer_correction_requests(uow, kind.department, corrected, received_at)
        await repository.log_submission(
            uow.session,
            department=kind.department,
            kind=kind.name,
            channel=channel,
            received_at=received_at,
            rows=report.received,
            accepted=report.accepted,
            corrections=report.corrections,
            duplicates=report.duplicates,
            rejected=report.rejected_rows,
        )
        if kind.frequency is not Frequency.EVENT:
            per_period = Counter(record.period for record in prepared.values())
            first = await repository.record_arrivals(uow.session, kind.department, kind.name, per_period, received_at)
            for period in sorted(first):
                await self._assess(uow, kind, period, received_at, received_at)
        return report

    async def assess_due_periods(self, uow: UnitOfWork, now: datetime, lookback: int = 3) -> int:
        """Judge every periodic kind's recent due periods; nothing arrived by the deadline is missing."""
        changed = 0
        for kind in self.kinds.values():
            if kind.frequency is Frequency.EVENT:
                continue
            try:
                periods = timeliness.due_periods(now, kind.frequency, self._calendar, lookback)
            except CalendarUnknown as exc:
                log.error("cannot judge %s timeliness: %s (add the year to shared/working_days.csv)", kind.name, exc)
                continue
            arrived = await repository.first_arrivals(uow.session, kind.department, kind.name, periods)
            for period in periods:
                changed += await self._assess(uow, kind, period, arrived.get(period), now)
        return changed

    async def _assess(self, uow: UnitOfWork, kind: RecordKind, period: str, first_arrival, now: datetime) -> bool:
        try:
            due = timeliness.deadline(period, kind.frequency, self._calendar, self._working_days)
            status = timeliness.status(period, kind.frequency, first_arrival, now, self._calendar, self._working_days)
        except CalendarUnknown as exc:
            log.error("cannot judge %s %s: %s (add the year to shared/working_days.csv)", kind.name, period, exc)
            return False
        payload = SubmissionPayload(
            department=kind.department, kind=kind.name, period=period, deadline=due, status=status,
            first_arrival=first_arrival,
        )
        values = payload.model_dump() | {"assessed_at": now}
        if not await repository.save_assessment(uow.session, values):
            return False
        key = f"{kind.department}|{kind.name}|{period}"
        uow.emit(
            SubmissionAssessed.create(
                payload,
                producer=PRODUCER,
                correlation_id=uuid.uuid5(uuid.NAMESPACE_URL, key),
                event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{key}|{status}"),
            ),
            key=key,
        )
        return True

    def _undatable_periods(self, kind: RecordKind, valid: Sequence[ValidRow]) -> list[RowError]:
        """A period whose deadline cannot be judged yet (its year's official calendar is not in
        working_days.csv) is accepted, and the department is told so at the first row that has it."""
        if kind.frequency is Frequency.EVENT:
            return []
        first_row: dict[str, int] = {}
        for item in valid:
            first_row.setdefault(kind.period(item.record), item.row)
        warnings = []
        for period, row in first_row.items():
            try:
                timeliness.deadline(period, kind.frequency, self._calendar, self._working_days)
            except CalendarUnknown:
                warnings.append(period_warning(row, period))
        return warnings

    def _prepare(self, kind: RecordKind, item: ValidRow, received_at: datetime) -> tuple[ImportedRecord, str]:
        """The desensitised record as version 1, and the hash of its content (to tell a
        correction from a duplicate)."""
        data = item.record.model_dump(mode="json")
        data, pii_hashes = desensitise(data, kind.personal_fields, self._hmac_key, kind.text_fields, kind.name_fields)
        source_key = protect_source_key(kind.source_key(item.record), self._hmac_key)
        period = kind.period(item.record)
        record = ImportedRecord(
            record_id=identity.record_id(kind.department, kind.name, source_key, period),
            version=1,
            department=kind.department,
            kind=kind.name,
            source_key=source_key,
            period=period,
            township_code=data["township_code"],
            uscc=data.get("uscc"),
            received_at=received_at,
            data=data,
            pii_hashes=pii_hashes,
            is_correction=False,
        )
        return record, identity.content_hash(data, pii_hashes)


# ---- correction requests (数据错误) ------------------------------------------------------------------


async def request_corrections(uow: UnitOfWork, feedback: FeedbackSubmitted) -> int:
    """A township's 数据错误 finding: ask each department whose records the alert rests on to correct them,
    on its results topic and in `GET /v1/corrections`. A finding delivered again asks nobody twice."""
    payload = feedback.payload
    found = await repository.find_records(uow.session, payload.record_ids)
    requests = corrections.requests_for(payload, found)
    if not requests:
        log.warning("feedback %s asks for corrections of records ingest does not hold: %s",
                    payload.feedback_id, [str(r) for r in payload.record_ids])
    asked = 0
    for request in requests:
        if not await repository.save_correction_request(uow.session, request):
            continue
        event = CorrectionRequested.create(
            CorrectionRequestPayload(
                request_id=request.request_id, feedback_id=request.feedback_id, alert_id=request.alert_id,
                department=request.department,
                records=[CorrectionRecord(record_id=r.record_id, kind=r.kind, source_key=r.source_key, period=r.period)
                         for r in request.records],
                township_code=request.township_code, note=request.note, rule=request.rule, uscc=request.uscc,
                period=request.period, requested_at=request.requested_at, message_zh=request.message_zh,
            ),
            producer=PRODUCER,
            correlation_id=feedback.correlation_id,
            cause=feedback,
            event_id=derived_event_id(request.request_id, CorrectionRequested.type_name()),
        )
        uow.emit(event, key=str(request.request_id), topic=topics.intake_results(request.department))
        uow.emit(event, key=str(request.request_id), topic=topics.CORRECTIONS)  # starts the department's clock
        asked += 1
    return asked


async def answer_correction_requests(
    uow: UnitOfWork, department: str, corrected: list[StoredRecord], at: datetime
) -> int:
    """The department sent records again changed: the open requests naming one of them are answered, and
    it is told on `corrections` (feedback stops the department's clock) and on the department's results."""
    candidates = await repository.open_requests_naming(uow.session, department, [r.record_id for r in corrected])
    done = await repository.mark_answered(
        uow.session, [r.request_id for r in corrections.answered_by(candidates, corrected)], at)
    for request in (r for r in candidates if r.request_id in done):
        event = CorrectionAnswered.create(
            CorrectionAnswerPayload(
                request_id=request.request_id, feedback_id=request.feedback_id, alert_id=request.alert_id,
                department=department, township_code=request.township_code, requested_at=request.requested_at,
                answered_at=at, message_zh=corrections.answer_message_zh(request),
            ),
            producer=PRODUCER,
            correlation_id=request.feedback_id,
            event_id=derived_event_id(request.request_id, CorrectionAnswered.type_name()),
        )
        uow.emit(event, key=str(request.request_id))
        uow.emit(event, key=str(request.request_id), topic=topics.intake_results(department))
    return len(done)
