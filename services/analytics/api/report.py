"""The monthly township report (乡镇月度数据分析报告) and 梁柱企业, as JSON and as a workbook.

One report per township and month (domain/report.py assembles it): its figures with MoM and YoY,
registrations and how far its records are linked, its industries and biggest movers, its alerts of
the month and their handling, the alerts not yet 办结, long-term suspension, 梁柱企业 and the
entities to visit. Scope by construction, as every analysis: a township reads its own report (and
needs not name itself), a county supervisor his county's townships, the city every township;
another township's report is 404, an unknown code 422. Every count carries the list behind it,
every entity its panorama.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from shared.auth import Principal, Role
from shared.reference import TOWNSHIPS
from shared.service import Service
from shared.service.http import error_responses
from shared.workbooks import XLSX, written_aside
from shared.service.read_cache import cached

from services.analytics.api.analyses import (
    AreaFilter,
    Basis,
    BasisParam,
    IndustryRow,
    Month,
    Mover,
    Reader,
    _check_month,
    _refuse,
    area_prefix,
    drill,
    known_filters,
    read_default_period,
    read_industries,
)
from services.analytics.api.panorama import STATUS_ZH
from services.analytics.api.supervision import AlertItem, AlertState, ListedEntity, Supervision, read_alerts, read_rule_lists, read_supervision
from services.analytics.domain import report as domain
from services.analytics.domain.industries import Cell
from services.analytics.domain.months import MONTH_PATTERN, shift
from services.analytics.domain.overview import TownshipFigures
from services.analytics.domain.report_xlsx import report_workbook
from services.analytics.storage import repository
from services.analytics.storage.tables import ALERTS, FIGURES

PENDING_ROWS = 200  # alerts not yet 办结 a report lists (a township has far fewer)
SUSPENDED_ROWS = 200

ReportMonth = Annotated[
    str | None, Query(pattern=MONTH_PATTERN, description="a month, e.g. 2026-10; default: the newest with figures")
]
TownshipParam = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{9}$", description="the township (9 digits); a township's own person may leave it out"),
]


class Registered(BaseModel):
    total: int
    by_status: dict[str, int] = Field(description="active, deregistered, revoked")
    by_status_zh: dict[str, int]
    established: int = Field(description="established in the month (成立日期)")
    deregistered: int = Field(description="注销 in the month (the 注销 registration's date)")
    revoked: int = Field(description="吊销 in the month")
    net_growth: int = Field(description="established − deregistered − revoked")


@dataclass(frozen=True)
class PillarRow(domain.Pillar):
    """A 梁柱企业 (domain/report.py Pillar: ranks are 1 for the largest; a change is −100 where the
    figure stopped) with its panorama."""

    entity_url: str


class Pillars(BaseModel):
    period: str
    basis: Basis
    area: str = Field(description="the township or division prefix answered; empty for the city")
    top: int = Field(description="how many taxpayers and how many power users count (setting pillar_count)")
    pillars: list[PillarRow] = Field(description="the biggest move first")
    entities_url: str = Field(description="the area's entity list, largest taxpayers first")


class Visit(BaseModel):
    uscc: str
    name: str
    reasons: list[str]
    reason_kinds: list[str] = Field(description="alert, suspended, pillar_fell, mover_fell")
    entity_url: str


class TrendMonth(BaseModel):
    period: str
    entities: int = Field(description="entities with a figure in the month")
    tax: float | None = Field(description="null: none reported")
    kwh: float | None
    entities_url: str


class TownshipReport(BaseModel):
    township_code: str
    township_name: str
    division_name: str
    period: str
    basis: Basis
    generated_at: datetime
    figures: domain.Headline = Field(description="tax and power of the month (null: none reported), the month and the year before")
    entities_url: str = Field(description="the entity list behind the figures")
    trend: list[TrendMonth] = Field(description="the township's tax and power in the 13 months up to the month, oldest first")
    registered: Registered
    linkage: domain.Linkage = Field(description="the township's department records (registrations aside) by link; "
                                    "where unlinked_pct is high, a missing tax or power figure may be a missing link")
    industries: list[IndustryRow]
    movers_tax: list[Mover]
    movers_kwh: list[Mover]
    alerts: Supervision = Field(description="the alerts counted in the month, with their handling")
    pending_alerts: list[AlertItem] = Field(description="every alert of the township not yet 办结, whatever its month")
    suspended: list[ListedEntity] = Field(description="long-term suspended entities whose alert is not yet 办结")
    pillars: Pillars
    visits: list[Visit] = Field(description="the entities to visit, with every reason, most reasons first")
    page_url: str = Field(description="the printable page")
    json_url: str
    xlsx_url: str


def report_township(principal: Principal, township: str | None) -> str:
    """The township whose report to answer: the named one within the caller's area (404 beside it,
    422 unknown), or a township's own."""
    if township is None:
        if principal.role is Role.TOWNSHIP:
            return principal.code
        raise _refuse("township_required", "请选择乡镇（街道）")
    if township not in TOWNSHIPS:
        raise _refuse("unknown_area", f"没有代码为 {township} 的乡镇（街道）")
    return area_prefix(principal, township)


