from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import (
    AnomalyDetected,
    AnomalyResolved,
    AnomalyUpdated,
    CaseState,
    CorrectionAnswered,
    CorrectionRequested,
    FeedbackPayload,
    MatchFailed,
)
from shared.db.bulk import arrays, insert_rows
from shared.records import record_name
from shared.working_days import WorkingCalendar

from services.feedback.domain import match_cases as domain
from services.feedback.domain.cases import CaseKind, deadlines
from services.feedback.domain.dispositions import Deadlines
from services.feedback.storage import casework
from services.feedback.storage.tables import alerts, case_moves, cases, corrections, match_cases


def _new_case(case_id: uuid.UUID, kind: CaseKind, township_code: str, title: str, subject: str, received_at,
              time_allowed: Deadlines, **more) -> dict:
    acknowledge_due, resolve_due = deadlines(received_at, time_allowed, WorkingCalendar.china())
    return {
        "case_id": case_id, "kind": kind.value, "township_code": township_code, "received_by": township_code,
        "state": CaseState.PENDING.value,
        "title": title, "subject": subject, "received_at": received_at, "updated_at": received_at,
        "acknowledge_working_days": time_allowed.acknowledge_working_days,
        "resolve_working_days": time_allowed.resolve_working_days,
        "acknowledge_due": acknowledge_due, "resolve_due": resolve_due, **more,
    }


async def add_alerts(session: AsyncSession, events: Sequence[AnomalyDetected], default_time: Deadlines) -> None:
    """A new alert joins the worklist as a case with the time its severity allows; one raised again
    (the data supports it again after a withdrawal) comes back with its handling as it was."""
    rows: dict = {}
    for e in sorted(events, key=lambda e: e.occurred_at):  # the first detection: a later one changes nothing unless withdrawn between
        rows.setdefault(e.payload.alert_id, {
            "alert_id": e.payload.alert_id,
            "township_code": e.payload.township_code,
            "rule": e.payload.rule,
            "uscc": e.payload.uscc,
            "entity_name": e.payload.entity_name,
            "period": e.payload.period,
            "message_zh": e.payload.message_zh,
            "detected_at": e.occurred_at,
            "severity": e.payload.severity,
            "facts": e.payload.facts,
            "also_townships": e.payload.also_townships,
            "record_ids": [str(r) for r in e.payload.record_ids],
            "evidence": e.payload.evidence.model_dump(mode="json") if e.payload.evidence else None,
        })
    if not rows:
        return
    columns = tuple(next(iter(rows.values())))
    stmt = insert_rows(alerts, columns)
    t = alerts.c
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.alert_id],
            set_={"withdrawn_at": None, "withdrawn_message_zh": None, "message_zh": stmt.excluded.message_zh,
                  "facts": stmt.excluded.facts, "record_ids": stmt.excluded.record_ids, "evidence": stmt.excluded.evidence,
                  "latest_evidence": None, "latest_message_zh": None, "changed_at": None,  # frozen afresh
                  "updated_at": stmt.excluded.detected_at},
            where=t.withdrawn_at < stmt.excluded.detected_at,  # only a withdrawn one, and only by a later detection
        ),
        arrays(rows.values(), columns),
    )
    await casework.open_cases(session, [
        _new_case(
            p.alert_id, CaseKind.ALERT, p.township_code, p.entity_name, p.rule, e.occurred_at,
            Deadlines(acknowledge_working_days=p.acknowledge_working_days, resolve_working_days=p.resolve_working_days)
            if p.acknowledge_working_days and p.resolve_working_days else default_time,
            period=p.period, severity=p.severity,
        )
        for e in events for p in [e.payload]
    ])


async def update_alerts(session: AsyncSession, events: Sequence[AnomalyUpdated]) -> None:
    """The data still supports these alerts with other figures: what it says now is kept beside the
    packet frozen when each was raised. An update older than what is held changes nothing."""
    if events:  # one statement, executed per event in their order
        await session.execute(_UPDATE_ALERT, [
            {"b_alert_id": e.payload.alert_id, "b_at": e.occurred_at, "b_facts": e.payload.facts,
             "b_record_ids": [str(r) for r in e.payload.record_ids], "b_evidence": e.payload.evidence.model_dump(mode="json"),
             "b_message_zh": e.payload.message_zh} for e in events])


_UPDATE_ALERT = (
    sa.update(alerts)
    .where(alerts.c.alert_id == sa.bindparam("b_alert_id"), alerts.c.withdrawn_at.is_(None),
           sa.func.coalesce(alerts.c.changed_at, alerts.c.detected_at) < sa.bindparam("b_at"))
    .values(facts=sa.bindparam("b_facts"), record_ids=sa.bindparam("b_record_ids"), latest_evidence=sa.bindparam("b_evidence"),
            latest_message_zh=sa.bindparam("b_message_zh"), changed_at=sa.bindparam("b_at"), updated_at=sa.bindparam("b_at"))
)


async def withdraw_alerts(session: AsyncSession, events: Sequence[AnomalyResolved]) -> None:
    """The data no longer supports these alerts: they leave the township's work, marked as such.
    A withdrawal older than the alert's last detection changes nothing."""
    if events:  # one statement, executed per event in their order
        await session.execute(_WITHDRAW_ALERT, [
            {"b_alert_id": e.payload.alert_id, "b_at": e.occurred_at, "b_message_zh": e.payload.message_zh} for e in events])


