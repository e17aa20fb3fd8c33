"""The import use case: validate, desensitise, identify, store, publish (through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.contracts import ImportedRecord, RecordImported
from shared.messaging.outbox import UnitOfWork
from shared.records import RecordKind

from services.ingest.domain import identity
from services.ingest.domain.desensitise import desensitise
from services.ingest.domain.validation import RowError, ValidRow, validate_rows
from services.ingest.storage import repository

PRODUCER = "ingest"


@dataclass
class ImportReport:
    kind: str
    received: int = 0
    accepted: int = 0
    corrections: int = 0
    duplicates: int = 0
    rejected_rows: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class _Prepared:
    row: int
    record: ImportedRecord
    content_hash: str


async def import_rows(
    uow: UnitOfWork, *, kind: RecordKind, rows: list[Any], channel: str, hmac_key: bytes
) -> ImportReport:
    received_at = datetime.now(UTC)
    report = ImportReport(kind=kind.name, received=len(rows))
    valid, errors = validate_rows(kind, rows)
    report.errors = errors
    report.rejected_rows = len({e.row for e in errors})

    prepared: dict[Any, _Prepared] = {}
    for item in valid:
        p = _prepare(kind, item, received_at, hmac_key)
        if p.record.record_id in prepared:  # the same record twice in one batch: the last one counts
            report.duplicates += 1
        prepared[p.record.record_id] = p

    stored = await repository.store_records(
        uow.session,
        [
            repository.RecordRow(
                p.record.record_id, kind.department, kind.name, p.record.source_key, p.record.period, p.content_hash
            )
            for p in prepared.values()
        ],
    )
    for p in prepared.values():
        version = stored.get(p.record.record_id)
        if version is None:
            report.duplicates += 1
            continue
        record = p.record.model_copy(update={"version": version})
        event = RecordImported.create(
            record,
            producer=PRODUCER,
            correlation_id=record.record_id,
            event_id=identity.imported_event_id(record.record_id, version),
        )
        uow.emit(event, key=record.uscc or f"{record.department}:{record.source_key}")
        if version == 1:
            report.accepted += 1
        else:
            report.corrections += 1

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
    return report


def _prepare(kind: RecordKind, item: ValidRow, received_at: datetime, hmac_key: bytes) -> _Prepared:
    data = item.record.model_dump(mode="json")
    data, pii_hashes = desensitise(data, kind.personal_fields, hmac_key)
    source_key = kind.source_key(item.record)
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
    )
    return _Prepared(item.row, record, identity.content_hash(data, pii_hashes))