def _entity_url(panorama_path: str, uscc: str) -> str:
    return f"{panorama_path}/{uscc}"


@cached(reads=(FIGURES,))
async def read_pillars(
    service: Service, principal: Principal, entities_path: str, period: str, area: str | None, basis: Basis,
) -> Pillars:
    """梁柱企业 of the caller's area (narrowed by `area`) as the API and the pages answer it."""
    _check_month(period)
    prefix = area_prefix(principal, area)
    top = service.settings.pillar_count
    async with service.read_sessions() as session:
        candidates = await repository.pillar_candidates(session, prefix, period, shift(period, -1), basis.value, top)
    return Pillars(
        period=period, basis=basis, area=prefix, top=top,
        pillars=[PillarRow(**p.__dict__, entity_url=_entity_url(entities_path, p.uscc))
                 for p in domain.pillars(candidates, top)],
        entities_url=drill(entities_path, area=area, period=period),
    )


def report_links(request: Request) -> tuple[str, str, str]:
    """Where a report is also found: its printable page, its JSON and its workbook."""
    return tuple(request.url_for(name).path for name in ("report_page", "get_report", "get_report_xlsx"))


@cached(reads=(FIGURES, ALERTS))
async def read_report(
    service: Service, principal: Principal, links: tuple[str, str, str], paths: tuple[str, str], township: str | None,
    period: str | None, basis: Basis,
) -> TownshipReport:
    """The month's report of one township; `paths`: the entity list (and panorama) and the alert list
    its figures drill to (the API's or the pages'); `links`: report_links."""
    code = report_township(principal, township)
    period = period or await read_default_period(service, principal)
    _check_month(period)
    entities_path, alerts_path = paths
    place = TOWNSHIPS[code]
    months = domain.trend_months(period)  # the month before and the year before among them
    async with service.read_sessions() as session:
        cells = await repository.figures_by_section(session, code, months, basis.value)
        statuses = await repository.entity_statuses(session, code)
        first_day = date(int(period[:4]), int(period[5:]), 1)
        changes = await repository.registrations_in(session, code, first_day, date.fromisoformat(f"{shift(period, 1)}-01"))
        figures = (await repository.figures_by_township(session, code)).get(code, TownshipFigures())
    totals = domain.month_totals({(r["section"], r["period"]): Cell(r["entities"], r["kwh"], r["tax"]) for r in cells})
    industries = await read_industries(service, principal, entities_path, period, code, basis)
    alerts = await read_supervision(service, principal, alerts_path, period, period, code, None)
    pending = [a for state in (AlertState.OPEN, AlertState.ACKNOWLEDGED)
               for a in await read_alerts(service, principal, entities_path, None, None, code, None, state, PENDING_ROWS, 0)]
    [suspension] = (await read_rule_lists(service, principal, (entities_path, alerts_path), ("long_term_suspension",),
                                          None, None, code, SUSPENDED_ROWS, 0)).lists
    suspended = [e for e in suspension.entities if e.state != "resolved"]
    pillars = await read_pillars(service, principal, entities_path, period, code, basis)
    visits = domain.to_visit(
        [{"uscc": a.uscc, "name": a.entity_name, "rule_zh": a.rule_zh, "state_zh": a.state_zh, "period": a.period} for a in pending],
        [{"uscc": e.uscc, "name": e.entity_name, "months": next((f.value for f in e.evidence if f.label == "连续月数"), None),
          "from_period": e.flagged[0] if e.flagged else None} for e in suspended],
        pillars.pillars,
        [{"uscc": m.uscc, "name": m.name, "measure": m.measure, "now": m.now, "before": m.before, "pct": m.change_pct}
         for m in industries.movers_tax + industries.movers_kwh],
    )
    query = {"township": code, "period": period, "basis": basis.value if basis is not Basis.RESTATED else None}
    return TownshipReport(
        township_code=code, township_name=place.name, division_name=place.division_name, period=period, basis=basis,
        generated_at=datetime.now(UTC),
        figures=domain.headline(totals, period), entities_url=drill(entities_path, area=code, period=period),
        trend=[TrendMonth(period=p, entities=c.entities, tax=c.tax, kwh=c.kwh, entities_url=drill(entities_path, area=code, period=p))
               for p, c in domain.trend(totals, period)],
        registered=Registered(total=sum(statuses.values()), by_status=statuses,
                              by_status_zh={STATUS_ZH.get(s, s): n for s, n in sorted(statuses.items())}, **changes,
                              net_growth=changes["established"] - changes["deregistered"] - changes["revoked"]),
        linkage=domain.linkage(figures),
        industries=industries.industries, movers_tax=industries.movers_tax, movers_kwh=industries.movers_kwh,
        alerts=alerts, pending_alerts=pending, suspended=suspended, pillars=pillars,
        visits=[Visit(uscc=v.uscc, name=v.name, reasons=[r.text for r in v.reasons], reason_kinds=[r.kind for r in v.reasons],
                      entity_url=_entity_url(entities_path, v.uscc)) for v in visits],
        page_url=drill(links[0], **query), json_url=drill(links[1], **query), xlsx_url=drill(links[2], **query),
    )


