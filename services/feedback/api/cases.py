"""The township's worklist over HTTP: every case (alerts and match cases) in one list ordered by due
time, a case with its history and photos, the acts people do on it, and photos from the field.

Every act may carry an `Idempotency-Key` header: a phone on a village network that retries a
request it never saw answered does not act twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shared.contracts import CaseState, Evidence, EvidencePacket, FeedbackAction, SourceKey
from shared.records.fields import TownshipCode
from shared.reference import department_name
from shared.service.http import Paged, PeriodFilter, error_responses
from shared.text import StorableText
from shared.working_days import LOCAL_TZ

from services.feedback.api.access import AnyReader, caller, not_found, refusal
from services.feedback.casework import CaseNotFound, Casework
from services.feedback.domain.cases import ActRequest, Actor, CaseKind, TransitionRefused, allowed_actions
from services.feedback.domain.evidence import changes_since
from services.feedback.domain.photos import PhotoRefused, inspect
from services.feedback.settings import FeedbackSettings
from services.feedback.storage import casework as storage
from services.feedback.storage.casework import Filters

KIND_ZH = {CaseKind.ALERT: "预警", CaseKind.MATCH_CASE: "待核实记录"}


class CaseOut(BaseModel):
    case_id: uuid.UUID
    kind: CaseKind
    kind_zh: str
    township_code: str
    state: CaseState
    state_zh: str = Field(description="待签收、已签收、核查中、已办结、已复核 or 转办中")
    title: str = Field(description="the entity's name, or the unmatched record's")
    subject: str = Field(description="the rule id of an alert, the matcher's reason of a match case")
    message_zh: str | None
    period: str | None
    severity: str | None
    assignee: str | None
    disposition: str | None
    disposition_zh: str | None
    transfer_to: str | None = Field(description="转办中: the township asked to take the case")
    received_at: datetime
    acknowledge_due: date | None = Field(description="签收 by this day (working days of the official calendar)")
    resolve_due: date | None = Field(description="办结 by this day")
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    overdue: bool = Field(description="a deadline has passed with the case still open")
    escalation: Literal["county", "city"] | None = Field(description="who has been told it is overdue")
    withdrawn_at: datetime | None = Field(description="an alert the data no longer supports: nothing left to do")
    updated_at: datetime


class ActOut(BaseModel):
    feedback_id: uuid.UUID
    action: FeedbackAction
    action_zh: str
    actor: str
    note: str
    submitted_at: datetime
    state_after: CaseState | None
    disposition: str | None
    assignee: str | None
    to_township: str | None
    device: str
    evidence_id: uuid.UUID | None


class PhotoOut(BaseModel):
    evidence_id: uuid.UUID
    content_type: str
    size: int
    width: int
    height: int
    latitude: float | None
    longitude: float | None
    accuracy_m: float | None
    taken_at: datetime | None
    actor: str
    uploaded_at: datetime
    url: str
    thumbnail_url: str


class CorrectionOut(BaseModel):
    """数据错误: a department asked to correct the alert's records, and whether it has."""

    department: str
    department_name: str
    requested_at: datetime
    answered_at: datetime | None = Field(description="when it sent a corrected record; null: still awaited")
    status_zh: str


class ChangeOut(BaseModel):
    what_zh: str = Field(description="what changed, e.g. 2026-10 用电（千瓦时）")
    before: str = Field(description="in the evidence packet frozen when the alert was raised")
    after: str = Field(description="as the data stands now")


class CaseDetail(CaseOut):
    evidence: EvidencePacket | None = Field(description="an alert's facts as they were when it was raised")
    changed_at: datetime | None = Field(description="when alerting last said the alert's figures changed (still supported)")
    latest_message_zh: str | None = Field(description="the alert's message as the data reads now")
    changes_since: list[ChangeOut] = Field(description="what differs now from the frozen evidence packet")
    history: list[ActOut]
    photos: list[PhotoOut]
    corrections: list[CorrectionOut] = Field(description="the departments asked to correct its records (数据错误)")
    actions: list[FeedbackAction] = Field(description="what the caller may do to the case now")


class DispositionOut(BaseModel):
    id: str
    label_zh: str
    applies_to: list[str]
    effect: str


class ActIn(BaseModel):
    action: Literal["acknowledge", "verify", "assign", "resolve", "review", "return", "transfer",
                    "accept_transfer", "refuse_transfer"]
    note: StorableText = Field(default="", max_length=2000, description="what was found or why (required to resolve, "
                                                                          "return, transfer or refuse a transfer)")
    disposition: str | None = Field(default=None, max_length=64, description="resolve: an id from /v1/dispositions")
    assignee: str | None = Field(default=None, max_length=64, description="assign: the officer's user name")
    to_township: TownshipCode | None = Field(default=None, description="transfer: the township to take the case")
    not_linked: list[SourceKey] = Field(
        default_factory=list, max_length=50,
        description="resolve as not_same_entity: the department keys of the alert's records verified not to be its "
                    "entity (evidence.links); none given: all of them")


