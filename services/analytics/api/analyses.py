"""产业运行监控 (#2), 用电趋势分析 (#6) and the entity list every figure drills to.

Scope by construction: every query takes the caller's area (Principal.township_prefix) and may only
narrow it; a township or division outside it is 404, as another township's alert is. Each row
carries `entities_url`, the entity list behind its figure, with the same filters.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role, require_role
from shared.reference import DIVISIONS, TOWNSHIPS
from shared.service import Service
from shared.service.http import Paged, error_responses
from shared.working_days import LOCAL_TZ
from shared.service.read_cache import cached

from services.analytics.domain import changes, industries, power
from services.analytics.domain.months import MONTH_PATTERN, SECTION_NAMES, UNKNOWN_SECTION, months_between, shift
from services.analytics.domain.pivot import ENTITY_TYPES, Scope
from services.analytics.domain.size_bands import SizeBands, load_size_bands
from services.analytics.storage import repository
from services.analytics.storage.tables import FIGURES

MAX_TREND_MONTHS = 36
MOVERS = 10
_SECTIONS = sorted(SECTION_NAMES) + [UNKNOWN_SECTION]


class Basis(enum.StrEnum):
    RESTATED = "restated"  # every record's newest version (现值)
    REPORTED = "reported"  # as known at month end (月末口径, domain/months.py)


class TrendGroup(enum.StrEnum):
    TOWNSHIP = "township"
    INDUSTRY = "industry"


class EntityOrder(enum.StrEnum):
    TAX = "tax"
    KWH = "kwh"


Month = Annotated[str, Query(pattern=MONTH_PATTERN, description="a month, e.g. 2026-10")]
AreaFilter = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{6}([0-9]{3})?$", description="a township code (9 digits) or a county-level division code (6 digits) within the caller's area"),
]
IndustryFilter = Annotated[
    str | None, Query(pattern=r"^([A-T]|unknown)$", description="GB/T 4754 门类 letter, or `unknown` (no industry registered)")
]
EntityTypeFilter = Annotated[
    str | None, Query(pattern=r"^([0-9]{2}|unknown)$", description="市场主体类型: the USCC's first two characters (shared/reference/entity_types.csv), or `unknown`")
]
SizeBandFilter = Annotated[
    str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="规模档 by 注册资本 (services/analytics/rules/size_bands.csv), or `undeclared`")
]
Reader = Annotated[Principal, Depends(require_role(Role.TOWNSHIP, Role.SUPERVISOR))]
BasisParam = Annotated[Basis, Query(description="restated: as the figures stand now; reported: as known at month end")]


class Mover(BaseModel):
    uscc: str
    name: str
    township_code: str
    industry: str
    measure: str = Field(description="kwh or tax")
    now: float | None
    before: float | None = Field(description="the month before")
    delta: float
    change_pct: float | None


class IndustryRow(BaseModel):
    industry: str = Field(description="GB/T 4754 门类 letter, or `unknown`")
    industry_name: str
    entities: int = Field(description="entities with power or tax this month")
    kwh: float | None
    tax: float | None
    kwh_mom_pct: float | None
    kwh_yoy_pct: float | None
    tax_mom_pct: float | None
    tax_yoy_pct: float | None
    kwh_share_pct: float | None = Field(description="share of the area's kWh")
    tax_share_pct: float | None = Field(description="share of the area's tax")
    entities_url: str = Field(description="the entity list behind these figures")


class IndustryTotals(BaseModel):
    entities: int
    kwh: float | None
    tax: float | None
    entities_url: str


class Industries(BaseModel):
    period: str
    basis: Basis
    area: str = Field(description="the township or division prefix answered; empty for the city")
    industries: list[IndustryRow]
    totals: IndustryTotals
    movers_tax: list[Mover] = Field(description=f"the {MOVERS} entities whose tax moved most from the month before")
    movers_kwh: list[Mover] = Field(description=f"the {MOVERS} entities whose power moved most from the month before")


class TrendPoint(BaseModel):
    period: str
    base_period: str | None = Field(description="the month a year before it is compared with, aligned to the Spring Festival "
                                                "(January/February: festival month with last year's festival month, the other with "
                                                "the other); null for a January or February beyond the festival dates the city's "
                                                "file knows")
    entities: int
    kwh: float | None
    kwh_yoy_pct: float | None = Field(description="against the same calendar month a year before")
    kwh_yoy_aligned_pct: float | None = Field(description="同比（春节对齐）: against `base_period`")
    kwh_daily: float | None = Field(description="average daily use (kWh / days in the month)")
    kwh_daily_yoy_pct: float | None = Field(description="用电景气: average daily use against `base_period`'s")
    entities_compared: int = Field(description="entities with power in the month and in `base_period`")
    entities_below: int = Field(description="of them, those whose average daily use was below `base_period`'s")
    below_share_pct: float | None = Field(description="用电景气: entities_below as a share of entities_compared")
    entities_url: str


class TrendSeries(BaseModel):
    key: str = Field(description="township code or 门类 letter")
    name: str
    points: list[TrendPoint]


class PowerTrend(BaseModel):
    group: TrendGroup
    basis: Basis
    first: str
    last: str
    area: str = Field(description="the township or division prefix answered; empty for the city")
    series: list[TrendSeries]
    index: list[TrendPoint] = Field(description="用电景气 of the whole area answered, month by month (the series summed)")


class EntityMonth(BaseModel):
    uscc: str
    name: str
    township_code: str
    township_name: str
    industry: str
    industry_code: str | None
    period: str
    to: str | None = Field(default=None, description="the last month summed, when the list asked for a range")
    kwh: float | None
    tax: float | None
    kwh_reported: float | None = Field(description="as known at month end")
    tax_reported: float | None = Field(description="as known at month end")
    restated: bool = Field(description="a figure differs from the one known at month end")


def _refuse(code: str, message: str) -> HTTPException:
    return HTTPException(422, detail={"code": code, "message": message})


def known_filters(*names: str):
    """422 for a query parameter this endpoint does not take: a misspelt filter must not silently widen the answer."""
    allowed = set(names) | {"limit", "offset"}

    def check(request: Request) -> None:
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise _refuse("unknown_filter", f"不支持的筛选条件：{unknown[0][:64]}（可用：{'、'.join(sorted(names))}）")

    return Depends(check)


def area_prefix(principal: Principal, narrowed: str | None) -> str:
    """The township prefix to answer: the caller's area, narrowed to a township or division in it."""
    own = principal.township_prefix or ""
    if narrowed is None:
        return own
    if narrowed not in TOWNSHIPS and narrowed not in DIVISIONS:
        raise _refuse("unknown_area", f"没有代码为 {narrowed} 的乡镇（街道）或县（市、区）")
    if not narrowed.startswith(own):  # wider than, or beside, the caller's area
        raise HTTPException(404, detail={"code": "area_not_found", "message": "无权查看该区域的数据或该区域不存在"})
    return narrowed


