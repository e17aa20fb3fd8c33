from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.engine import driver_connection

from services.ingest.storage.tables import arrivals, assessments, records, submissions


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
