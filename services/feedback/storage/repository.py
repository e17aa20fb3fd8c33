from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import AnomalyDetected, FeedbackPayload, MatchFailed
from shared.records import record_name

from services.feedback.domain import match_cases as match_cases_domain
from services.feedback.storage.tables import actions, alerts, match_cases


async def add_alerts(session: AsyncSession, events: Sequence[AnomalyDetected]) -> None:
    rows = [
        {
            "alert_id": e.payload.alert_id,
            "township_code": e.payload.township_code,
            "rule": e.payload.rule,
            "uscc": e.payload.uscc,
            "entity_name": e.payload.entity_name,
            "period": e.payload.period,
            "message_zh": e.payload.message_zh,
            "status": "open",
            "detected_at": e.occurred_at,
        }
        for e in events
    ]
    await session.execute(insert(alerts).on_conflict_do_nothing(), rows)


async def list_alerts(session: AsyncSession, township_prefix: str, status: str | None, limit: int, offset: int):
    query = (
        sa.select(alerts)
        .where(alerts.c.township_code.startswith(township_prefix))
        .order_by(alerts.c.detected_at.desc(), alerts.c.alert_id)
        .limit(limit)
        .offset(offset)
    )
    if status:
        query = query.where(alerts.c.status == status)
    return (await session.execute(query)).mappings().all()


async def get_alert_for_update(session: AsyncSession, alert_id: uuid.UUID):
    return (
        await session.execute(sa.select(alerts).where(alerts.c.alert_id == alert_id).with_for_update())
    ).mappings().first()


async def get_alert(session: AsyncSession, alert_id: uuid.UUID):
    return (await session.execute(sa.select(alerts).where(alerts.c.alert_id == alert_id))).mappings().first()


async def record_action(session: AsyncSession, feedback: FeedbackPayload, new_status: str) -> None:
    await session.execute(
        sa.update(alerts)
        .where(alerts.c.alert_id == feedback.alert_id)
        .values(status=new_status, updated_at=feedback.submitted_at)
    )
    await log_action(session, feedback)


async def log_action(session: AsyncSession, feedback: FeedbackPayload) -> None:
    await session.execute(
        sa.insert(actions).values(
            feedback_id=feedback.feedback_id,
            alert_id=feedback.alert_id,
            action=feedback.action,
            actor=feedback.actor,
            note=feedback.note,
            submitted_at=feedback.submitted_at,
        )
    )


async def history(session: AsyncSession, alert_id: uuid.UUID):
    return (
        await session.execute(sa.select(actions).where(actions.c.alert_id == alert_id).order_by(actions.c.submitted_at))
    ).mappings().all()


async def open_match_cases(session: AsyncSession, events: Sequence[MatchFailed]) -> None:
    """A case per source key; a newer record of the key joins it and reopens it (the matcher sends
    a record for review again only when the township's decision could not be applied)."""
    cases: dict[uuid.UUID, dict] = {}
    for e in events:
        p = e.payload
        key = match_cases_domain.case_id(p.record.department, p.record.source_key)
        case = cases.setdefault(key, {
            "case_id": key, "township_code": p.township_code, "department": p.record.department,
            "kind": p.record.kind, "source_key": p.record.source_key, "record_ids": [],
            "status": match_cases_domain.CaseStatus.OPEN, "opened_at": e.occurred_at,
        })
        case |= {
            "name": record_name(p.record.data), "reason": p.reason, "message_zh": p.message_zh,
            "candidates": [c.model_dump(mode="json") for c in p.candidates], "updated_at": e.occurred_at,
        }
        case["record_ids"] = sorted({*case["record_ids"], str(p.record.record_id)})
    if not cases:
        return
    stmt = insert(match_cases)
    t = match_cases
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.c.case_id],
            set_={
                "name": stmt.excluded.name, "reason": stmt.excluded.reason, "message_zh": stmt.excluded.message_zh,
                "candidates": stmt.excluded.candidates,
                # records already on their way before the decision do not reopen it
                "status": sa.case(
                    (sa.and_(t.c.status == match_cases_domain.CaseStatus.DECIDED,
                             stmt.excluded.updated_at <= t.c.updated_at), t.c.status),
                    else_=stmt.excluded.status,
                ),
                "updated_at": sa.func.greatest(t.c.updated_at, stmt.excluded.updated_at),
                "record_ids": sa.literal_column(
                    "(SELECT jsonb_agg(DISTINCT id ORDER BY id)"
                    " FROM jsonb_array_elements_text(match_cases.record_ids || excluded.record_ids) AS id)"
                ),
            },
        ),
        list(cases.values()),
    )


async def list_match_cases(session: AsyncSession, township_prefix: str, status: str | None, limit: int, offset: int):
    t = match_cases
    query = (
        sa.select(t).where(t.c.township_code.startswith(township_prefix))
        .order_by(t.c.updated_at.desc(), t.c.case_id).limit(limit).offset(offset)
    )
    if status:
        query = query.where(t.c.status == status)
    return (await session.execute(query)).mappings().all()


async def get_match_case(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False):
    query = sa.select(match_cases).where(match_cases.c.case_id == case_id)
    return (await session.execute(query.with_for_update() if for_update else query)).mappings().first()


async def record_match_decision(session: AsyncSession, feedback: FeedbackPayload) -> None:
    await session.execute(
        sa.update(match_cases)
        .where(match_cases.c.case_id == feedback.alert_id)
        .values(status=match_cases_domain.CaseStatus.DECIDED, updated_at=feedback.submitted_at)
    )
    await log_action(session, feedback)
