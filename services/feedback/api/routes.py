"""Township worklist and handling: list alerts, acknowledge (签收), resolve (办结)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.contracts import FeedbackAction, FeedbackPayload, FeedbackSubmitted
from shared.messaging.outbox import UnitOfWork
from shared.service import Service
from shared.service.http import Paged, error_responses
from shared.text import StorableText

from services.feedback.api.access import AnyReader, TownshipPrincipal, not_found
from services.feedback.domain.handling import AlertStatus, TransitionRefused, apply
from services.feedback.storage import repository
from services.feedback.storage.tables import outbox
from services.feedback.telemetry import FEEDBACK

PRODUCER = "feedback"


class AlertOut(BaseModel):
    alert_id: uuid.UUID
    township_code: str
    rule: str
    uscc: str
    entity_name: str
    period: str
    message_zh: str
    status: AlertStatus
    severity: str = Field(description="high, medium or low, as the rule set says")
    facts: dict[str, float | str] = Field(description="the figures that triggered the rule")
    also_townships: list[str] = Field(description="other townships the alert concerns (属地不一致): they see it too")
    withdrawn_at: datetime | None = Field(
        description="when the data stopped supporting the alert (a correction, a late record): nothing left to do"
    )
    withdrawn_message_zh: str | None
    acknowledge_overdue_since: date | None = Field(description="签收 deadline passed undone: the last day it was due")
    resolve_overdue_since: date | None = Field(description="办结 deadline passed undone: the last day it was due")
    detected_at: datetime
    updated_at: datetime


def _sees(principal: Principal, row) -> bool:
    return principal.can_see_township(row["township_code"]) or any(
        principal.can_see_township(code) for code in row["also_townships"])


class ActionOut(BaseModel):
    feedback_id: uuid.UUID
    action: FeedbackAction
    actor: str
    note: str
    submitted_at: datetime


class AlertDetail(AlertOut):
    history: list[ActionOut]


class FeedbackIn(BaseModel):
    note: StorableText = Field(
        default="", max_length=2000, description="what was verified or done (required to resolve)"
    )


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1/alerts", tags=["alerts"], responses=error_responses(401, 403, 422, 503))

    @api.get("", response_model=list[AlertOut])
    async def list_alerts(
        principal: AnyReader,
        page: Paged,
        status_: Annotated[Literal["open", "acknowledged", "resolved"] | None, Query(alias="status")] = None,
    ) -> list[AlertOut]:
        """Alerts of the caller's township (a supervisor: of every township they oversee), newest first."""
        async with service.sessions() as session:
            rows = await repository.list_alerts(
                session, principal.township_prefix or "", status_, page.limit, page.offset
            )
        return [AlertOut(**row) for row in rows]

    @api.get("/{alert_id}", response_model=AlertDetail, responses=error_responses(404))
    async def get_alert(alert_id: uuid.UUID, principal: AnyReader) -> AlertDetail:
        async with service.sessions() as session:
            row = await repository.get_alert(session, alert_id)
            if row is None or not _sees(principal, row):
                raise not_found("alert_not_found", "未找到该预警")
            history = await repository.history(session, alert_id)
        return AlertDetail(**row, history=[ActionOut(**h) for h in history])

    async def handle(alert_id: uuid.UUID, action: FeedbackAction, body: FeedbackIn, principal: Principal) -> AlertDetail:
        async with service.sessions() as session, session.begin():
            row = await repository.get_alert_for_update(session, alert_id)
            if row is None or not _sees(principal, row):
                raise not_found("alert_not_found", "未找到该预警")
            if row["withdrawn_at"] is not None:
                raise HTTPException(status.HTTP_409_CONFLICT, detail={
                    "code": "alert_withdrawn", "message": "数据已更正，该预警已自动撤销，无需处理"})
            try:
                new_status = apply(AlertStatus(row["status"]), action, body.note)
            except TransitionRefused as refused:
                raise HTTPException(
                    status.HTTP_409_CONFLICT, detail={"code": refused.code, "message": refused.message_zh}
                ) from None
            feedback = FeedbackPayload(
                feedback_id=uuid.uuid4(),
                alert_id=alert_id,
                action=action,
                township_code=row["township_code"],
                actor=principal.actor,
                note=body.note,
                submitted_at=datetime.now(UTC),
            )
            await repository.record_action(session, feedback, new_status)
            uow = UnitOfWork(session, outbox)
            uow.emit(
                FeedbackSubmitted.create(feedback, producer=PRODUCER, correlation_id=alert_id),
                key=str(alert_id),
            )
            await uow.flush()
            history = await repository.history(session, alert_id)
            updated = await repository.get_alert(session, alert_id)
        service.relay.wake()
        FEEDBACK.labels(action).inc()
        return AlertDetail(**updated, history=[ActionOut(**h) for h in history])

    @api.post("/{alert_id}/acknowledge", response_model=AlertDetail, responses=error_responses(404, 409))
    async def acknowledge(
        alert_id: uuid.UUID, principal: TownshipPrincipal, body: FeedbackIn | None = None
    ) -> AlertDetail:
        """签收: the township has seen the alert and takes it on."""
        return await handle(alert_id, FeedbackAction.ACKNOWLEDGE, body or FeedbackIn(), principal)

    @api.post("/{alert_id}/resolve", response_model=AlertDetail, responses=error_responses(404, 409))
    async def resolve(alert_id: uuid.UUID, body: FeedbackIn, principal: TownshipPrincipal) -> AlertDetail:
        """办结: verified on site and handled; the note says what was found and done."""
        return await handle(alert_id, FeedbackAction.RESOLVE, body, principal)

    return api
