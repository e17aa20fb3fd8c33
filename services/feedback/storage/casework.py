"""Cases, their acts and their photos in PostgreSQL: the worklist query, a case under its row lock,
an act and its effect on the case in one statement pair."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import CaseState, FeedbackPayload
from shared.db.bulk import arrays, insert_rows

from services.feedback.domain.cases import Case, CaseKind
from services.feedback.storage.tables import actions, alerts, cases, corrections, evidence, match_cases

OPEN_STATES = (CaseState.PENDING, CaseState.ACKNOWLEDGED, CaseState.VERIFYING, CaseState.TRANSFERRING)


async def open_cases(session: AsyncSession, rows: Sequence[dict]) -> None:
    """New worklist items; an item already there (an alert raised again) keeps its handling."""
    if rows:
        columns = tuple(rows[0])
        await session.execute(insert_rows(cases, columns).on_conflict_do_nothing(index_elements=[cases.c.case_id]),
                              arrays(rows, columns))


def case_of(row) -> Case:
    return Case(
        case_id=row["case_id"], kind=CaseKind(row["kind"]), township_code=row["township_code"],
        state=CaseState(row["state"]), assignee=row["assignee"], disposition=row["disposition"],
        transfer_to=row["transfer_to"],
        state_before_transfer=CaseState(row["state_before_transfer"]) if row["state_before_transfer"] else None,
        also_townships=tuple(row.get("also_townships") or ()),
    )


def _with_alert(*alert_columns: sa.Column) -> sa.Select:
    return sa.select(
        cases, *alert_columns, sa.func.coalesce(alerts.c.message_zh, match_cases.c.message_zh).label("message_zh"),
    ).select_from(cases.outerjoin(alerts, alerts.c.alert_id == cases.c.case_id)
                  .outerjoin(match_cases, match_cases.c.case_id == cases.c.case_id))


_WITH_ALERT = _with_alert(alerts.c.uscc, alerts.c.also_townships, alerts.c.withdrawn_at, alerts.c.withdrawn_message_zh,
                          alerts.c.record_ids, alerts.c.evidence, alerts.c.latest_evidence, alerts.c.latest_message_zh,
                          alerts.c.changed_at)
# A worklist row shows no evidence packet and no record ids: not read, not sent, not decoded for a
# page of 100 cases (an alert's packet holds 13 months of figures)
_LISTED = _with_alert(alerts.c.also_townships, alerts.c.withdrawn_at)


async def get_case(session: AsyncSession, case_id: uuid.UUID, *, for_update: bool = False):
    query = _WITH_ALERT.where(cases.c.case_id == case_id)
    if for_update:
        query = query.with_for_update(of=cases)
    return (await session.execute(query)).mappings().first()


def visible_to(township_prefix: str):
    """A township sees its cases, those offered to it by a transfer, and alerts that name it (属地不一致);
    a supervisor every case of the area it oversees."""
    c = cases.c
    if len(township_prefix) == 9:
        return sa.or_(c.township_code == township_prefix, c.transfer_to == township_prefix,
                      sa.func.coalesce(alerts.c.also_townships, sa.text("'[]'::jsonb")).op("?")(township_prefix))
    return sa.or_(c.township_code.startswith(township_prefix), c.transfer_to.startswith(township_prefix))


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    subject: str | None = None  # a rule id, or a matcher's reason
    state: CaseState | None = None
    assignee: str | None = None
    period: str | None = None
    overdue_on: date | None = None  # only cases past a deadline on this day


def _due():
    """The deadline that matters now: to acknowledge while 待签收, else to resolve."""
    return sa.case((cases.c.state == CaseState.PENDING.value, cases.c.acknowledge_due), else_=cases.c.resolve_due)


def overdue_on(day: date):
    c = cases.c
    return sa.and_(c.state.in_([s.value for s in OPEN_STATES]), _due() < day)


async def worklist(session: AsyncSession, township_prefix: str, filters: Filters, limit: int, offset: int):
    """Open cases first, each group by its next deadline (none last), then oldest first."""
    c = cases.c
    query = _LISTED.where(visible_to(township_prefix))
    for column, value in ((c.kind, filters.kind), (c.subject, filters.subject), (c.state, filters.state),
                          (c.assignee, filters.assignee), (c.period, filters.period)):
        if value is not None:
            query = query.where(column == value)
    if filters.overdue_on is not None:
        query = query.where(overdue_on(filters.overdue_on))
    is_open = c.state.in_([s.value for s in OPEN_STATES])
    query = query.order_by(sa.desc(is_open), _due().asc().nulls_last(), c.received_at, c.case_id)
    return (await session.execute(query.limit(limit).offset(offset))).mappings().all()


async def act_recorded(session: AsyncSession, feedback_id: uuid.UUID) -> bool:
    return (await session.execute(sa.select(sa.literal(1)).where(actions.c.feedback_id == feedback_id))).first() is not None


async def record_act(session: AsyncSession, feedback: FeedbackPayload, changes: dict, holder_after: str) -> dict:
    """The act in the case's history and its effect on the case, in the caller's transaction;
    returns the case's columns as the update left them (none when nothing changed)."""
    updated: dict = {}
    if changes:
        updated = dict((await session.execute(
            sa.update(cases).where(cases.c.case_id == feedback.alert_id)
            .values(**changes, updated_at=feedback.submitted_at).returning(*cases.c))).mappings().one())
    await session.execute(sa.insert(actions).values(
        feedback_id=feedback.feedback_id, alert_id=feedback.alert_id, action=feedback.action, actor=feedback.actor,
        note=feedback.note, submitted_at=feedback.submitted_at, state_after=feedback.state,
        disposition=feedback.disposition, assignee=feedback.assignee, to_township=feedback.to_township,
        device=feedback.device, evidence_id=feedback.evidence.evidence_id if feedback.evidence else None,
        holder_after=holder_after,
    ))
    return updated


