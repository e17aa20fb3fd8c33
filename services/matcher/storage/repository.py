from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import FeedbackAction, FeedbackPayload, ImportedRecord
from shared.db.engine import driver_connection

from services.matcher.domain.index import RegisteredEntity
from services.matcher.domain.matching import NOTHING_KNOWN, Known, LearnedLink
from services.matcher.domain.cases import EntitySources
from services.matcher.storage.tables import (
    cannot_links, entities, entity_changes, learned_links, linked_sources, pending_records,
)

SourceKey = tuple[str, str]  # (department, source_key)
_REGISTRY_WRITERS = 0x6D61746368657201  # advisory lock key of the entity registry ("matcher" + 1)


async def upsert_entities(session: AsyncSession, rows: Sequence[tuple[RegisteredEntity, int]]) -> None:
    """Keep the newest version of each registration; a renamed entity keeps its old name as a former name."""
    latest: dict[str, tuple[RegisteredEntity, int]] = {}
    for entity, version in rows:
        if entity.uscc not in latest or latest[entity.uscc][1] < version:
            latest[entity.uscc] = (entity, version)
    if not latest:
        return
    # Writers one at a time, until commit: seq order is then commit order, so an instance that
    # caught up to seq N can never later see a commit below N (it would miss that entity).
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_REGISTRY_WRITERS)))
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
                "name_hash": stmt.excluded.name_hash,
                "seq": entity_changes.next_value(),
                "updated_at": sa.func.now(),
            },
            where=entities.c.record_version < stmt.excluded.record_version,
        ),
        [
            {
                "uscc": e.uscc, "name": e.name, "township_code": e.township_code, "status": e.status,
                "record_version": v, "registration_number": e.registration_number, "address": e.address,
                "former_names": list(e.former_names), "name_hash": e.name_hash,
            }
            for e, v in latest.values()
        ],
    )


async def changed_since(session: AsyncSession, seq: int, limit: int) -> tuple[list[RegisteredEntity], int]:
    """Up to `limit` entities written after `seq` (by any matcher instance), oldest first, and the
    newest seq seen. The limit keeps the plan on the seq index: a prepared statement's generic plan
    for an open `seq > $1` is a sequential scan of the whole registry, once per batch."""
    rows = (
        await session.execute(
            sa.select(entities).where(entities.c.seq > seq).order_by(entities.c.seq).limit(limit)
        )
    ).all()
    found = [
        RegisteredEntity(
            uscc=r.uscc, registration_number=r.registration_number, name=r.name, address=r.address,
            township_code=r.township_code, status=r.status, former_names=tuple(r.former_names), name_hash=r.name_hash,
        )
        for r in rows
    ]
    return found, (rows[-1].seq if rows else seq)


async def known_for(session: AsyncSession, keys: Iterable[SourceKey]) -> dict[SourceKey, Known]:
    """What townships decided for these keys (learned links and cannot-link constraints), in one
    round trip; a key nobody decided is absent."""
    keys = list(set(keys))
    if not keys:
        return {}
    departments, source_keys = zip(*keys)
    rows = await (await driver_connection(session)).fetch(_KNOWN_FOR, departments, source_keys)
    known: dict[SourceKey, Known] = {}
    for department, source_key, decision, usccs, shares, refused in rows:
        was = known.get((department, source_key), NOTHING_KNOWN)
        known[department, source_key] = (
            Known(LearnedLink(FeedbackAction(decision), tuple(usccs), tuple(shares)), was.refused) if decision is not None
            else Known(was.learned, frozenset(refused))
        )
    return known


_KNOWN_FOR = f"""
SELECT l.department, l.source_key, l.decision, l.usccs, l.shares, NULL::text[]
FROM {learned_links.schema}.{learned_links.name} AS l
JOIN unnest($1::text[], $2::text[]) AS k (department, source_key) USING (department, source_key)
UNION ALL
SELECT c.department, c.source_key, NULL, NULL, NULL, array_agg(c.uscc)
FROM {cannot_links.schema}.{cannot_links.name} AS c
JOIN unnest($1::text[], $2::text[]) AS k (department, source_key) USING (department, source_key)
GROUP BY c.department, c.source_key
"""


