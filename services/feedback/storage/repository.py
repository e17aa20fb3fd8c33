from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import AnomalyDetected, FeedbackPayload

from services.feedback.storage.tables import actions, alerts


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
