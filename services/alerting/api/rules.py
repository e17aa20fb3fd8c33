"""Supervisors' view of the rules: the intervals in force (configured and fitted, with their sample
size), and silences — who held back which alerts, where, until when and why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field, model_validator

from shared import uscc as uscc_codes
from shared.auth import Principal, Role, require_role
from shared.service import Service
from shared.service.http import Paged, PeriodFilter, error_responses
from shared.text import StorableText

from services.alerting.domain.catalogue import CATALOGUE
from services.alerting.domain.history import division
from services.alerting.domain.ruleset import RuleSet
from services.alerting.storage import repository

Supervisor = Annotated[Principal, Depends(require_role(Role.SUPERVISOR))]
MAX_SILENCE = timedelta(days=366)  # a silence is a pause, not a deletion: a year at most, then judged again


class IntervalOut(BaseModel):
    period: str | None = Field(description="the period it was fitted for; null for the city's configured ones")
    industry: str = Field(description="GB/T 4754 大类, e.g. C13")
    county: str | None = Field(description="6-digit county code, or null for the whole city")
    low: float = Field(description="元/千瓦时")
    high: float = Field(description="元/千瓦时")
    sample_size: int = Field(description="entities it was fitted on; 0 for a configured one")
    source: str = Field(description="configured (the city's) or fitted (P-low–P-high of the period's peers)")


class SilenceIn(BaseModel):
    rule: str | None = Field(None, description="a rule id of the catalogue; null silences every rule")
    uscc: Annotated[StorableText, Field(max_length=18)] | None = Field(None, description="one entity")
    industry: Annotated[StorableText, Field(max_length=5)] | None = Field(None, description="a GB/T 4754 大类 (C13 or 13)")
    township_prefix: Annotated[StorableText, Field(max_length=9)] | None = Field(
        None, description="a township (9 digits) or county (6) in the caller's area; the caller's whole area by default")
    starts_at: datetime | None = Field(None, description="now by default")
    ends_at: datetime
    reason: Annotated[StorableText, Field(min_length=2, max_length=500)]

    @model_validator(mode="after")
    def _window(self) -> SilenceIn:
        start = self.starts_at or datetime.now(UTC)
        if start.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a time zone")
        if not timedelta(0) < self.ends_at - start <= MAX_SILENCE:  # a difference: no overflow near year 9999
            raise ValueError("ends_at must be after starts_at and at most a year later")
        return self


class SilenceOut(BaseModel):
    silence_id: uuid.UUID
    rule: str | None
    uscc: str | None
    industry: str | None
    township_prefix: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str
    created_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    active: bool


def _refused(code: str, message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail={"code": code, "message": message})


def _out(row) -> SilenceOut:
    now = datetime.now(UTC)
    active = row["starts_at"] <= now < row["ends_at"] and row["lifted_at"] is None
    return SilenceOut(**row, active=active)


def router(service: Service, ruleset: RuleSet) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["rules"], responses=error_responses(401, 403, 422, 503))

    @api.get("/intervals", response_model=list[IntervalOut])
    async def intervals(_: Supervisor, page: Paged, period: PeriodFilter = None) -> list[IntervalOut]:
        """税电比合理区间: the city's configured intervals, then each period's fitted ones with their sample size."""
        configured = [
            IntervalOut(period=None, industry=industry, county=county, low=i.low, high=i.high, sample_size=0, source="configured")
            for (industry, county), i in sorted(ruleset.intervals.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        ]
        async with service.sessions() as session:
            fitted = await repository.fitted_intervals(session, period, page.limit, page.offset)
        return (configured if page.offset == 0 else []) + [IntervalOut(**row) for row in fitted]

    @api.post("/silences", response_model=SilenceOut, status_code=status.HTTP_201_CREATED, responses=error_responses(422))
    async def silence(body: SilenceIn, principal: Supervisor) -> SilenceOut:
        """Hold back alerts matching every given matcher, in the caller's area, until `ends_at`."""
        area = principal.township_prefix or ""
        prefix = body.township_prefix or area
        if not prefix.startswith(area) or not prefix.isdigit():
            raise _refused("outside_area", "只能静默本辖区（乡镇、县区）的预警")
        if body.rule is not None and body.rule not in CATALOGUE:
            raise _refused("rule_unknown", f"规则 {body.rule} 不在预警规则目录中")
        if body.uscc is not None and not uscc_codes.is_valid(body.uscc.upper()):
            raise _refused("uscc_invalid", "统一社会信用代码无效")
        industry = division(body.industry) if body.industry else None
        if body.industry and industry is None:
            raise _refused("industry_invalid", "行业须为国民经济行业分类大类，如 C13")
        row = {
            "silence_id": uuid.uuid4(), "rule": body.rule, "uscc": body.uscc.upper() if body.uscc else None,
            "industry": industry, "township_prefix": prefix, "starts_at": body.starts_at or datetime.now(UTC),
            "ends_at": body.ends_at, "reason": body.reason, "created_by": principal.actor,
        }
        async with service.sessions() as session, session.begin():
            saved = await repository.add_silence(session, row)
        return _out(saved)

    @api.get("/silences", response_model=list[SilenceOut])
    async def silences(
        principal: Supervisor, page: Paged, active: Annotated[bool | None, Query(description="only those in force now")] = None,
    ) -> list[SilenceOut]:
        """The area's silences, newest first, lifted and expired ones too: the audit trail."""
        async with service.sessions() as session:
            rows = await repository.list_silences(session, principal.township_prefix or "", active, page.limit, page.offset)
        return [_out(row) for row in rows]

    @api.delete("/silences/{silence_id}", response_model=SilenceOut, responses=error_responses(404, 409))
    async def lift(silence_id: uuid.UUID, principal: Supervisor) -> SilenceOut:
        """Lift a silence now: what it held back is published on the next sweep."""
        async with service.sessions() as session, session.begin():
            row = await repository.get_silence(session, silence_id)
            if row is None or not row["township_prefix"].startswith(principal.township_prefix or ""):
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail={"code": "silence_not_found", "message": "未找到该静默"})
            if row["lifted_at"] is not None or row["ends_at"] <= datetime.now(UTC):
                raise HTTPException(status.HTTP_409_CONFLICT, detail={"code": "silence_ended", "message": "该静默已结束"})
            lifted = await repository.lift_silence(session, silence_id, principal.actor)
        return _out(lifted)

    return api
