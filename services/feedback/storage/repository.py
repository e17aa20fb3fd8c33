from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import AlertDeadlinePassed, AnomalyDetected, AnomalyResolved, FeedbackPayload, MatchFailed
from shared.records import record_name

from services.feedback.domain import match_cases as domain
from services.feedback.storage.tables import actions, alerts, case_moves, match_cases


async def add_alerts(session: AsyncSession, events: Sequence[AnomalyDetected]) -> None:
    """A new alert joins the worklist; one raised again (the data supports it again after a
    withdrawal) comes back with its handling as it was."""
    rows = {
        e.payload.alert_id: {
            "alert_id": e.payload.alert_id,
            "township_code": e.payload.township_code,
            "rule": e.payload.rule,
            "uscc": e.payload.uscc,
            "entity_name": e.payload.entity_name,
            "period": e.payload.period,
            "message_zh": e.payload.message_zh,
            "status": "open",
            "detected_at": e.occurred_at,
            "severity": e.payload.severity,
            "facts": e.payload.facts,
            "also_townships": e.payload.also_townships,
        }
        for e in sorted(events, key=lambda e: e.occurred_at)
    }
    if not rows:
        return
    stmt = insert(alerts)
    t = alerts.c
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.alert_id],
            set_={"withdrawn_at": None, "withdrawn_message_zh": None, "message_zh": stmt.excluded.message_zh,
                  "facts": stmt.excluded.facts, "updated_at": stmt.excluded.detected_at},
            where=t.withdrawn_at < stmt.excluded.detected_at,  # only a withdrawn one, and only by a later detection
        ),
        list(rows.values()),
    )


async def withdraw_alerts(session: AsyncSession, events: Sequence[AnomalyResolved]) -> None:
    """The data no longer supports these alerts: they leave the township's work, marked as such.
    A withdrawal older than the alert's last detection changes nothing."""
    for e in events:
        await session.execute(
            sa.update(alerts)
            .where(alerts.c.alert_id == e.payload.alert_id,
                   sa.or_(alerts.c.updated_at <= e.occurred_at, alerts.c.withdrawn_at.is_not(None)))
            .values(withdrawn_at=e.occurred_at, withdrawn_message_zh=e.payload.message_zh, updated_at=e.occurred_at)
        )


async def mark_overdue(session: AsyncSession, events: Sequence[AlertDeadlinePassed]) -> None:
    for e in events:
        await session.execute(
            sa.update(alerts).where(alerts.c.alert_id == e.payload.alert_id)
            .values({f"{e.payload.deadline}_overdue_since": e.payload.due})
        )


def _visible_to(township_prefix: str):
    """The alerts of the area, and those of other townships that name a township of it (属地不一致)."""
    in_area = alerts.c.township_code.startswith(township_prefix)
    if len(township_prefix) == 9:  # a township: exactly its code among the others named
        return sa.or_(in_area, alerts.c.also_townships.op("?")(township_prefix))
    return in_area


async def list_alerts(session: AsyncSession, township_prefix: str, status: str | None, limit: int, offset: int):
    query = (
        sa.select(alerts)
        .where(_visible_to(township_prefix))
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
    """A case per source key (see `domain.match_cases.follow`): its records, its township, and the
    moves between townships, read and written under the case's row lock."""
    failures: dict[uuid.UUID, list[MatchFailed]] = {}
    for e in events:
        failures.setdefault(domain.case_id(e.payload.record.department, e.payload.record.source_key), []).append(e)
    if not failures:
        return
    t = match_cases
    held = {
        row.case_id: row for row in
        (await session.execute(sa.select(t).where(t.c.case_id.in_(failures)).order_by(t.c.case_id).with_for_update())).all()
    }
    cases, moves = [], []
    for key, its_failures in failures.items():
        record = its_failures[0].payload.record
        case, moved = domain.follow(
            _case(held[key]) if key in held else None, [_failure(e) for e in its_failures],
            department=record.department, kind=record.kind, source_key=record.source_key,
        )
        cases.append(_row(case))
        moves += [dataclasses.asdict(m) for m in moved]
    stmt = insert(t)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[t.c.case_id], set_={c: stmt.excluded[c] for c in cases[0] if c != "case_id"}),
        cases,
    )
    if moves:
        await session.execute(sa.insert(case_moves), moves)


def _failure(event: MatchFailed) -> domain.Failure:
    p = event.payload
    return domain.Failure(
        township_code=p.township_code,
        basis=domain.basis(p.record.period, p.record.received_at),
        record_id=str(p.record.record_id),
        details={"name": record_name(p.record.data), "reason": p.reason, "message_zh": p.message_zh,
                 "candidates": [c.model_dump(mode="json") for c in p.candidates]},
        occurred_at=event.occurred_at,
    )


_DETAILS = ("name", "reason", "message_zh", "candidates")


def _case(row) -> domain.Case:
    return domain.Case(
        case_id=row.case_id, township_code=row.township_code, township_basis=row.township_basis,
        department=row.department, kind=row.kind, source_key=row.source_key,
        details={k: getattr(row, k) for k in _DETAILS}, record_ids=tuple(row.record_ids),
        status=domain.CaseStatus(row.status), opened_at=row.opened_at, updated_at=row.updated_at,
    )


def _row(case: domain.Case) -> dict:
    row = dataclasses.asdict(case)
    return {**{k: v for k, v in row.items() if k != "details"}, **case.details, "record_ids": list(case.record_ids)}


async def moves_of(session: AsyncSession, township_prefix: str, limit: int, offset: int):
    """Moves into or out of the area: each township sees that a case left it, and for where."""
    m = case_moves
    query = (
        sa.select(m, match_cases.c.department, match_cases.c.kind).join(match_cases, match_cases.c.case_id == m.c.case_id)
        .where(sa.or_(m.c.from_township_code.startswith(township_prefix), m.c.to_township_code.startswith(township_prefix)))
        .order_by(m.c.moved_at.desc(), m.c.case_id).limit(limit).offset(offset)
    )
    return (await session.execute(query)).mappings().all()


async def moves_of_case(session: AsyncSession, case_id: uuid.UUID):
    m = case_moves
    return (await session.execute(sa.select(m).where(m.c.case_id == case_id).order_by(m.c.moved_at))).mappings().all()


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
        .values(status=domain.CaseStatus.DECIDED, updated_at=feedback.submitted_at)
    )
    await log_action(session, feedback)
