from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ingest.storage.tables import records, submissions


@dataclass(frozen=True)
class RecordRow:
    record_id: uuid.UUID
    department: str
    kind: str
    source_key: str
    period: str | None
    content_hash: str


async def store_records(session: AsyncSession, rows: Sequence[RecordRow]) -> dict[uuid.UUID, int]:
    """Insert new records, bump the version of changed ones; returns {record_id: version} of those
    two. A row whose content is unchanged is absent from the result: it is a duplicate."""
    if not rows:
        return {}
    stmt = insert(records)
    stmt = stmt.on_conflict_do_update(
        index_elements=[records.c.record_id],
        set_={"version": records.c.version + 1, "content_hash": stmt.excluded.content_hash, "updated_at": sa.func.now()},
        where=records.c.content_hash != stmt.excluded.content_hash,
    ).returning(records.c.record_id, records.c.version)
    params = [
        {
            "record_id": r.record_id,
            "department": r.department,
            "kind": r.kind,
            "source_key": r.source_key,
            "period": r.period,
            "version": 1,
            "content_hash": r.content_hash,
        }
        for r in rows
    ]
    return {row.record_id: row.version for row in await session.execute(stmt, params)}


async def log_submission(session: AsyncSession, **values) -> None:
    await session.execute(sa.insert(submissions).values(**values))
