"""Dashboard queries. Townships see their own township; supervisors the area they oversee."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from shared.auth import Principal, Role, require_role
from shared.contracts import SubmissionStatus
from shared.service import Service
from shared.service.http import DepartmentFilter, Paged, PeriodFilter, error_responses
from shared.service.read_cache import cached

from services.analytics.domain.overview import overview
from services.analytics.storage import repository
from services.analytics.storage.tables import ALERTS, FIGURES, TIMELINESS


class Figures(BaseModel):
    entities: int
    records: int
    matched_records: int
    unmatched_records: int
    open_alerts: int
    acknowledged_alerts: int
    resolved_alerts: int


class TownshipOverview(Figures):
    township_code: str
    township_name: str
    division_code: str
    division_name: str


class Overview(BaseModel):
    townships: list[TownshipOverview]
    totals: Figures


class Submission(BaseModel):
    department: str
    kind: str
    period: str
    deadline: date
    status: SubmissionStatus
    first_arrival: datetime | None


@cached(reads=(FIGURES, ALERTS))
async def read_overview(service: Service, principal: Principal) -> Overview:
    """区域概况 as the caller may see it (the API's and the page's)."""
    prefix = principal.township_prefix or ""
    async with service.read_sessions() as session:
        figures = await repository.figures_by_township(session, prefix)
    rows, totals = overview(figures, prefix)
    return Overview(townships=[TownshipOverview(**r) for r in rows], totals=Figures(**totals.__dict__))


@cached(reads=(TIMELINESS,))
async def read_timeliness(service: Service, period: str | None, department: str | None, limit: int, offset: int) -> list[Submission]:
    """报送及时性 (the API's and 经济管理监管分析's page, for supervisors: it is the departments', not a township's)."""
    async with service.read_sessions() as session:
        rows = await repository.list_submissions(session, period, department, limit, offset)
    return [Submission(**row) for row in rows]


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["dashboard"], responses=error_responses(401, 403, 422, 503))

    @api.get("/overview", response_model=Overview)
    async def get_overview(
        principal: Annotated[Principal, Depends(require_role(Role.TOWNSHIP, Role.SUPERVISOR))],
    ) -> Overview:
        """区域概况: entities, linked and unlinked records, alerts by handling state, per township."""
        return await read_overview(service, principal)

    @api.get("/timeliness", response_model=list[Submission])
    async def get_timeliness(
        _: Annotated[Principal, Depends(require_role(Role.SUPERVISOR))],
        page: Paged,
        period: PeriodFilter = None,
        department: DepartmentFilter = None,
    ) -> list[Submission]:
        """报送及时性: each department's data per kind and period — on time, late or missing."""
        return await read_timeliness(service, period, department, page.limit, page.offset)

    return api
