from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matcher.domain.index import RegisteredEntity
from services.matcher.storage.tables import entities, entity_changes


async def upsert_entities(session: AsyncSession, rows: Sequence[tuple[RegisteredEntity, int]]) -> None:
    """Keep the newest version of each registration; a renamed entity keeps its old name as a former name."""
    latest: dict[str, tuple[RegisteredEntity, int]] = {}
    for entity, version in rows:
        if entity.uscc not in latest or latest[entity.uscc][1] < version:
            latest[entity.uscc] = (entity, version)
    if not latest:
        return
    stmt = insert(entities)
    renamed = sa.case(
        (entities.c.name != stmt.excluded.name, sa.func.array_append(entities.c.former_names, entities.c.name)),
        else_=entities.c.former_names,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[entities.c.uscc],
            set_={
                "name": stmt.excluded.name,
                "township_code": stmt.excluded.township_code,
                "status": stmt.excluded.status,
                "record_version": stmt.excluded.record_version,
                "registration_number": stmt.excluded.registration_number,
                "address": stmt.excluded.address,
                "former_names": sa.case(
                    (stmt.excluded.former_names.contained_by(renamed), renamed),
                    else_=sa.func.array_cat(renamed, stmt.excluded.former_names),
                ),
                "seq": entity_changes.next_value(),
                "updated_at": sa.func.now(),
            },
            where=entities.c.record_version < stmt.excluded.record_version,
        ),
        [
            {
                "uscc": e.uscc, "name": e.name, "township_code": e.township_code, "status": e.status,
                "record_version": v, "registration_number": e.registration_number, "address": e.address,
                "former_names": list(e.former_names),
            }
            for e, v in latest.values()
        ],
    )


async def changed_since(session: AsyncSession, seq: int) -> tuple[list[RegisteredEntity], int]:
    """Entities written after `seq` (by any matcher instance), and the newest seq seen."""
    rows = (await session.execute(sa.select(entities).where(entities.c.seq > seq).order_by(entities.c.seq))).all()
    found = [
        RegisteredEntity(
            uscc=r.uscc, registration_number=r.registration_number, name=r.name, address=r.address,
            township_code=r.township_code, status=r.status, former_names=tuple(r.former_names),
        )
        for r in rows
    ]
    return found, (rows[-1].seq if rows else seq)