_WITHDRAW_ALERT = (
    sa.update(alerts)
    .where(alerts.c.alert_id == sa.bindparam("b_alert_id"),
           sa.or_(alerts.c.updated_at <= sa.bindparam("b_at"), alerts.c.withdrawn_at.is_not(None)))
    .values(withdrawn_at=sa.bindparam("b_at"), withdrawn_message_zh=sa.bindparam("b_message_zh"), updated_at=sa.bindparam("b_at"))
)


# the case's township (it follows a transfer), the alert's own facts
_ALERT = sa.select(*[c for c in alerts.c if c.name not in cases.c], cases).join(cases, cases.c.case_id == alerts.c.alert_id)


async def list_alerts(session: AsyncSession, township_prefix: str, state: str | None, limit: int, offset: int):
    query = _ALERT.where(casework.visible_to(township_prefix)).order_by(alerts.c.detected_at.desc(), alerts.c.alert_id).limit(limit).offset(offset)
    if state:
        query = query.where(cases.c.state == state)
    return (await session.execute(query)).mappings().all()


async def get_alert(session: AsyncSession, alert_id: uuid.UUID):
    return (await session.execute(_ALERT.where(alerts.c.alert_id == alert_id))).mappings().first()


async def open_match_cases(session: AsyncSession, events: Sequence[MatchFailed], time_allowed: Deadlines) -> None:
    """A case per source key (see `domain.match_cases.follow`): its records, its township, and the
    moves between townships, read and written under the case's row lock. A case that moved is the
    new township's to take on afresh; one the matcher reopens (its decision could not be applied)
    is back in 核查中."""
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
    followed, moves = [], []
    for key, its_failures in failures.items():
        record = its_failures[0].payload.record
        case, moved = domain.follow(
            _case(held[key]) if key in held else None, [_failure(e) for e in its_failures],
            department=record.department, kind=record.kind, source_key=record.source_key,
        )
        followed.append(case)
        moves += moved
    rows = [_row(case) for case in followed]
    stmt = insert(t)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[t.c.case_id], set_={c: stmt.excluded[c] for c in rows[0] if c != "case_id"}),
        rows,
    )
    await casework.open_cases(session, [
        _new_case(case.case_id, CaseKind.MATCH_CASE, case.township_code, case.details["name"], case.details["reason"],
                  case.opened_at, time_allowed)
        for case in followed if case.case_id not in held
    ])
    for move in moves:
        fresh = _new_case(move.case_id, CaseKind.MATCH_CASE, move.to_township_code, "", "", move.moved_at, time_allowed)
        await session.execute(sa.update(cases).where(cases.c.case_id == move.case_id).values(
            township_code=move.to_township_code, received_by=move.to_township_code, state=CaseState.PENDING.value, assignee=None, transfer_to=None,
            state_before_transfer=None, acknowledged_at=None, acknowledge_due=fresh["acknowledge_due"],
            resolve_due=fresh["resolve_due"], updated_at=move.moved_at))
    reopened = [case.case_id for case in followed
                if case.case_id in held and held[case.case_id].status == domain.CaseStatus.DECIDED
                and case.status is domain.CaseStatus.OPEN]
    if reopened:
        await session.execute(sa.update(cases).where(
            cases.c.case_id.in_(reopened), cases.c.state.in_([CaseState.RESOLVED.value, CaseState.REVIEWED.value])
        ).values(state=CaseState.VERIFYING.value, disposition=None, resolved_at=None))
    if moves:
        await session.execute(sa.insert(case_moves), [dataclasses.asdict(m) for m in moves])


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


_MATCH_CASE = sa.select(match_cases, cases.c.state, cases.c.assignee, cases.c.acknowledge_due, cases.c.resolve_due).join(
    cases, cases.c.case_id == match_cases.c.case_id)


async def list_match_cases(session: AsyncSession, township_prefix: str, status: str | None, limit: int, offset: int):
    t = match_cases
    query = (
        _MATCH_CASE.where(t.c.township_code.startswith(township_prefix))
        .order_by(t.c.updated_at.desc(), t.c.case_id).limit(limit).offset(offset)
    )
    if status:
        query = query.where(t.c.status == status)
    return (await session.execute(query)).mappings().all()


async def get_match_case(session: AsyncSession, case_id: uuid.UUID):
    return (await session.execute(_MATCH_CASE.where(match_cases.c.case_id == case_id))).mappings().first()


async def record_match_decision(session: AsyncSession, feedback: FeedbackPayload) -> None:
    """The matcher has a decision to apply for this source key (the case's own state moves with the act)."""
    await session.execute(
        sa.update(match_cases)
        .where(match_cases.c.case_id == feedback.alert_id)
        .values(status=domain.CaseStatus.DECIDED, updated_at=feedback.submitted_at)
    )


async def record_corrections(session: AsyncSession, events: Sequence[CorrectionRequested | CorrectionAnswered]) -> None:
    """A department asked, or its answer: either may come first or twice; the first answer stands."""
    if not events:
        return
    rows = {}
    for event in events:
        p = event.payload
        answered_at = p.answered_at if isinstance(event, CorrectionAnswered) else None
        earlier = rows.get(p.request_id)
        rows[p.request_id] = dict(
            request_id=p.request_id, case_id=p.alert_id, department=p.department, township_code=p.township_code,
            requested_at=p.requested_at, answered_at=answered_at or (earlier or {}).get("answered_at"))
    stmt = insert(corrections).values(list(rows.values()))
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[corrections.c.request_id],
        set_={"answered_at": sa.func.coalesce(corrections.c.answered_at, stmt.excluded.answered_at)},
    ))