@cached(reads=(FIGURES, ALERTS))
async def read_report_workbook(
    service: Service, principal: Principal, links: tuple[str, str, str], paths: tuple[str, str], township: str | None,
    period: str | None, basis: Basis,
) -> tuple[str, bytes]:
    """The report as a workbook, with its file name."""
    report = await read_report(service, principal, links, paths, township, period, basis)
    return f"乡镇月度数据分析报告-{report.period}-{report.township_code}.xlsx", await written_aside(report_workbook, report)


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["report"], responses=error_responses(401, 403, 404, 422, 503))

    def paths(request: Request) -> tuple[str, str]:
        return request.url_for("list_entities").path, request.url_for("list_alerts").path

    @api.get("/report", response_model=TownshipReport, name="get_report", dependencies=[known_filters("township", "period", "basis")])
    async def get_report(
        request: Request, principal: Reader, township: TownshipParam = None,
        period: ReportMonth = None,
        basis: BasisParam = Basis.RESTATED,
    ) -> TownshipReport:
        """乡镇月度数据分析报告: one township's month — figures with MoM and YoY, registrations and linked
        shares, industries and biggest movers, the month's alerts and their handling, alerts not yet
        办结, long-term suspension, 梁柱企业 and the entities to visit, each with the list or panorama behind it."""
        return await read_report(service, principal, report_links(request), paths(request), township, period, basis)

    @api.get("/report.xlsx", name="get_report_xlsx", dependencies=[known_filters("township", "period", "basis")],
             responses={200: {"content": {XLSX: {}}, "description": "the report as a workbook"}})
    async def get_report_xlsx(
        request: Request, principal: Reader, township: TownshipParam = None,
        period: ReportMonth = None,
        basis: BasisParam = Basis.RESTATED,
    ) -> Response:
        """The month's township report as an .xlsx workbook (概况, 行业, 预警处置, 待走访主体, 梁柱企业, 待办结预警)."""
        name, content = await read_report_workbook(service, principal, report_links(request), paths(request), township, period, basis)
        return Response(content, media_type=XLSX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})

    @api.get("/pillars", response_model=Pillars, name="get_pillars", dependencies=[known_filters("period", "area", "basis")])
    async def get_pillars(
        request: Request, principal: Reader, period: Month, area: AreaFilter = None, basis: BasisParam = Basis.RESTATED,
    ) -> Pillars:
        """梁柱企业: the caller's area's largest taxpayers and power users of the month (how many: the
        setting `pillar_count`), each with its tax and power and their change from the month before,
        the biggest move first."""
        return await read_pillars(service, principal, request.url_for("list_entities").path, period, area, basis)

    return api