_MATCH_DECISIONS = {a.value: a for a in FeedbackAction if a.decides_match}


def local_today() -> date:
    return datetime.now(UTC).astimezone(LOCAL_TZ).date()


def case_out(row, dispositions, today: date | None = None) -> dict:
    """The row as CaseOut's fields; `today`: the local day overdue is judged on (once for a list)."""
    state, kind = CaseState(row["state"]), CaseKind(row["kind"])
    due = row["acknowledge_due"] if state is CaseState.PENDING else row["resolve_due"]
    closed = state in (CaseState.RESOLVED, CaseState.REVIEWED) or row["withdrawn_at"] is not None
    disposition = dispositions.get(row["disposition"])
    decision = _MATCH_DECISIONS.get(row["disposition"] or "")  # a match case resolved by its decision
    return {
        **row, "kind_zh": KIND_ZH[kind], "state_zh": state.label_zh,
        "disposition_zh": disposition.label_zh if disposition else decision.label_zh if decision else None,
        "overdue": not closed and due is not None and due < (today or local_today()),
    }


async def read_worklist(casework: Casework, principal, filters: Filters, limit: int, offset: int) -> list[CaseOut]:
    """The caller's worklist (the API's and the worklist page's)."""
    async with casework.service.read_sessions() as session:
        rows = await storage.worklist(session, principal.township_prefix or "", filters, limit, offset)
    today, dispositions = local_today(), casework.dispositions
    return [CaseOut(**case_out(row, dispositions, today)) for row in rows]


async def read_case(casework: Casework, case_id: uuid.UUID, principal) -> CaseDetail:
    """The case as the caller may see it (the API's and the case page's)."""
    actor = caller(principal).actor
    async with casework.service.read_sessions() as session:
        row = await storage.get_case(session, case_id)
        if row is None or not storage.case_of(row).visible_to(actor):
            raise not_found("case_not_found", "未找到该事项")
        facts = await case_facts(session, row)
    return case_detail(casework, facts, actor)


@dataclass(frozen=True)
class CaseFacts:
    row: Mapping[str, Any]  # as `storage.get_case` reads it
    history: Sequence[Mapping[str, Any]]
    photos: Sequence[Mapping[str, Any]]
    corrections: Sequence[Mapping[str, Any]]


async def case_facts(session, row) -> CaseFacts:
    """The case `row` with its history, photos and correction requests, read in `session`: a read's
    own, or an act's transaction to answer with how the case stands after it (even when the act, a
    transfer accepted or refused, took it away from the caller). The reply is built from them once
    the session is closed: neither a connection nor the case's lock is held for that."""
    case_id = row["case_id"]
    return CaseFacts(row, await storage.history(session, case_id), await storage.evidence_of(session, case_id),
                     await storage.corrections_of_case(session, case_id))


def case_detail(casework: Casework, facts: CaseFacts, actor: Actor) -> CaseDetail:
    row = facts.row
    base = f"/v1/cases/{row['case_id']}/photos"
    frozen, latest = row["evidence"], row["latest_evidence"]
    return CaseDetail(
        **case_out(row, casework.dispositions),
        changes_since=[ChangeOut(**vars(c)) for c in changes_since(
            EvidencePacket.model_validate(frozen), EvidencePacket.model_validate(latest))] if frozen and latest else [],
        history=[ActOut(**h, action_zh=FeedbackAction(h["action"]).label_zh) for h in facts.history],
        photos=[PhotoOut(**p, url=f"{base}/{p['evidence_id']}", thumbnail_url=f"{base}/{p['evidence_id']}?size=thumbnail")
                for p in facts.photos],
        corrections=[CorrectionOut(department=c["department"], department_name=department_name(c["department"]),
                                   requested_at=c["requested_at"], answered_at=c["answered_at"],
                                   status_zh="已重新报送" if c["answered_at"] else "待部门更正") for c in facts.corrections],
        actions=[] if row["withdrawn_at"] else allowed_actions(storage.case_of(row), actor),
    )


