"""效能监测 over HTTP: each township's, county's and the city's handling of a month's cases, ranked,
as JSON and as the workbook a 督查组 files monthly. Each caller sees only its own area."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from shared.reference import DIVISIONS, TOWNSHIPS, department_name
from shared.service import Service
from shared.service.http import error_responses
from shared.working_days import LOCAL_TZ
from shared.workbooks import XLSX, written_aside

from services.feedback.api.access import AnyReader
from services.feedback.assessing import assessment_of, within
from services.feedback.domain.assessment import Assessment, Figures
from services.feedback.domain.assessment_xlsx import assessment_workbook

Month = Annotated[str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM; default: this month")]


class FiguresOut(BaseModel):
    received: int = Field(description="接收数")
    acknowledged_on_time: int
    acknowledged_on_time_rate: float | None = Field(description="of the cases that were due or acknowledged")
    resolved_on_time: int
    resolved_on_time_rate: float | None
    overdue: int = Field(description="past a deadline now, undone")
    returned: int = Field(description="resolutions sent back by review (退回)")
    refired: int = Field(description="resolved, then the same rule fired for the entity within 3 months")
    acknowledge_median_hours: float | None = Field(description="hours the township itself held the case")
    acknowledge_p90_hours: float | None
    resolve_median_hours: float | None
    resolve_p90_hours: float | None

    @classmethod
    def of(cls, f: Figures) -> FiguresOut:
        return cls(**{name: getattr(f, name) for name in cls.model_fields})


class TownshipOut(BaseModel):
    township_code: str
    township_name: str
    division_code: str
    figures: FiguresOut
    rank_in_county: int


class CountyOut(BaseModel):
    division_code: str
    division_name: str
    figures: FiguresOut
    rank_in_city: int


class DepartmentOut(BaseModel):
    """数据错误: a department asked to correct records the caller's townships found wrong; the wait is its own."""

    department: str
    department_name: str
    asked: int = Field(description="请求更正数: requests made in the month")
    answered: int = Field(description="已重新报送: answered by a corrected record")
    open_now: int = Field(description="待更正")
    answer_median_hours: float | None = Field(description="hours from request to the corrected record")
    answer_p90_hours: float | None
    oldest_open_hours: float | None = Field(description="age of the oldest request still open")


class AssessmentOut(BaseModel):
    month: str
    as_of: datetime
    townships: list[TownshipOut]
    counties: list[CountyOut]
    city: FiguresOut | None = Field(description="city supervisors only")
    departments: list[DepartmentOut] = Field(description="the departments' corrections, for the caller's townships")


def _out(assessment: Assessment) -> AssessmentOut:
    return AssessmentOut(
        month=assessment.month, as_of=assessment.as_of,
        townships=[TownshipOut(township_code=r.code, township_name=TOWNSHIPS[r.code].name if r.code in TOWNSHIPS else r.code,
                               division_code=r.division_code, figures=FiguresOut.of(r.figures), rank_in_county=r.rank_in_county)
                   for r in assessment.townships],
        counties=[CountyOut(division_code=r.division_code, division_name=DIVISIONS.get(r.division_code, r.division_code),
                            figures=FiguresOut.of(r.figures), rank_in_city=r.rank_in_city) for r in assessment.counties],
        city=FiguresOut.of(assessment.city.figures) if assessment.city else None,
        departments=[DepartmentOut(department=r.department, department_name=department_name(r.department), asked=r.asked,
                                   answered=r.answered, open_now=r.open_now, answer_median_hours=r.answer_median_hours,
                                   answer_p90_hours=r.answer_p90_hours, oldest_open_hours=r.oldest_open_hours)
                     for r in assessment.departments],
    )


def this_month() -> str:
    return datetime.now(UTC).astimezone(LOCAL_TZ).strftime("%Y-%m")


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1/assessment", tags=["assessment"], responses=error_responses(401, 403, 422, 503))

    async def scoped(month: str | None, principal) -> Assessment:
        async with service.sessions() as session:
            assessment = await assessment_of(session, month or this_month(), sorted(TOWNSHIPS))
        return within(assessment, principal.township_prefix or "")

    @api.get("", response_model=AssessmentOut)
    async def get_assessment(principal: AnyReader, month: Month = None) -> AssessmentOut:
        """效能监测 of the month's cases as they stand now: a township sees its own row and rank, a
        county supervisor the county's townships, the city every township and county."""
        return _out(await scoped(month, principal))

    @api.get(".xlsx", responses={200: {"content": {XLSX: {}}, "description": "the workbook"}})
    async def get_workbook(principal: AnyReader, month: Month = None) -> Response:
        assessment = await scoped(month, principal)
        name = f"效能监测-{assessment.month}-{principal.code}.xlsx"
        return Response(await written_aside(assessment_workbook, assessment, datetime.now(UTC)), media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

    return api
