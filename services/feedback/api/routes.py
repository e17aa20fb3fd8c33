"""Alerts as township systems read them: the alert's own facts, its case's state and history, and
签收 / 办结 as shortcuts of the worklist's acts (`/v1/cases`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shared.contracts import CaseState, FeedbackAction
from shared.service.http import Paged, error_responses
from shared.text import StorableText

from services.feedback.api.access import AnyReader, TownshipPrincipal, caller, not_found, refusal
from services.feedback.api.cases import ActOut, CaseOut, case_out
from services.feedback.casework import CaseNotFound, Casework
from services.feedback.domain.cases import ActRequest, CaseKind, TransitionRefused
from services.feedback.storage import casework as storage
from services.feedback.storage import repository


class AlertOut(CaseOut):
    alert_id: uuid.UUID
    rule: str
    uscc: str
    entity_name: str
    facts: dict[str, float | str] = Field(description="the figures that triggered the rule")
    also_townships: list[str] = Field(description="other townships the alert concerns (属地不一致): they see it too")
    withdrawn_message_zh: str | None
    detected_at: datetime


class AlertDetail(AlertOut):
    history: list[ActOut]


class FeedbackIn(BaseModel):
    note: StorableText = Field(
        default="", max_length=2000, description="what was verified or done (required to resolve)"
    )
    disposition: str | None = Field(default=None, max_length=64, description="resolve: an id from /v1/dispositions")


def router(casework: Casework) -> APIRouter:
    service = casework.service
    api = APIRouter(prefix="/v1/alerts", tags=["alerts"], responses=error_responses(401, 403, 422, 503))

    def alert_out(row) -> dict:
        return {**case_out(row, casework.dispositions), **row}

    @api.get("", response_model=list[AlertOut])
    async def list_alerts(
        principal: AnyReader, page: Paged, state: Annotated[CaseState | None, Query()] = None,
    ) -> list[AlertOut]:
        """Alerts of the caller's township (a supervisor: of every township they oversee), newest first."""
        async with service.read_sessions() as session:
            rows = await repository.list_alerts(session, principal.township_prefix or "", state, page.limit, page.offset)
        return [AlertOut(**alert_out(row)) for row in rows]

    async def detail(session, alert_id: uuid.UUID, principal) -> AlertDetail:
        row = await repository.get_alert(session, alert_id)
        if row is None or not storage.case_of(row).visible_to(caller(principal).actor):
            raise not_found("alert_not_found", "未找到该预警")
        history = await storage.history(session, alert_id)
        return AlertDetail(**alert_out(row), history=[ActOut(**h, action_zh=FeedbackAction(h["action"]).label_zh)
                                                      for h in history])

    @api.get("/{alert_id}", response_model=AlertDetail, responses=error_responses(404))
    async def get_alert(alert_id: uuid.UUID, principal: AnyReader) -> AlertDetail:
        async with service.read_sessions() as session:
            return await detail(session, alert_id, principal)

    async def handle(alert_id: uuid.UUID, action: FeedbackAction, body: FeedbackIn, principal, request: Request):
        try:  # answered from the act's own transaction: the alert as the act left it
            performed = await casework.perform(alert_id, caller(principal, request), ActRequest(action, body.note, body.disposition),
                                               answer=lambda session, _: detail(session, alert_id, principal))
        except CaseNotFound:
            raise not_found("alert_not_found", "未找到该预警") from None
        except TransitionRefused as refused:
            raise refusal(refused) from None
        return performed.answer

    @api.post("/{alert_id}/acknowledge", response_model=AlertDetail, responses=error_responses(404, 409))
    async def acknowledge(
        alert_id: uuid.UUID, principal: TownshipPrincipal, request: Request, body: FeedbackIn | None = None
    ) -> AlertDetail:
        """签收: the township has seen the alert and takes it on."""
        return await handle(alert_id, FeedbackAction.ACKNOWLEDGE, body or FeedbackIn(), principal, request)

    @api.post("/{alert_id}/resolve", response_model=AlertDetail, responses=error_responses(404, 409))
    async def resolve(alert_id: uuid.UUID, body: FeedbackIn, principal: TownshipPrincipal, request: Request) -> AlertDetail:
        """办结: verified on site and handled; the note says what was done, the disposition what was found."""
        return await handle(alert_id, FeedbackAction.RESOLVE, body, principal, request)

    return api