async def save_refused(
    session: AsyncSession, feedback: FeedbackPayload, key: tuple[str, str], was: frozenset[str], now: frozenset[str],
) -> None:
    """A (department, source key)'s cannot-link constraint from `was` to `now` (see
    `matching.refused_after`), as of this decision; called under the key's lock, decisions of one key
    arriving in the order made."""
    department, source_key = key
    t = cannot_links
    if lifted := was - now:
        await session.execute(sa.delete(t).where(
            t.c.department == department, t.c.source_key == source_key, t.c.uscc.in_(sorted(lifted))))
    if added := now - was:
        await session.execute(insert(t).on_conflict_do_nothing(), [
            {"department": department, "source_key": source_key, "uscc": code,
             "feedback_id": feedback.feedback_id, "township_code": feedback.township_code,
             "decided_by": feedback.actor, "decided_at": feedback.submitted_at}
            for code in sorted(added)
        ])


async def save_learned(session: AsyncSession, feedback: FeedbackPayload) -> None:
    """The newest decision for a source key wins."""
    decision = feedback.match
    values = {
        "department": decision.department, "source_key": decision.source_key, "decision": feedback.action.value,
        "usccs": decision.usccs, "shares": decision.shares, "feedback_id": feedback.feedback_id,
        "township_code": feedback.township_code, "decided_by": feedback.actor, "decided_at": feedback.submitted_at,
    }
    stmt = insert(learned_links).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[learned_links.c.department, learned_links.c.source_key],
            set_={c: stmt.excluded[c] for c in values if c not in ("department", "source_key")},
            where=learned_links.c.decided_at <= stmt.excluded.decided_at,
        )
    )


async def lock_source_keys(session: AsyncSession, keys: Iterable[SourceKey]) -> None:
    """Serialise holding a source key's records with deciding it (until the transaction ends), so
    a record is never held after the decision that would have resolved it. Sorted: no deadlock."""
    names = sorted({f"{department}|{source_key}" for department, source_key in keys})
    if names:
        await session.execute(
            sa.text(
                "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h"
                " FROM unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS sorted"
            ),
            {"keys": names},
        )


async def hold_pending(session: AsyncSession, records: Sequence[ImportedRecord]) -> None:
    latest = {r.record_id: r for r in sorted(records, key=lambda r: r.version)}
    if not latest:
        return
    stmt = insert(pending_records)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[pending_records.c.record_id], set_={"record": stmt.excluded.record}),
        [
            {"record_id": r.record_id, "department": r.department, "source_key": r.source_key,
             "record": r.model_dump(mode="json")}
            for r in latest.values()
        ],
    )


async def pending_of(session: AsyncSession, key: SourceKey, *, release: bool) -> list[ImportedRecord]:
    """The records of a source key waiting for a decision; `release`: they stop waiting."""
    t = pending_records
    where = (t.c.department == key[0], t.c.source_key == key[1])
    query = sa.delete(t).where(*where).returning(t.c.record) if release else sa.select(t.c.record).where(*where)
    rows = await session.execute(query)
    return sorted((ImportedRecord.model_validate(r.record) for r in rows), key=lambda r: (r.period or "", r.record_id))


async def note_sources(session: AsyncSession, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """(uscc, department, source_key, family) of new links."""
    rows = list(set(rows))
    if rows:
        await (await driver_connection(session)).execute(_NOTE_SOURCES, *map(list, zip(*rows)))


async def sources_of(session: AsyncSession, usccs: Iterable[str]) -> dict[str, EntitySources]:
    usccs = list(set(usccs))
    if not usccs:
        return {}
    rows = await (await driver_connection(session)).fetch(_SOURCES_OF, usccs)
    return {r[0]: EntitySources(r[1], r[2]) for r in rows}


# per-batch statements of the hot path, as arrays through asyncpg (no per-row parameter handling)
_NOTE_SOURCES = f"""
INSERT INTO {linked_sources.schema}.{linked_sources.name} (uscc, department, source_key, family)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING
"""
_SOURCES_OF = f"""
SELECT uscc, count(*) FILTER (WHERE family = 'power'), bool_or(family = 'tax')
FROM {linked_sources.schema}.{linked_sources.name} WHERE uscc = ANY($1::text[]) GROUP BY uscc
"""