async def history(session: AsyncSession, case_id: uuid.UUID):
    query = sa.select(actions).where(actions.c.alert_id == case_id).order_by(actions.c.submitted_at, actions.c.feedback_id)
    return (await session.execute(query)).mappings().all()


_EVIDENCE_FACTS = [column for column in evidence.c if column.name not in ("content", "thumbnail")]


async def add_evidence(session: AsyncSession, row: dict) -> None:
    await session.execute(sa.insert(evidence).values(**row))


async def evidence_of(session: AsyncSession, case_id: uuid.UUID):
    query = sa.select(*_EVIDENCE_FACTS).where(evidence.c.case_id == case_id).order_by(evidence.c.uploaded_at)
    return (await session.execute(query)).mappings().all()


async def evidence_content(session: AsyncSession, evidence_id: uuid.UUID, *, thumbnail: bool):
    column = evidence.c.thumbnail if thumbnail else evidence.c.content
    query = sa.select(evidence.c.case_id, evidence.c.content_type, column.label("content")).where(
        evidence.c.evidence_id == evidence_id)
    return (await session.execute(query)).mappings().first()


async def timelines(session: AsyncSession, received_from: datetime, received_before: datetime):
    """Every case received in the window with its acts in order: what 效能监测 is computed from."""
    query = (
        sa.select(cases.c.case_id, cases.c.kind, cases.c.subject, cases.c.received_by, cases.c.received_at,
                  cases.c.acknowledge_due, cases.c.resolve_due, alerts.c.uscc.label("uscc"), actions.c.submitted_at, actions.c.action,
                  actions.c.state_after, actions.c.holder_after)
        .select_from(cases.outerjoin(alerts, alerts.c.alert_id == cases.c.case_id)
                     .outerjoin(actions, sa.and_(actions.c.alert_id == cases.c.case_id, actions.c.holder_after.is_not(None))))
        .where(cases.c.received_at >= received_from, cases.c.received_at < received_before)
        .order_by(cases.c.case_id, actions.c.submitted_at, actions.c.feedback_id)
    )
    return (await session.execute(query)).mappings().all()


async def corrections_requested(session: AsyncSession, requested_from: datetime, requested_before: datetime):
    """The departments asked to correct records in the window (数据错误), answered or not."""
    query = sa.select(corrections).where(
        corrections.c.requested_at >= requested_from, corrections.c.requested_at < requested_before)
    return (await session.execute(query.order_by(corrections.c.requested_at, corrections.c.request_id))).mappings().all()


async def corrections_of_case(session: AsyncSession, case_id: uuid.UUID):
    query = sa.select(corrections).where(corrections.c.case_id == case_id)
    return (await session.execute(query.order_by(corrections.c.requested_at, corrections.c.department))).mappings().all()


async def overdue(session: AsyncSession, today: date):
    """Open cases past their current deadline that the city has not been told of yet."""
    query = sa.select(cases).where(overdue_on(today), sa.func.coalesce(cases.c.escalation, "") != "city")
    return (await session.execute(query.order_by(cases.c.case_id))).mappings().all()


async def escalated(session: AsyncSession, case_id: uuid.UUID, level: str, at: datetime) -> None:
    await session.execute(sa.update(cases).where(cases.c.case_id == case_id).values(escalation=level, escalated_at=at))
