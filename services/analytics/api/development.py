"""区域企业发展概况 (#1) and 登记名录, the registrations behind each of its counts.

Scoped as every analysis is (api/analyses.py's area_prefix): the caller's area, narrowed by
`area`, another township's area 404. What is counted, and how an entity without a 成立日期 or an
ended one is, is domain/development.py's; the counts are two aggregate queries over
analytics.entities (repository.registration_counts, registration_flows).
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.periods import shift
from shared.reference import DIVISIONS, TOWNSHIPS, entity_type_name
from shared.service import Service
from shared.service.http import Paged, error_responses
from shared.service.read_cache import cached

from services.analytics.api.analyses import (
    AreaFilter,
    EntityTypeFilter,
    IndustryFilter,
    Reader,
    SizeBandFilter,
    _check_month,
    area_prefix,
    check_entity_type,
    check_size_band,
    drill,
    known_filters,
    size_bands,
    this_month,
)
from services.analytics.domain import development as domain
from services.analytics.domain.industries import section_name
from services.analytics.domain.months import MONTH_PATTERN
from services.analytics.storage import repository
from services.analytics.storage.tables import FIGURES

OptionalMonth = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="a month, e.g. 2026-10; the latest complete month if none")]


class ListedEvent(enum.StrEnum):
    """Which registrations of a month a list (and a count) is of."""

    ACTIVE = "active"  # active at the month's end
    NEW = "new"  # founded in the month
    ENDED = "ended"  # deregistered or revoked in the month
    NEW_OR_ENDED = "new_or_ended"  # the entities behind a net growth
    DEREGISTERED = "deregistered"
    REVOKED = "revoked"


EVENT_ZH = {ListedEvent.ACTIVE: "月末存续", ListedEvent.NEW: "当月成立", ListedEvent.ENDED: "当月注销、吊销",
            ListedEvent.NEW_OR_ENDED: "当月成立或注销、吊销",
            ListedEvent.DEREGISTERED: "当月注销", ListedEvent.REVOKED: "当月吊销"}


class Figures(BaseModel):
    active: int = Field(description="registered and active at the month's end")
    active_year_before: int = Field(description="the same, at the same month's end a year before")
    yoy_pct: float | None = Field(description="active against active_year_before; none without a base")
    new: int = Field(description="founded (成立) in the month")
    deregistered: int = Field(description="注销 in the month")
    revoked: int = Field(description="吊销 in the month")
    ended: int = Field(description="deregistered + revoked")
    net_growth: int = Field(description="new − ended")
    active_url: str = Field(description="the registrations behind each count")
    active_year_before_url: str
    new_url: str
    ended_url: str
    deregistered_url: str
    revoked_url: str
    net_growth_url: str = Field(description="the entities founded or ended in the month")


class GroupFigures(Figures):
    key: str = Field(description="division or township code, entity type code or 门类 letter")
    name: str


class DevelopmentMonth(BaseModel):
    period: str
    new: int
    deregistered: int
    revoked: int
    net_growth: int
    active: int = Field(description="active at the month's end")
    new_url: str
    ended_url: str
    active_url: str


class Development(BaseModel):
    period: str
    area: str = Field(description="the township or division prefix answered; empty for the city")
    entity_type: str | None
    industry: str | None
    totals: Figures
    divisions: list[GroupFigures] = Field(description="every county-level division of the area")
    townships: list[GroupFigures] = Field(description="every township of the area")
    entity_types: list[GroupFigures] = Field(description="the entity types with any count")
    industries: list[GroupFigures] = Field(description="the 门类 with any count")
    series: list[DevelopmentMonth] = Field(description="the months up to `period`, oldest first")


class RegisteredEntity(BaseModel):
    uscc: str = Field(description="the USCC, or reg:<注册号> for an entity registered without one")
    name: str
    township_code: str
    township_name: str
    entity_type: str
    entity_type_name: str
    industry: str
    industry_code: str | None
    established_on: date | None
    ended_on: date | None = Field(description="the 登记日期 of its 注销 or 吊销")
    status: str = Field(description="as registered now: active, deregistered or revoked")
    status_zh: str
    standing: str = Field(description="as of the month's end: active, deregistered, revoked or not_yet")
    standing_zh: str
    entity_url: str | None = Field(description="its panorama (企业全景); none without a USCC")


def latest_month() -> str:
    """The month a development view opens on: the latest complete one."""
    return shift(this_month(), -1)


def _figures(count: domain.Count, registrations_path: str, filters: dict, period: str) -> dict:
    url = lambda event, month=period: drill(registrations_path, **filters, event=event, month=month)  # noqa: E731
    flow = count.flow
    return dict(
        active=count.active, active_year_before=count.active_year_before, yoy_pct=count.yoy_pct, new=flow.new,
        deregistered=flow.deregistered, revoked=flow.revoked, ended=flow.ended, net_growth=flow.net,
        active_url=url("active"), active_year_before_url=url("active", shift(period, -12)), new_url=url("new"),
        ended_url=url("ended"), deregistered_url=url("deregistered"), revoked_url=url("revoked"),
        net_growth_url=url("new_or_ended"),
    )


@cached(reads=(FIGURES,))
async def read_development(
    service: Service, principal: Principal, registrations_path: str, period: str | None, months: int,
    area: str | None, entity_type: str | None, industry: str | None,
) -> Development:
    """区域企业发展概况 as the caller may see it (the API's and the page's); counts drill to `registrations_path`."""
    period = period or latest_month()
    _check_month(period)
    check_entity_type(entity_type)
    prefix = area_prefix(principal, area)
    first = shift(period, 1 - months)
    async with service.read_sessions() as session:
        found = await repository.registration_counts(
            session, prefix, entity_type, industry, domain.month_start(period), domain.month_start(shift(period, 1)),
            domain.month_end(shift(period, -12)), domain.month_end(shift(first, -1)))
        flows = await repository.registration_flows(
            session, prefix, entity_type, industry, domain.month_start(first), domain.month_start(shift(period, 1)))
    opening = sum(r["opening"] for r in found)
    cells = [((r["township_code"], r["township_code"][:6], r["entity_type"], r["section"]), domain.Count(
        r["active"], r["active_year_before"], domain.Flow(r["new"], r["deregistered"], r["revoked"]))) for r in found]
    filters = dict(area=area, entity_type=entity_type, industry=industry)

    def rows(key_index: int, keys: list[str], names, narrow) -> list[GroupFigures]:
        counted = domain.rollup(cells, key_index)
        keys = keys or sorted(k for k, c in counted.items() if c != domain.Count())
        return [GroupFigures(key=k, name=names(k), **_figures(counted.get(k, domain.Count()), registrations_path,
                                                             {**filters, **narrow(k)}, period)) for k in keys]

    def in_area(code: str) -> str | None:  # a division row of a township's area drills to the area itself
        return code if code.startswith(prefix) else area

    monthly: dict[str, domain.Flow] = {}
    for month, event, n in flows:
        monthly[month] = monthly.get(month, domain.Flow()) + domain.Flow(**{event: n})
    month_url = lambda event, month: drill(registrations_path, **filters, event=event, month=month)  # noqa: E731
    return Development(
        period=period, area=prefix, entity_type=entity_type, industry=industry,
        totals=Figures(**_figures(sum((c for _, c in cells), domain.Count()), registrations_path, filters, period)),
        divisions=rows(1, sorted({t.division_code for c, t in TOWNSHIPS.items() if c.startswith(prefix)}),
                       lambda k: DIVISIONS[k], lambda k: {"area": in_area(k)}),
        townships=rows(0, sorted(c for c in TOWNSHIPS if c.startswith(prefix)),
                       lambda k: f"{TOWNSHIPS[k].division_name} {TOWNSHIPS[k].name}", lambda k: {"area": k}),
        entity_types=rows(2, [], entity_type_name, lambda k: {"entity_type": k}),
        industries=rows(3, [], section_name, lambda k: {"industry": k}),
        series=[DevelopmentMonth(
            period=p.period, new=p.flow.new, deregistered=p.flow.deregistered, revoked=p.flow.revoked, net_growth=p.flow.net,
            active=p.active, new_url=month_url("new", p.period), ended_url=month_url("ended", p.period),
            active_url=month_url("active", p.period),
        ) for p in domain.series(opening, monthly, first, period)],
    )


@cached(reads=(FIGURES,))
async def read_registrations(
    service: Service, principal: Principal, panorama_path: str, event: ListedEvent, month: str | None,
    area: str | None, entity_type: str | None, industry: str | None, limit: int, offset: int, size_band: str | None = None,
) -> list[RegisteredEntity]:
    """登记名录 as the caller may see it (the API's and the page's); each entity links to `panorama_path`/{uscc}."""
    month = month or latest_month()
    _check_month(month)
    check_entity_type(entity_type)
    prefix = area_prefix(principal, area)
    end = domain.month_end(month)
    in_band = (size_bands(service), check_size_band(service, size_band)) if size_band else None
    async with service.read_sessions() as session:
        found = await repository.list_registrations(session, prefix, entity_type, industry, event.value, domain.month_start(month),
                                                    domain.month_start(shift(month, 1)), limit, offset, in_band)
    listed = []
    for r in found:
        standing = domain.standing_at(domain.Registration(r["established_on"], r["status"], r["ended_on"]), end)
        township = TOWNSHIPS.get(r["township_code"])
        listed.append(RegisteredEntity(
            uscc=r["entity_key"], name=r["name"], township_code=r["township_code"], township_name=township.name if township else "",
            entity_type=r["entity_type"], entity_type_name=entity_type_name(r["entity_type"]),
            industry=r["industry_section"] or "unknown", industry_code=r["industry_code"],
            established_on=r["established_on"], ended_on=r["ended_on"], status=r["status"],
            status_zh=domain.STATUS_ZH.get(r["status"], r["status"]), standing=standing, standing_zh=domain.STANDING_ZH[standing],
            entity_url=None if r["entity_key"].startswith("reg:") else f"{panorama_path}/{r['entity_key']}",
        ))
    return listed


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["analyses"], responses=error_responses(401, 403, 404, 422, 503))

    @api.get("/development", response_model=Development,
             dependencies=[known_filters("period", "months", "area", "entity_type", "industry")])
    async def get_development(
        request: Request, principal: Reader, period: OptionalMonth = None,
        months: Annotated[int, Query(ge=12, le=24, multiple_of=12, description="the series' length: 12 or 24 months")] = 12,
        area: AreaFilter = None, entity_type: EntityTypeFilter = None, industry: IndustryFilter = None,
    ) -> Development:
        """区域企业发展概况: the caller's area's registered entities active at the month's end by
        county, township, entity type and 门类, each against the same month's end a year before
        (同比), with the month's new (成立), deregistered (注销) and revoked (吊销) entities and net
        growth, and a series of the months up to it. An entity without 成立日期 counts as existing
        since before the series; an ended one is active until its 注销 or 吊销 date (domain/development.py)."""
        return await read_development(service, principal, request.url_for("list_registrations").path, period, months,
                                      area, entity_type, industry)

    @api.get("/registrations", response_model=list[RegisteredEntity], name="list_registrations",
             dependencies=[known_filters("event", "month", "area", "entity_type", "industry", "size_band")])
    async def list_registrations(
        request: Request, principal: Reader, page: Paged,
        event: Annotated[ListedEvent, Query(description="active at the month's end, or founded / ended / deregistered / revoked in it")]
        = ListedEvent.ACTIVE,
        month: OptionalMonth = None, area: AreaFilter = None, entity_type: EntityTypeFilter = None, industry: IndustryFilter = None,
        size_band: SizeBandFilter = None,
    ) -> list[RegisteredEntity]:
        """登记名录: the registered entities behind a count of /v1/development (or of 企业信息多维分析's
        登记在业主体) — of the caller's area (narrowed by `area`, `entity_type`, `industry`, `size_band`),
        those of `event` in `month`, newest founded first."""
        return await read_registrations(service, principal, request.url_for("list_entities").path, event, month,
                                        area, entity_type, industry, page.limit, page.offset, size_band)

    return api