def router(casework: Casework, settings: FeedbackSettings) -> APIRouter:
    service = casework.service
    api = APIRouter(prefix="/v1", tags=["cases"], responses=error_responses(401, 403, 422, 503))

    @api.get("/cases", response_model=list[CaseOut])
    async def list_cases(
        principal: AnyReader, page: Paged,
        kind: CaseKind | None = None,
        rule: Annotated[str | None, Query(max_length=64, description="an alert's rule id or a match case's reason")] = None,
        state: CaseState | None = None,
        assignee: Annotated[str | None, Query(max_length=64)] = None,
        period: PeriodFilter = None,
        overdue: Annotated[bool, Query(description="only cases past a deadline")] = False,
    ) -> list[CaseOut]:
        """The caller's worklist: open cases first, each by its next deadline; a supervisor's covers
        every township they oversee."""
        filters = Filters(kind, rule, state, assignee, period, local_today() if overdue else None)
        return await read_worklist(casework, principal, filters, page.limit, page.offset)

    @api.get("/cases/{case_id}", response_model=CaseDetail, responses=error_responses(404))
    async def get_case(case_id: uuid.UUID, principal: AnyReader) -> CaseDetail:
        return await read_case(casework, case_id, principal)

    async def perform(case_id: uuid.UUID, who, request: ActRequest, **kw) -> CaseDetail:
        """The act, answered with the case after it from the act's own transaction."""
        try:
            performed = await casework.perform(case_id, who, request, answer=case_facts, **kw)
        except CaseNotFound:
            raise not_found("case_not_found", "未找到该事项") from None
        except TransitionRefused as refused:
            raise refusal(refused) from None
        return case_detail(casework, performed.answer, who.actor)

    @api.post("/cases/{case_id}/acts", response_model=CaseDetail, responses=error_responses(404, 409))
    async def act(case_id: uuid.UUID, body: ActIn, principal: AnyReader, request: Request) -> CaseDetail:
        """签收、核查、指派、办结（附处置结果）、复核、退回、转办、接收或拒绝转办. The answer is the case after
        the act; a replay with the same `Idempotency-Key` answers the same case without acting again."""
        return await perform(case_id, caller(principal, request), ActRequest(
            FeedbackAction(body.action), body.note, body.disposition, body.assignee, body.to_township,
            tuple(body.not_linked)))

    @api.post("/cases/{case_id}/photos", response_model=CaseDetail, responses=error_responses(404, 409, 413))
    async def add_photo(
        case_id: uuid.UUID, principal: AnyReader, request: Request,
        photo: Annotated[UploadFile, File(description="JPEG or PNG from the phone's camera")],
        latitude: Annotated[float | None, Form(ge=-90, le=90)] = None,
        longitude: Annotated[float | None, Form(ge=-180, le=180)] = None,
        accuracy_m: Annotated[float | None, Form(ge=0, le=100_000)] = None,
        taken_at: Annotated[AwareDatetime | None, Form()] = None,
        note: Annotated[StorableText, Form(max_length=500)] = "",
    ) -> CaseDetail:
        """A photo taken on site, with where the phone was (browser geolocation and its accuracy)."""
        content = await photo.read(settings.max_photo_bytes + 1)
        who = caller(principal, request)
        try:
            # decoding and thumbnailing a phone photo takes ~37 ms of CPU: on a worker thread (PIL
            # releases the GIL while it decodes), not on the event loop every other request waits on
            facts = await run_in_threadpool(inspect, content, max_bytes=settings.max_photo_bytes)
        except PhotoRefused as refused:
            raise HTTPException(413 if refused.code == "photo_too_large" else 422,
                                detail={"code": refused.code, "message": refused.message_zh}) from None
        evidence_id = uuid.uuid4()
        reference = Evidence(evidence_id=evidence_id, sha256=facts.sha256, content_type=facts.content_type,
                             size=facts.size, latitude=latitude, longitude=longitude, accuracy_m=accuracy_m,
                             taken_at=taken_at)
        row = {
            "evidence_id": evidence_id, "case_id": case_id, "content_type": facts.content_type, "size": facts.size,
            "sha256": facts.sha256, "width": facts.width, "height": facts.height, "content": content,
            "thumbnail": facts.thumbnail, "latitude": latitude, "longitude": longitude, "accuracy_m": accuracy_m,
            "taken_at": taken_at, "actor": who.actor_id, "uploaded_at": datetime.now(UTC),
        }

        async def room_for_it(session) -> None:
            if len(await storage.evidence_of(session, case_id)) >= settings.max_photos_per_case:
                raise TransitionRefused("too_many_photos", f"每个事项最多上传 {settings.max_photos_per_case} 张照片")

        return await perform(case_id, who, ActRequest(FeedbackAction.ADD_EVIDENCE, note),
                             evidence=(row, reference), check=room_for_it)

    @api.get("/cases/{case_id}/photos/{evidence_id}", responses={**error_responses(404), 200: {
        "content": {"image/jpeg": {}, "image/png": {}}, "description": "the photo, or its thumbnail (JPEG)"}})
    async def get_photo(case_id: uuid.UUID, evidence_id: uuid.UUID, principal: AnyReader,
                        size: Literal["full", "thumbnail"] = "full") -> Response:
        async with service.read_sessions() as session:
            row = await storage.get_case(session, case_id)
            photo = await storage.evidence_content(session, evidence_id, thumbnail=size == "thumbnail")
        if (row is None or photo is None or photo["case_id"] != case_id
                or not storage.case_of(row).visible_to(caller(principal).actor)):
            raise not_found("photo_not_found", "未找到该照片")
        media = "image/jpeg" if size == "thumbnail" else photo["content_type"]
        return Response(photo["content"], media_type=media, headers={"Cache-Control": "private, max-age=86400"})

    @api.get("/dispositions", response_model=list[DispositionOut])
    async def dispositions(principal: AnyReader) -> list[DispositionOut]:
        """处置结果: the closed list a resolution chooses from, and what each makes the platform do."""
        return [DispositionOut(id=d.id, label_zh=d.label_zh, applies_to=list(d.applies_to), effect=d.effect)
                for d in casework.policy.dispositions]

    return api