def drill(entities_path: str, **params: str | None) -> str:
    """The entity list behind a figure: `entities_path` (the API's /v1/entities or the list page) with its filters."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{entities_path}?{query}"


def _check_month(period: str) -> None:
    if not "2000-01" <= period <= "2099-12":
        raise _refuse("unknown_period", f"所属期 {period} 超出可查询范围（2000-01 至 2099-12）")


def check_months(first: str, last: str) -> None:
    """A range of months an analysis may answer: in order, at most MAX_TREND_MONTHS."""
    _check_month(first)
    _check_month(last)
    if last < first:
        raise _refuse("period_range_invalid", "结束月份不能早于开始月份")
    if len(months_between(first, last)) > MAX_TREND_MONTHS:
        raise _refuse("period_range_too_long", f"一次最多查询 {MAX_TREND_MONTHS} 个月")


def this_month() -> str:
    return datetime.now(UTC).astimezone(LOCAL_TZ).strftime("%Y-%m")


@cached(reads=(FIGURES,))
async def read_default_period(service: Service, principal: Principal) -> str:
    """The month a page opens on: the newest with figures in the caller's area, else last month."""
    today = this_month()
    async with service.read_sessions() as session:
        found = await repository.latest_period(session, principal.township_prefix or "", today)
    return found or shift(today, -1)


@cached(reads=(FIGURES,))
async def read_industries(
    service: Service, principal: Principal, entities_path: str, period: str, area: str | None, basis: Basis
) -> Industries:
    """产业运行监控 as the caller may see it (the API's and the page's); figures drill to `entities_path`."""
    _check_month(period)
    prefix = area_prefix(principal, area)
    before = shift(period, -1)
    async with service.read_sessions() as session:
        found = await repository.figures_by_section(session, prefix, [period, before, shift(period, -12)], basis)
        tax_movers = await _mover_rows(session, prefix, period, before, "tax", basis)
        kwh_movers = await _mover_rows(session, prefix, period, before, "kwh", basis)
    cells = {(r["section"], r["period"]): industries.Cell(r["entities"], r["kwh"], r["tax"]) for r in found}
    rows, totals = industries.section_rows(cells, period)
    filters = dict(area=area, period=period)
    return Industries(
        period=period, basis=basis, area=prefix,
        industries=[IndustryRow(
            industry=r.section, industry_name=r.section_name, entities=r.entities, kwh=r.kwh, tax=r.tax,
            kwh_mom_pct=r.kwh_mom_pct, kwh_yoy_pct=r.kwh_yoy_pct, tax_mom_pct=r.tax_mom_pct, tax_yoy_pct=r.tax_yoy_pct,
            kwh_share_pct=r.kwh_share_pct, tax_share_pct=r.tax_share_pct,
            entities_url=drill(entities_path, **filters, industry=r.section),
        ) for r in rows],
        totals=IndustryTotals(entities=totals.entities, kwh=totals.kwh, tax=totals.tax, entities_url=drill(entities_path, **filters)),
        movers_tax=_movers(tax_movers, "tax"), movers_kwh=_movers(kwh_movers, "kwh"),
    )


