"""Match cases over HTTP: the township sees what the matcher could not link, with the candidates and
why, and decides: link to an entity, not a registered business, or split a shared meter."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shared.contracts import Candidate, CaseState, FeedbackAction, MatchDecision
from shared.reference import township as township_of
from shared.service.http import Paged, error_responses
from shared.text import StorableText

from services.feedback.api.access import AnyReader, TownshipPrincipal, caller, not_found, refusal
from services.feedback.casework import CaseNotFound, Casework
from services.feedback.domain.cases import ActRequest, TransitionRefused
from services.feedback.domain.match_cases import CaseStatus, decide
from services.feedback.storage import casework as storage
from services.feedback.storage import repository


class MatchCaseOut(BaseModel):
    case_id: uuid.UUID
    township_code: str
    department: str
    kind: str
    source_key: str
    name: str
    reason: str
    message_zh: str
    candidates: list[Candidate]
    record_ids: list[uuid.UUID]
    status: CaseStatus = Field(description="decided: the matcher has the township's decision to apply")
    state: CaseState = Field(description="the case's handling (see /v1/cases)")
    assignee: str | None
    acknowledge_due: date | None
    resolve_due: date | None
    opened_at: datetime
    updated_at: datetime


class CaseMoveOut(BaseModel):
    """A case that followed its source key's newest record into another township."""

    case_id: uuid.UUID
    from_township_code: str
    to_township_code: str
    moved_at: datetime
    message_zh: str


class MovedCaseOut(CaseMoveOut):
    department: str
    kind: str


class MatchCaseDetail(MatchCaseOut):
    moves: list[CaseMoveOut] = Field(description="the townships the case was in before, oldest first")


def township_label(code: str) -> str:
    known = township_of(code)
    return f"{known.division_name}{known.name}（{code}）" if known else code


def _move(row) -> dict:
    return {**row, "message_zh": f"该用户号的最新记录属于{township_label(row['to_township_code'])}，"
                                 f"核实事项已由{township_label(row['from_township_code'])}转至该乡镇（街道）"}


class DecisionIn(BaseModel):
    action: Literal["link", "not_registered", "split", "not_same_entity"]
    usccs: list[Annotated[StorableText, Field(max_length=40)]] = Field(
        default_factory=list, max_length=50,
        description="link: one; split: two or more; not_same_entity: the candidates verified not to be it"
    )
    shares: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        default=None, description="split: each entity's part (default: equal)"
    )
    note: StorableText = Field(max_length=2000, description="what was verified on site (required)")


def router(casework: Casework) -> APIRouter:
    service = casework.service
    api = APIRouter(prefix="/v1/match-cases", tags=["match cases"], responses=error_responses(401, 403, 422, 503))

    @api.get("", response_model=list[MatchCaseOut])
    async def list_cases(
        principal: AnyReader,
        page: Paged,
        status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    ) -> list[MatchCaseOut]:
        """Unmatched source keys of the caller's township, most recently updated first."""
        async with service.read_sessions() as session:
            rows = await repository.list_match_cases(
                session, principal.township_prefix or "", status_, page.limit, page.offset
            )
        return [MatchCaseOut(**row) for row in rows]

    @api.get("/moves", response_model=list[MovedCaseOut])
    async def list_moves(principal: AnyReader, page: Paged) -> list[MovedCaseOut]:
        """Cases that left the caller's township for another, or came to it, newest first. The
        township a case left sees only where it went: its records now belong to the other."""
        async with service.read_sessions() as session:
            rows = await repository.moves_of(session, principal.township_prefix or "", page.limit, page.offset)
        return [MovedCaseOut(**_move(row)) for row in rows]

    @api.get("/{case_id}", response_model=MatchCaseDetail, responses=error_responses(404))
    async def get_case(case_id: uuid.UUID, principal: AnyReader) -> MatchCaseDetail:
        async with service.read_sessions() as session:
            case = await storage.get_case(session, case_id)
            if case is None or not storage.case_of(case).visible_to(caller(principal).actor):
                raise not_found("case_not_found", "未找到该核实事项")
            row = await repository.get_match_case(session, case_id)
            moves = await repository.moves_of_case(session, case_id)
        return MatchCaseDetail(**row, moves=[CaseMoveOut(**_move(m)) for m in moves])

    @api.post("/{case_id}/decision", response_model=MatchCaseOut, responses=error_responses(404, 409))
    async def decide_case(case_id: uuid.UUID, body: DecisionIn, principal: TownshipPrincipal, request: Request) -> MatchCaseOut:
        """The township's verified answer (the case's resolution); it applies to this source key's
        records now and later."""
        action = FeedbackAction(body.action)

        async def decision(session) -> MatchDecision:
            row = await repository.get_match_case(session, case_id)
            return decide(CaseStatus(row["status"]), action, row["department"], row["source_key"],
                          body.usccs, body.shares, body.note)

        async def answer(session, _) -> MatchCaseOut:  # the decision as recorded, in its own transaction
            return MatchCaseOut(**await repository.get_match_case(session, case_id))

        try:
            performed = await casework.perform(case_id, caller(principal, request), ActRequest(action, body.note),
                                               check=decision, answer=answer)
        except CaseNotFound:
            raise not_found("case_not_found", "未找到该核实事项") from None
        except TransitionRefused as refused:
            raise refusal(refused) from None
        return performed.answer

    return api
