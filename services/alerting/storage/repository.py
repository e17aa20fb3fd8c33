from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerting.domain.rules import Finding, MonthFacts
from services.alerting.storage.tables import alerts, facts


_DROP_SUPERSEDED = sa.text(
    f"DELETE FROM {facts.schema}.{facts.name} AS f"
    " USING unnest(CAST(:record_ids AS uuid[]), CAST(:versions AS integer[])) AS incoming (record_id, version)"
    " WHERE f.record_id = incoming.record_id AND f.version < incoming.version"
)


async def upsert_facts(session: AsyncSession, rows: Sequence[dict]) -> None:
    """Newest version of each (record, entity); a newer version of a record also drops the
    entities its older version was linked to (a correction may change the link)."""
    latest: dict[tuple[uuid.UUID, str], dict] = {}
    for row in rows:
        key = (row["record_id"], row["uscc"])
        if key not in latest or latest[key]["version"] < row["version"]:
            latest[key] = row
    if not latest:
        return
    newest = {}
    for row in latest.values():
        newest[row["record_id"]] = max(newest.get(row["record_id"], 0), row["version"])
    await session.execute(_DROP_SUPERSEDED, {"record_ids": list(newest), "versions": list(newest.values())})
    stmt = insert(facts)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[facts.c.record_id, facts.c.uscc],
            set_={c: stmt.excluded[c] for c in ("version", "period", "kind", "value", "entity_name", "township_code")},
            where=facts.c.version < stmt.excluded.version,
        ),
        list(latest.values()),
    )


async def month_facts(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> list[MonthFacts]:
    keys = list(set(keys))
    if not keys:
        return []
    kwh = sa.func.coalesce(sa.func.sum(facts.c.value).filter(facts.c.kind == "power_usage"), 0.0)
    tax = sa.func.coalesce(sa.func.sum(facts.c.value).filter(facts.c.kind == "tax_payment"), 0.0)
    tax_reported = sa.func.bool_or(facts.c.kind == "tax_payment")
    rows = await session.execute(
        sa.select(
            facts.c.uscc,
            sa.func.max(facts.c.entity_name).label("entity_name"),
            sa.func.max(facts.c.township_code).label("township_code"),
            facts.c.period,
            kwh.label("kwh"),
            tax.label("tax_amount"),
            tax_reported.label("tax_reported"),
            sa.func.array_agg(facts.c.record_id).label("record_ids"),
        )
        .where(sa.tuple_(facts.c.uscc, facts.c.period).in_(keys))
        .group_by(facts.c.uscc, facts.c.period)
    )
    return [MonthFacts(**{**row._mapping, "record_ids": tuple(row.record_ids)}) for row in rows]


async def open_alerts(session: AsyncSession, findings: Sequence[tuple[Finding, MonthFacts]]) -> set[uuid.UUID]:
    """Insert the findings as open alerts; returns the ids that are new (the rest already exist)."""
    if not findings:
        return set()
    rows = [
        {"alert_id": f.alert_id, "rule": f.rule, "uscc": m.uscc, "period": m.period,
         "township_code": m.township_code, "status": "open"}
        for f, m in findings
    ]
    return set(await session.scalars(insert(alerts).on_conflict_do_nothing().returning(alerts.c.alert_id), rows))


_RANK = {"open": 0, "acknowledged": 1, "resolved": 2}


async def advance_alert_status(session: AsyncSession, alert_id: uuid.UUID, status: str) -> None:
    """Statuses only move forward, so a redelivered older feedback cannot reopen an alert."""
    rank = sa.case(_RANK, value=alerts.c.status, else_=0)
    await session.execute(
        sa.update(alerts)
        .where(alerts.c.alert_id == alert_id, rank < _RANK[status])
        .values(status=status, updated_at=sa.func.now())
    )