@cached(reads=(FIGURES,))
async def read_power_trend(
    service: Service, principal: Principal, entities_path: str,
    first: str, last: str, group: TrendGroup, area: str | None, basis: Basis,
) -> PowerTrend:
    """用电趋势 as the caller may see it (the API's and the page's); each month drills to `entities_path`."""
    check_months(first, last)
    prefix = area_prefix(principal, area)
    async with service.read_sessions() as session:
        found = await repository.power_by_group(session, prefix, power.first_needed(first), last, group, basis)
    by_key: dict[str, dict[str, power.Month]] = {}
    for r in found:
        by_key.setdefault(r["key"], {})[r["period"]] = power.Month(r["entities"], r["kwh"], r["compared"], r["below"])
    series = []
    for key in sorted(by_key):
        if group is TrendGroup.TOWNSHIP:
            name = TOWNSHIPS[key].name if key in TOWNSHIPS else key
            filters = {"area": key}
        else:
            name, filters = industries.section_name(key), {"area": area, "industry": key}
        points = [_trend_point(p, drill(entities_path, **filters, period=p.period)) for p in power.trend(by_key[key], first, last)]
        if any(p.kwh is not None for p in points):
            series.append(TrendSeries(key=key, name=name, points=points))
    index = [_trend_point(p, drill(entities_path, area=area, period=p.period))
             for p in power.trend(power.combine(by_key.values()), first, last)]
    return PowerTrend(group=group, basis=basis, first=first, last=last, area=prefix, series=series, index=index)


def _trend_point(p: power.Point, entities_url: str) -> TrendPoint:
    return TrendPoint(
        period=p.period, base_period=p.base_period, entities=p.entities, kwh=p.kwh, kwh_yoy_pct=p.kwh_yoy_pct,
        kwh_yoy_aligned_pct=p.kwh_yoy_aligned_pct, kwh_daily=p.kwh_daily, kwh_daily_yoy_pct=p.kwh_daily_yoy_pct,
        entities_compared=p.compared, entities_below=p.below, below_share_pct=p.below_share_pct, entities_url=entities_url,
    )


def size_bands(service: Service) -> SizeBands:
    """The city's 规模档 (setting `size_bands`; checked when the service starts)."""
    return load_size_bands(service.settings.size_bands)


def check_entity_type(entity_type: str | None) -> None:
    """422 for a 市场主体类型 code the reference does not know (a misspelt filter must not answer nothing)."""
    if entity_type is not None and entity_type not in ENTITY_TYPES:
        raise _refuse("unknown_entity_type", f"没有代码为 {entity_type} 的主体类型（可用：{'、'.join(ENTITY_TYPES)}）")


def check_size_band(service: Service, size_band: str | None) -> str | None:
    """422 for a 规模档 the city's file does not have; the band otherwise."""
    if size_band is not None and size_band not in size_bands(service).codes:
        raise _refuse("unknown_size_band", f"没有代码为 {size_band} 的规模档（可用：{'、'.join(size_bands(service).codes)}）")
    return size_band


def entity_scope(
    service: Service, prefix: str, first: str, last: str, industry: str | None, entity_type: str | None, size_band: str | None,
) -> Scope:
    """The entity-months a list or a pivot reads; 422 for a type or band the reference does not know."""
    check_entity_type(entity_type)
    return Scope(prefix, first, last, industry, entity_type, check_size_band(service, size_band))


