"""企业全景 (#3), first slice: one entity as analytics' read models know it.

What it holds: the registration facts analytics keeps (name, township, status, industry code and
its 门类), the entity's tax and power by month (restated and as known at month end, from
`entity_months`), its alerts with their handling state, and the department records naming or
linked to it (department, kind, period, version, whether linked, the figure each gives it, from
`records` and `figure_records`).

What it does not hold yet (analytics does not keep it): the registration's history and address,
the matcher's explanation of each link (method, score), the alert's handling notes and photos
(feedback's), the industry peers and 重点企业 flags. Scope by construction: an entity outside
the caller's area is 404, as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.records import KINDS
from shared.reference import TOWNSHIPS, department_name
from shared.service import Service
from shared.service.http import error_responses
from shared.service.read_cache import cached

from services.analytics.api.analyses import Reader
from services.analytics.domain.industries import section_name
from services.analytics.domain.months import UNKNOWN_SECTION
from services.analytics.domain.overview import ALERT_ACKNOWLEDGED, ALERT_RESOLVED, MATCH_FAILED, MATCH_OK
from services.analytics.storage import repository
from services.analytics.storage.tables import ALERTS, FIGURES

MAX_RECORDS = 500
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
STATUS_ZH = {"active": "存续", "deregistered": "注销", "revoked": "吊销"}
ALERT_STATE_ZH = {"open": "待签收", "acknowledged": "已签收", "resolved": "已办结", "withdrawn": "已撤销"}
LINK_ZH = {"linked": "已关联", "unlinked": "未关联", "pending": "待关联"}


class Registration(BaseModel):
    registered: bool = Field(description="analytics holds the entity's registration (else name and township come from a linked record)")
    name: str
    township_code: str
    township_name: str
    division_name: str
    status: str | None = Field(description="active, deregistered or revoked; None without a registration")
    status_zh: str | None
    industry_code: str | None
    industry: str = Field(description="GB/T 4754 门类 letter, or `unknown`")
    industry_name: str


class PanoramaMonth(BaseModel):
    period: str
    kwh: float | None
    tax: float | None
    kwh_reported: float | None = Field(description="as known at month end")
    tax_reported: float | None = Field(description="as known at month end")
    restated: bool


class EntityAlert(BaseModel):
    alert_id: str
    rule: str | None
    message_zh: str | None = Field(description="the alert's message as alerting worded it")
    period: str | None
    state: str = Field(description="open, acknowledged, resolved or withdrawn")
    state_zh: str
    detected_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class EntityRecord(BaseModel):
    record_id: str
    department: str
    department_zh: str
    kind: str
    kind_zh: str
    period: str | None
    version: int
    link: str = Field(description="linked, unlinked or pending (the matcher has not answered yet)")
    link_zh: str
    measure: str | None = Field(description="kwh or tax: the figure the record gives the entity")
    value: float | None = Field(description="the figure as this record's newest version gives it")
    reported_value: float | None = Field(description="the figure as known at month end")


class Panorama(BaseModel):
    uscc: str
    registration: Registration
    months: list[PanoramaMonth]
    alerts: list[EntityAlert]
    records: list[EntityRecord] = Field(description=f"newest month first, at most {MAX_RECORDS}")


def _not_found() -> HTTPException:
    return HTTPException(404, detail={"code": "entity_not_found", "message": "未找到该主体，或该主体不在您的管辖范围内"})


def _alert_state(row) -> str:
    if row["withdrawn_at"] is not None:
        return "withdrawn"
    return {ALERT_ACKNOWLEDGED: "acknowledged", ALERT_RESOLVED: "resolved"}.get(row["status_rank"], "open")


def _link(rank: int) -> str:
    return {MATCH_OK: "linked", MATCH_FAILED: "unlinked"}.get(rank, "pending")


@cached(reads=(FIGURES, ALERTS))
async def read_entity(service: Service, principal: Principal, uscc: str) -> Panorama:
    """One entity as the caller may see it (the API's and the panorama page's)."""
    async with service.read_sessions() as session:
        registration = await repository.entity_registration(session, uscc)
        months = await repository.entity_month_rows(session, uscc)
        if registration is None and not months:
            raise _not_found()
        newest = months[-1] if months else None
        township = registration["township_code"] if registration else newest["township_code"]
        if not principal.can_see_township(township):
            raise _not_found()
        alerts = await repository.entity_alerts(session, uscc)
        records = await repository.entity_records(session, uscc, MAX_RECORDS)
    place = TOWNSHIPS.get(township)
    section = (registration["industry_section"] if registration else newest["industry_section"]) or UNKNOWN_SECTION
    status = registration["status"] if registration else None
    return Panorama(
        uscc=uscc,
        registration=Registration(
            registered=registration is not None, name=registration["name"] if registration else newest["entity_name"],
            township_code=township, township_name=place.name if place else "", division_name=place.division_name if place else "",
            status=status, status_zh=STATUS_ZH.get(status, status) if status else None,
            industry_code=registration["industry_code"] if registration else None,
            industry=section, industry_name=section_name(section),
        ),
        months=[PanoramaMonth(
            period=m["period"], kwh=m["kwh"], tax=m["tax"], kwh_reported=m["kwh_reported"], tax_reported=m["tax_reported"],
            restated=(m["kwh"], m["tax"]) != (m["kwh_reported"], m["tax_reported"]),
        ) for m in months],
        alerts=[EntityAlert(
            alert_id=str(a["alert_id"]), rule=a["rule"], message_zh=a["message_zh"], period=a["period"], state=(state := _alert_state(a)),
            state_zh=ALERT_STATE_ZH[state], detected_at=a["detected_at"], acknowledged_at=a["acknowledged_at"],
            resolved_at=a["resolved_at"],
        ) for a in alerts],
        records=[EntityRecord(
            record_id=str(r["record_id"]), department=r["department"], department_zh=department_name(r["department"]),
            kind=r["kind"], kind_zh=KINDS[r["kind"]].title_zh if r["kind"] in KINDS else r["kind"],
            period=r["period"], version=r["version"], link=(link := _link(r["match_rank"])), link_zh=LINK_ZH[link],
            measure=r["measure"], value=r["value"], reported_value=r["reported_value"],
        ) for r in records],
    )


EntityCode = Annotated[str, Path(pattern=USCC_PATTERN, description="the entity's 统一社会信用代码")]


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["analyses"], responses=error_responses(401, 403, 404, 422, 503))

    @api.get("/entities/{uscc}", response_model=Panorama)
    async def get_entity(principal: Reader, uscc: EntityCode) -> Panorama:
        """企业全景: one entity of the caller's area — registration facts, tax and power by month
        (restated and as known at month end), its alerts and the department records behind its figures."""
        return await read_entity(service, principal, uscc)

    return api
