"""Backtests for supervisors (回测): a proposed rule set replayed over the stored history before
the city adopts it, answered for the area the supervisor oversees."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field, model_validator

from shared.service import Service
from shared.service.http import Paged, error_responses

from services.alerting.api.rules import Supervisor
from services.alerting.backtest import BacktestOut, months
from services.alerting.domain.ruleset import RuleSetError, parse_ruleset
from services.alerting.settings import AlertingSettings
from services.alerting.storage import backtest_jobs

MAX_PERIODS = 36
_PERIOD = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class BacktestIn(BaseModel):
    ruleset: str = Field(max_length=200_000, description="the proposed rule set, as the YAML of services/alerting/rules/ruleset.yaml")
    first: str = Field(pattern=_PERIOD, description="first month judged, e.g. 2026-01")
    last: str = Field(pattern=_PERIOD, description=f"last month judged; at most {MAX_PERIODS} months from `first`")

    @model_validator(mode="after")
    def _bounded(self) -> BacktestIn:
        if not 1 <= len(months(self.first, self.last)) <= MAX_PERIODS:
            raise ValueError(f"期间应为 1 至 {MAX_PERIODS} 个月，且起始月不晚于结束月")
        return self


def _ruleset_invalid(e: RuleSetError) -> HTTPException:
    where = f"第 {e.line} 行" + (f"（{e.field}）" if e.field else "")
    return HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail={
        "code": "ruleset_invalid", "message": f"规则集有误：{where}：{e.reason}", "line": e.line, "field": e.field})


class BacktestJobOut(BaseModel):
    backtest_id: uuid.UUID
    status: Literal["queued", "running", "done", "failed"]
    requested_by: str = Field(description="who asked, as recorded")
    area: str = Field(description="township-code prefix judged (the asker's area)")
    first: str
    last: str
    ruleset_version: str
    pages_done: int = Field(description="pages of 2,000 entities read so far, over both passes")
    pages_total: int | None = Field(description="about how many pages the replay reads, once started")
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: BacktestOut | None = Field(None, description="once done: the comparison (not in the list)")
    error: str | None = Field(None, description="once failed: why")

    @classmethod
    def of(cls, row, with_report: bool) -> BacktestJobOut:
        fields = dict(row._mapping)
        report = fields.pop("result", None)
        return cls(**fields, report=BacktestOut.model_validate(report) if with_report and report else None)


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1/backtests", tags=["backtests"], responses=error_responses(401, 403, 422, 503))
    settings: AlertingSettings = service.settings  # type: ignore[assignment]

    @api.post("", response_model=BacktestJobOut, status_code=status.HTTP_202_ACCEPTED, responses=error_responses(429))
    async def submit_backtest(body: BacktestIn, principal: Supervisor, response: Response) -> BacktestJobOut:
        """回测: queue a replay of the stored history with the proposed rule set, for the caller's area
        (`ruleset_invalid`: the file's line and field, refused at once). A whole city takes minutes:
        follow `Location` (GET /v1/backtests/{id}) for its progress, then its report per rule ×
        month × township, against today's alerts and what townships confirmed."""
        try:
            ruleset = parse_ruleset(body.ruleset, "ruleset")
        except RuleSetError as e:
            raise _ruleset_invalid(e) from None
        async with service.sessions() as session, session.begin():
            if await backtest_jobs.waiting_of(session, principal.actor) >= settings.backtest_waiting_max:
                raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": "60"}, detail={
                    "code": "backtest_queue_full",
                    "message": f"您已有 {settings.backtest_waiting_max} 个回测在排队或运行，请待其完成后再提交"})
            backtest_id = uuid.uuid4()
            await backtest_jobs.submit(session, {
                "backtest_id": backtest_id, "requested_by": principal.actor, "area": principal.township_prefix or "",
                "first": body.first, "last": body.last, "ruleset": body.ruleset, "ruleset_version": ruleset.version})
        async with service.sessions() as session:
            row = await backtest_jobs.get(session, backtest_id, "")
        response.headers["Location"] = f"/v1/backtests/{backtest_id}"
        return BacktestJobOut.of(row, with_report=False)

    @api.get("/{backtest_id}", response_model=BacktestJobOut, responses=error_responses(404))
    async def backtest_job(backtest_id: uuid.UUID, principal: Supervisor) -> BacktestJobOut:
        """A backtest of the caller's area: its progress, then its report (or why it failed)."""
        async with service.sessions() as session:
            row = await backtest_jobs.get(session, backtest_id, principal.township_prefix or "")
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail={"code": "backtest_not_found", "message": "未找到该回测"})
        return BacktestJobOut.of(row, with_report=True)

    @api.get("", response_model=list[BacktestJobOut])
    async def backtest_jobs_list(principal: Supervisor, page: Paged) -> list[BacktestJobOut]:
        """The backtests of the caller's area, newest first, without their reports."""
        async with service.sessions() as session:
            rows = await backtest_jobs.listed(session, principal.township_prefix or "", page.limit, page.offset)
        return [BacktestJobOut.of(row, with_report=False) for row in rows]

    return api