@cached(reads=(FIGURES,))
async def read_entities(
    service: Service, principal: Principal, period: str, area: str | None, industry: str | None,
    order: EntityOrder, limit: int, offset: int, to: str | None = None, entity_type: str | None = None, size_band: str | None = None,
) -> list[EntityMonth]:
    """The entity list as the caller may see it (the API's and the page's): with `to`, each entity's
    figures summed over the months from `period` to `to`."""
    check_months(period, to or period)
    scope = entity_scope(service, area_prefix(principal, area), period, to or period, industry, entity_type, size_band)
    async with service.read_sessions() as session:
        rows = await repository.list_entity_months(session, scope, order, limit, offset)
    return [EntityMonth(
        uscc=r["uscc"], name=r["entity_name"], township_code=r["township_code"],
        township_name=TOWNSHIPS[r["township_code"]].name if r["township_code"] in TOWNSHIPS else "",
        industry=r["industry_section"] or UNKNOWN_SECTION, industry_code=r["industry_code"], period=period, to=to,
        kwh=r["kwh"], tax=r["tax"], kwh_reported=r["kwh_reported"], tax_reported=r["tax_reported"],
        restated=(r["kwh"], r["tax"]) != (r["kwh_reported"], r["tax_reported"]),
    ) for r in rows]


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["analyses"], responses=error_responses(401, 403, 404, 422, 503))

    @api.get("/industries", response_model=Industries, dependencies=[known_filters("period", "area", "basis")])
    async def get_industries(
        request: Request, principal: Reader, period: Month,
        area: AreaFilter = None, basis: BasisParam = Basis.RESTATED,
    ) -> Industries:
        """产业运行监控: per GB/T 4754 门类 of the caller's area, the month's tax and power, their
        month-on-month and year-on-year changes, the share of the area, and the entities that moved most."""
        return await read_industries(service, principal, request.url_for("list_entities").path, period, area, basis)

    @api.get("/power-trend", response_model=PowerTrend, dependencies=[known_filters("from", "to", "group", "area", "basis")])
    async def get_power_trend(
        request: Request, principal: Reader,
        first: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN, description="first month, e.g. 2026-01")],
        last: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN, description="last month, e.g. 2026-12")],
        group: Annotated[TrendGroup, Query(description="a series per township or per 门类")] = TrendGroup.TOWNSHIP,
        area: AreaFilter = None, basis: BasisParam = Basis.RESTATED,
    ) -> PowerTrend:
        """用电趋势分析: monthly power of the caller's area per township or per 门类, each month with
        its year-on-year change by calendar month and aligned to the Spring Festival (同比（春节对齐）),
        its average daily use, and the 用电景气 index (average daily use year on year, the share of
        entities below last year's aligned month) per series and, in `index`, for the whole area."""
        return await read_power_trend(service, principal, request.url_for("list_entities").path, first, last, group, area, basis)

    @api.get("/entities", response_model=list[EntityMonth], name="list_entities",
             dependencies=[known_filters("period", "to", "area", "industry", "entity_type", "size_band", "order")])
    async def list_entities(
        principal: Reader, page: Paged, period: Month,
        area: AreaFilter = None, industry: IndustryFilter = None,
        order: Annotated[EntityOrder, Query(description="largest first by tax or by power")] = EntityOrder.TAX,
        to: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="the last month of a range from `period` (figures summed)")] = None,
        entity_type: EntityTypeFilter = None, size_band: SizeBandFilter = None,
    ) -> list[EntityMonth]:
        """The entities behind a figure: those of the caller's area (narrowed by `area`, `industry`,
        `entity_type`, `size_band`) with power or tax in `period` (or any month from `period` to `to`),
        each with the figures restated and as known at month end."""
        return await read_entities(service, principal, period, area, industry, order, page.limit, page.offset, to, entity_type, size_band)

    return api


async def _mover_rows(session: AsyncSession, prefix: str, period: str, before: str, measure: str, basis: Basis) -> list:
    """The area's movers' rows: those that changed most among the candidates read largest first, deeper
    until they prove it (changes.proven_movers), else among every entity of both months. A township's
    two months are read whole at once: a few thousand entity-months, cheaper (11–27 ms on the 600,000-
    entity benchmark) than finding its largest among the city's (30–40 ms for the depths it needs)."""
    for depth in () if prefix in TOWNSHIPS else repository.MOVER_DEPTHS:
        rows, bound = await repository.mover_candidates(session, prefix, period, before, measure, basis, MOVERS, depth=depth)
        if changes.proven_movers({r["uscc"]: (r["now"], r["before"]) for r in rows}, MOVERS, bound) is not None:
            return rows  # (bound None: every entity was a candidate)
    return await repository.all_movers(session, prefix, period, before, measure, basis, MOVERS)


def _movers(candidates: list, measure: str) -> list[Mover]:
    info = {r["uscc"]: r for r in candidates}
    return [
        Mover(uscc=m.key, name=info[m.key]["name"], township_code=info[m.key]["township_code"],
              industry=info[m.key]["section"] or UNKNOWN_SECTION, measure=measure,
              now=m.now, before=m.before, delta=m.delta, change_pct=m.pct)
        for m in changes.movers({r["uscc"]: (r["now"], r["before"]) for r in candidates}, MOVERS)
    ]
