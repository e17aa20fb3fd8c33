from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.analytics.domain.overview import (
    ALERT_ACKNOWLEDGED,
    ALERT_OPEN,
    ALERT_RESOLVED,
    MATCH_FAILED,
    MATCH_OK,
    TownshipFigures,
)
from services.analytics.storage.tables import alerts, entities, records, submissions


def _latest(rows: Sequence[dict], key: Callable[[dict], Hashable], version: str) -> list[dict]:
    """One row per key, the newest: a statement may not update the same row twice."""
    latest: dict = {}
    for row in rows:
        k = key(row)
        if k not in latest or latest[k][version] < row[version]:
            latest[k] = row
    return list(latest.values())


async def upsert_entities(session: AsyncSession, rows: Sequence[dict]) -> None:
    if not rows:
        return
    stmt = insert(entities)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[entities.c.entity_key],
            set_={c: stmt.excluded[c] for c in ("name", "township_code", "status", "industry_code", "version")},
            where=entities.c.version < stmt.excluded.version,
        ),
        _latest(rows, itemgetter("entity_key"), "version"),
    )


async def upsert_records(session: AsyncSession, rows: Sequence[dict]) -> None:
    """Rows carry the match_rank they prove. Within one version of a record the rank only goes up
    (its import and its match arrive on different topics, in either order); a newer version (a
    correction) replaces what the older one said: its township, its link, its rank."""
    if not rows:
        return
    merged: dict = {}
    for row in rows:
        current = merged.get(row["record_id"])
        if current is None or row["version"] > current["version"]:
            merged[row["record_id"]] = row
        elif row["version"] == current["version"]:
            proves_more = row["match_rank"] > current["match_rank"]  # a link names the entity the record is about
            merged[row["record_id"]] = {
                **current, "match_rank": max(row["match_rank"], current["match_rank"]),
                "uscc": (row["uscc"] or current["uscc"]) if proves_more else (current["uscc"] or row["uscc"]),
            }
    stmt = insert(records)
    t, new = records.c, stmt.excluded
    newer, same = new.version > t.version, new.version == t.version
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.record_id],
            set_={
                "version": sa.func.greatest(t.version, new.version),
                "township_code": sa.case((newer, new.township_code), else_=t.township_code),
                "period": sa.case((newer, new.period), else_=t.period),
                "match_rank": sa.case(
                    (newer, new.match_rank), (same, sa.func.greatest(t.match_rank, new.match_rank)), else_=t.match_rank
                ),
                "uscc": sa.case(
                    (newer, new.uscc),
                    (same & (new.match_rank > t.match_rank), sa.func.coalesce(new.uscc, t.uscc)),
                    (same, sa.func.coalesce(t.uscc, new.uscc)),
                    else_=t.uscc,
                ),
            },
        ),
        list(merged.values()),
    )


async def upsert_alerts(session: AsyncSession, rows: Sequence[dict]) -> None:
    """Detection and feedback may arrive in either order; each fills its own columns."""
    for row in rows:
        stmt = insert(alerts).values(row)
        updates = {
            c: sa.func.coalesce(stmt.excluded[c], alerts.c[c])
            for c in row
            if c not in ("alert_id", "status_rank")
        }
        updates["status_rank"] = sa.func.greatest(alerts.c.status_rank, stmt.excluded.status_rank)
        if row.get("detected_at") is not None:  # raised again after a withdrawal: counted again
            updates["detected_at"] = sa.func.greatest(alerts.c.detected_at, stmt.excluded.detected_at)
            updates["withdrawn_at"] = sa.case(
                (alerts.c.withdrawn_at < stmt.excluded.detected_at, None), else_=alerts.c.withdrawn_at)
        await session.execute(stmt.on_conflict_do_update(index_elements=[alerts.c.alert_id], set_=updates))


async def withdraw_alerts(session: AsyncSession, rows: Sequence[dict]) -> None:
    """`rows`: alert_id, withdrawn_at. A withdrawal older than the alert's last detection does nothing."""
    for row in rows:
        stmt = insert(alerts).values(alert_id=row["alert_id"], status_rank=0, withdrawn_at=row["withdrawn_at"])
        await session.execute(stmt.on_conflict_do_update(
            index_elements=[alerts.c.alert_id], set_={"withdrawn_at": stmt.excluded.withdrawn_at},
            where=sa.or_(alerts.c.detected_at.is_(None), alerts.c.detected_at <= stmt.excluded.withdrawn_at),
        ))


async def figures_by_township(session: AsyncSession, township_prefix: str) -> dict[str, TownshipFigures]:
    figures: dict[str, TownshipFigures] = {}

    def fig(code: str) -> TownshipFigures:
        return figures.setdefault(code, TownshipFigures())

    in_scope = lambda col: col.startswith(township_prefix)  # noqa: E731
    for code, n in await session.execute(
        sa.select(entities.c.township_code, sa.func.count()).where(in_scope(entities.c.township_code)).group_by(entities.c.township_code)
    ):
        fig(code).entities = n
    count_rank = lambda col, rank: sa.func.count().filter(col == rank)  # noqa: E731
    for code, total, matched, failed in await session.execute(
        sa.select(
            records.c.township_code,
            sa.func.count(),
            count_rank(records.c.match_rank, MATCH_OK),
            count_rank(records.c.match_rank, MATCH_FAILED),
        )
        .where(records.c.kind != "registration", in_scope(records.c.township_code))
        .group_by(records.c.township_code)
    ):
        f = fig(code)
        f.records, f.matched_records, f.unmatched_records = total, matched, failed
    for code, open_, acknowledged, resolved in await session.execute(
        sa.select(
            alerts.c.township_code,
            count_rank(alerts.c.status_rank, ALERT_OPEN),
            count_rank(alerts.c.status_rank, ALERT_ACKNOWLEDGED),
            count_rank(alerts.c.status_rank, ALERT_RESOLVED),
        )
        .where(in_scope(alerts.c.township_code), alerts.c.withdrawn_at.is_(None))
        .group_by(alerts.c.township_code)
    ):
        f = fig(code)
        f.open_alerts, f.acknowledged_alerts, f.resolved_alerts = open_, acknowledged, resolved
    return figures


async def upsert_submissions(session: AsyncSession, rows: Sequence[dict]) -> None:
    if not rows:
        return
    stmt = insert(submissions)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[submissions.c.department, submissions.c.kind, submissions.c.period],
            set_={c: stmt.excluded[c] for c in ("deadline", "status", "first_arrival", "assessed_at")},
            where=submissions.c.assessed_at <= stmt.excluded.assessed_at,
        ),
        _latest(rows, itemgetter("department", "kind", "period"), "assessed_at"),
    )


async def list_submissions(session: AsyncSession, period: str | None, department: str | None, limit: int, offset: int):
    query = (
        sa.select(submissions)
        .order_by(submissions.c.period.desc(), submissions.c.department, submissions.c.kind)
        .limit(limit)
        .offset(offset)
    )
    if period:
        query = query.where(submissions.c.period == period)
    if department:
        query = query.where(submissions.c.department == department)
    return (await session.execute(query)).mappings().all()
