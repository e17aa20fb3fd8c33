"""Backtests for supervisors (回测): a proposed rule set replayed over the stored history before
the city adopts it, answered for the area the supervisor oversees."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field, model_validator

from shared.auth import Principal, Role, require_role
from shared.service import Service
from shared.service.http import error_responses

from services.alerting.backtest import BacktestOut, Database, backtest, months
from services.alerting.domain.ruleset import RuleSetError, parse_ruleset

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


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1/backtests", tags=["backtests"], responses=error_responses(401, 403, 422, 503))

    @api.post("", response_model=BacktestOut)
    async def run_backtest(
        body: BacktestIn, principal: Annotated[Principal, Depends(require_role(Role.SUPERVISOR))]
    ) -> BacktestOut:
        """回测: what the proposed rule set would raise per rule × month × township of the caller's area,
        against today's alerts and what townships confirmed (`ruleset_invalid`: the file's line and
        field). Judges every stored entity-month of the range: minutes for a whole city."""
        try:
            ruleset = parse_ruleset(body.ruleset, "ruleset")
        except RuleSetError as e:
            raise _ruleset_invalid(e) from None
        source = Database(service.settings.database_url)
        report = await backtest(source, body.ruleset, "ruleset", body.first, body.last,
                                workers=os.cpu_count() or 1, within=principal.township_prefix or "")
        return BacktestOut.of(report, ruleset, body.first, body.last)

    return api
