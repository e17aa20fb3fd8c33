from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matcher.domain.matching import Entity
from services.matcher.storage.tables import entities


async def upsert_entities(session: AsyncSession, rows: Sequence[tuple[Entity, int]]) -> None:
    """Keep the newest version of each registration (events of one entity may be redelivered)."""
    latest: dict[str, tuple[Entity, int]] = {}
    for entity, version in rows:
        if entity.uscc not in latest or latest[entity.uscc][1] < version:
            latest[entity.uscc] = (entity, version)
    if not latest:
        return
    stmt = insert(entities)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[entities.c.uscc],
            set_={
                "name": stmt.excluded.name,
                "township_code": stmt.excluded.township_code,
                "status": stmt.excluded.status,
                "record_version": stmt.excluded.record_version,
                "updated_at": sa.func.now(),
            },
            where=entities.c.record_version < stmt.excluded.record_version,
        ),
        [
            {"uscc": e.uscc, "name": e.name, "township_code": e.township_code, "status": e.status, "record_version": v}
            for e, v in latest.values()
        ],
    )


async def find_entities(session: AsyncSession, codes: Iterable[str]) -> dict[str, Entity]:
    codes = list(set(codes))
    if not codes:
        return {}
    rows = await session.execute(
        sa.select(entities.c.uscc, entities.c.name, entities.c.township_code, entities.c.status).where(
            entities.c.uscc.in_(codes)
        )
    )
    return {r.uscc: Entity(r.uscc, r.name, r.township_code, r.status) for r in rows}
