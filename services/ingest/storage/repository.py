from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.engine import driver_connection

from services.ingest.domain.corrections import CorrectionRequest, OpenRequest, RequestStatus, StoredRecord
from services.ingest.storage.tables import arrivals, assessments, correction_requests, records, submissions


# record_id, department, kind, source_key, period, content_hash
RecordRow = tuple[uuid.UUID, str, str, str, str | None, str]


async def store_records(session: AsyncSession, rows: Sequence[RecordRow]) -> dict[uuid.UUID, int]:
    """Insert new records, bump the version of changed ones; returns {record_id: version} of those
    two. A row whose content is unchanged is absent from the result: it is a duplicate.

    One statement over arrays (unnest) per batch: the busiest statement of intake, where
    SQLAlchemy's per-row parameter handling cost more than PostgreSQL's work."""
    if not rows:
        return {}
    connection = await driver_connection(session)
    result = await connection.fetch(_STORE_RECORDS, *map(list, zip(*rows)))
    return {row[0]: row[1] for row in result}


_STORE_RECORDS = f"""
INSERT INTO {records.schema}.{records.name} AS r (record_id, department, kind, source_key, period, version, content_hash)
SELECT record_id, department, kind, source_key, period, 1, content_hash
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
    AS incoming (record_id, department, kind, source_key, period, content_hash)
ON CONFLICT (record_id) DO UPDATE
    SET version = r.version + 1, content_hash = excluded.content_hash, updated_at = now()
    WHERE r.content_hash <> excluded.content_hash
RETURNING record_id, version
"""


async def log_submission(session: AsyncSession, **values) -> None:
    await session.execute(sa.insert(submissions).values(**values))


async def record_arrivals(session: AsyncSession, department: str, kind: str, rows_by_period: dict[str, int], at) -> set[str]:
    """Note that data for these periods arrived now; returns the periods that arrived for the first time."""
    if not rows_by_period:
        return set()
    stmt = insert(arrivals)
    result = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[arrivals.c.department, arrivals.c.kind, arrivals.c.period],
            set_={"last_arrival": stmt.excluded.last_arrival, "rows": arrivals.c.rows + stmt.excluded.rows},
        ).returning(arrivals.c.period, arrivals.c.first_arrival),
        [
            {"department": department, "kind": kind, "period": p, "first_arrival": at, "last_arrival": at, "rows": n}
            for p, n in rows_by_period.items()
        ],
    )
    return {row.period for row in result if row.first_arrival == at}


async def first_arrivals(session: AsyncSession, department: str, kind: str, periods: list[str]) -> dict[str, object]:
    rows = await session.execute(
        sa.select(arrivals.c.period, arrivals.c.first_arrival).where(
            arrivals.c.department == department, arrivals.c.kind == kind, arrivals.c.period.in_(periods)
        )
    )
    return {r.period: r.first_arrival for r in rows}


async def save_assessment(session: AsyncSession, values: dict) -> bool:
    """Store a judgement; True when it is new or changed (and so worth publishing)."""
    stmt = insert(assessments).values(**values)
    changed = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[assessments.c.department, assessments.c.kind, assessments.c.period],
            set_={c: stmt.excluded[c] for c in ("deadline", "status", "first_arrival", "assessed_at")},
            where=assessments.c.status != stmt.excluded.status,
        ).returning(assessments.c.period)
    )
    return changed.first() is not None


async def list_assessments(session: AsyncSession, department: str | None, period: str | None, limit: int, offset: int):
    query = (
        sa.select(assessments)
        .order_by(assessments.c.period.desc(), assessments.c.department, assessments.c.kind)
        .limit(limit)
        .offset(offset)
    )
    if department:
        query = query.where(assessments.c.department == department)
    if period:
        query = query.where(assessments.c.period == period)
    return (await session.execute(query)).mappings().all()


# ---- correction requests (数据错误) ----------------------------------------------------------------


async def find_records(session: AsyncSession, record_ids: Sequence[uuid.UUID]) -> list[StoredRecord]:
    if not record_ids:
        return []
    rows = await session.execute(
        sa.select(records.c.department, records.c.kind, records.c.source_key, records.c.period, records.c.record_id)
        .where(records.c.record_id.in_(list(record_ids)))
    )
    return [StoredRecord(*row) for row in rows]


def _record_json(record: StoredRecord) -> dict:
    return {"record_id": str(record.record_id), "kind": record.kind, "source_key": record.source_key,
            "period": record.period}


async def save_correction_request(session: AsyncSession, request: CorrectionRequest) -> bool:
    """Store a new request; False when it is already there (the same finding delivered again)."""
    stmt = insert(correction_requests).values(
        request_id=request.request_id, feedback_id=request.feedback_id, alert_id=request.alert_id,
        department=request.department, records=[_record_json(r) for r in request.records],
        record_ids=[r.record_id for r in request.records], township_code=request.township_code, note=request.note,
        rule=request.rule, uscc=request.uscc, period=request.period, requested_at=request.requested_at,
        status=RequestStatus.OPEN.value,
    )
    inserted = await session.execute(
        stmt.on_conflict_do_nothing(index_elements=[correction_requests.c.request_id])
        .returning(correction_requests.c.request_id)
    )
    return inserted.first() is not None


async def open_requests_naming(
    session: AsyncSession, department: str, record_ids: Sequence[uuid.UUID]
) -> list[OpenRequest]:
    """The department's open requests that name any of these records, each with its records."""
    c = correction_requests.c
    rows = await session.execute(
        sa.select(c.request_id, c.feedback_id, c.alert_id, c.township_code, c.requested_at, c.records).where(
            c.status == RequestStatus.OPEN.value,
            c.department == department,
            c.record_ids.overlap(sa.cast(list(record_ids), ARRAY(sa.Uuid))),
        )
    )
    return [OpenRequest(row.request_id, row.feedback_id, row.alert_id, department, row.township_code, row.requested_at,
                        tuple(_stored(department, r) for r in row.records)) for row in rows]


def _stored(department: str, record: dict) -> StoredRecord:
    return StoredRecord(department, record["kind"], record["source_key"], record["period"],
                        uuid.UUID(record["record_id"]))


async def mark_answered(session: AsyncSession, request_ids: Sequence[uuid.UUID], at) -> set[uuid.UUID]:
    """The requests this call answered: one another transaction answered first is not among them."""
    if not request_ids:
        return set()
    result = await session.execute(
        sa.update(correction_requests)
        .where(correction_requests.c.request_id.in_(list(request_ids)),
               correction_requests.c.status == RequestStatus.OPEN.value)
        .values(status=RequestStatus.ANSWERED.value, answered_at=at)
        .returning(correction_requests.c.request_id)
    )
    return set(result.scalars())


async def list_correction_requests(
    session: AsyncSession, department: str, status: str | None, limit: int, offset: int
):
    """A department's requests, newest first."""
    query = (
        sa.select(correction_requests)
        .where(correction_requests.c.department == department)
        .order_by(correction_requests.c.requested_at.desc(), correction_requests.c.request_id)
        .limit(limit)
        .offset(offset)
    )
    if status:
        query = query.where(correction_requests.c.status == status)
    return (await session.execute(query)).mappings().all()


async def get_correction_request(session: AsyncSession, department: str, request_id: uuid.UUID):
    """The department's own request, or None (another department's is None too)."""
    row = await session.execute(
        sa.select(correction_requests).where(
            correction_requests.c.request_id == request_id, correction_requests.c.department == department
        )
    )
    return row.mappings().first()
