"""The dashboard (数据看板): server-rendered pages over the same reads as the JSON API (/v1/overview,
/v1/industries, /v1/power-trend, /v1/entities, /v1/entities/{uscc}, /v1/supervision, /v1/alerts,
/v1/locked-entities, /v1/tax-anomalies, /v1/pillars, /v1/report, /v1/comparison, /v1/records, /v1/pivot), for leaders at desks and
township heads on phones. Every figure links to the entity list behind it, every entity to its
panorama; every page links to its data as JSON. Charts are drawn by static/dashboard-5.js from the
data the page carries in <script type="application/json" id="dashboard-data">."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from shared.auth import Principal, Role, forbidden
from shared.contracts import DispositionEffect
from shared.periods import shift
from shared.records import KINDS
from shared.reference import DEPARTMENT_NAMES, DIVISIONS, TOWNSHIPS, department_name, entity_type_name
from shared.service import Service
from shared.web.pages import Pages, page_principal

from services.analytics.api.analyses import (
    Basis,
    EntityOrder,
    TrendGroup,
    area_prefix,
    drill,
    read_default_period,
    read_entities,
    read_industries,
    read_power_trend,
    size_bands,
)
from services.analytics.api.comparison import read_comparison
from services.analytics.api.development import EVENT_ZH, ListedEvent, latest_month, read_development, read_registrations
from services.analytics.api.panorama import EntityCode, read_entity
from services.analytics.api.pivot import PivotQuery, read_pivot
from services.analytics.api.records import read_records
from services.analytics.api.report import read_pillars, read_report, report_links
from services.analytics.api.routes import read_overview, read_timeliness
from services.analytics.api.supervision import AlertState, read_alerts, read_rule_lists, read_supervision
from services.analytics.domain import alerts as alert_domain
from services.analytics.domain import pivot as pivot_domain
from services.analytics.domain import regions
from services.analytics.domain import records as records_domain
from services.analytics.domain.industries import largest
from services.analytics.domain.pivot import Dimension, Listing, Measure
from services.analytics.domain.months import SECTION_NAMES, UNKNOWN_SECTION, UNKNOWN_SECTION_NAME

HERE = Path(__file__).parent
SCRIPT = "dashboard-5.js"  # the versions in the names: raised whenever the file changes
STYLE = "dashboard-2.css"
REPORT_STYLE = "report-2.css"  # the monthly report's screen and print (A4) layout
PAGE_SIZE = 50
TREND_MONTHS = 12
CHART_TOWNSHIPS = 20  # bars the ranking draws (the table lists every township)
CHART_PIVOT_ROWS = 30  # rows 多维分析's chart draws (the table has every row)
PIVOT_SCRIPT = "pivot-2.js"  # 多维分析's chart and table layout, loaded by its page alone
PIVOT_STYLE = "pivot-1.css"
CHART_SERIES = 10  # lines a trend chart draws (the table lists every series)
# a form's empty choice ("全部", a cleared month) is no filter: the same filters as the API's, or empty
MAYBE_MONTH = r"^([0-9]{4}-(0[1-9]|1[0-2]))?$"
OptionalMonth = Annotated[str | None, Query(pattern=MAYBE_MONTH)]
PageArea = Annotated[str | None, Query(pattern=r"^([0-9]{6}([0-9]{3})?)?$")]
PageIndustry = Annotated[str | None, Query(pattern=r"^([A-T]|unknown)?$")]
PageRule = Annotated[str | None, Query(pattern=r"^([a-z_]{1,64})?$")]
PageFrom = Annotated[str | None, Query(alias="from", pattern=MAYBE_MONTH)]
PageTo = Annotated[str | None, Query(alias="to", pattern=MAYBE_MONTH)]
PageOffset = Annotated[int, Query(ge=0, le=100_000)]
PageSizeBand = Annotated[str | None, Query(pattern=r"^([a-z][a-z0-9_]{0,31})?$")]
PageDimension = Annotated[str | None, Query(pattern=r"^(county|township|industry|entity_type|size_band|period)?$")]
PageTownship = Annotated[str | None, Query(pattern=r"^([0-9]{9})?$")]
PageEntityType = Annotated[str | None, Query(pattern=r"^([0-9]{2}|unknown)?$")]
SeriesMonths = Annotated[int, Query(ge=12, le=24, multiple_of=12)]
PageCode = Annotated[str | None, Query(pattern=r"^([a-z][a-z0-9_]{0,63})?$")]  # a department's or a record kind's
PageLink = Annotated[str | None, Query(pattern=r"^(linked|unlinked|pending)?$")]
DEVELOPMENT_SCRIPT = "development-1.js"  # 企业发展's chart, on that page only
TIMELINESS_ROWS = 12  # the departments' newest submissions 经济管理监管分析 shows supervisors


async def page_reader(principal: Annotated[Principal, Depends(page_principal)]) -> Principal:
    """The person behind the session, if they may read the dashboards (townships and supervisors)."""
    if principal.role not in (Role.TOWNSHIP, Role.SUPERVISOR):
        raise forbidden("role_not_allowed", "当前账号无权查看数据看板")
    return principal


Person = Annotated[Principal, Depends(page_reader)]


def areas_of(principal: Principal) -> list[tuple[str, str]]:
    """The areas a person may narrow a page to: their own (""), then divisions and townships in it."""
    prefix = principal.township_prefix or ""
    own = [("", "全部（本辖区）")]
    if principal.role is Role.TOWNSHIP:
        return own
    divisions = [(code, name) for code, name in sorted(DIVISIONS.items()) if code.startswith(prefix) and code != prefix]
    townships = [(code, f"{t.division_name} {t.name}") for code, t in sorted(TOWNSHIPS.items()) if code.startswith(prefix)]
    return own + divisions + townships


def router(service: Service) -> APIRouter:
    pages = Pages(HERE / "templates")
    web = APIRouter(include_in_schema=False)

    def render(request: Request, name: str, principal: Principal, page: str, data: Any = None, script: str = SCRIPT,
               **context) -> HTMLResponse:
        return pages.render(request, name, script=f"/dashboard/{script}", style=f"/dashboard/{STYLE}", page=page, data=data,
                            areas=areas_of(principal), townships=TOWNSHIPS, **context)

    def entities_path(request: Request) -> str:
        return request.url_for("entities_page").path

    @web.get("/")
    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse(request.url_for("overview_page").path, status_code=303)

    def serve(name: str, media_type: str) -> None:
        async def asset() -> FileResponse:
            return FileResponse(HERE / "static" / name, media_type=media_type,
                                headers={"Cache-Control": "public, max-age=31536000, immutable"})
        web.add_api_route(f"/dashboard/{name}", asset, methods=["GET"])

    serve(SCRIPT, "text/javascript")
    serve(STYLE, "text/css")
    serve(REPORT_STYLE, "text/css")

    @web.get("/overview", name="overview_page")
    async def overview_page(
        request: Request, principal: Person, area: PageArea = None, measure: Annotated[str | None, Query(max_length=32)] = None,
    ) -> HTMLResponse:
        area = area or None
        prefix = area_prefix(principal, area)
        chosen = regions.measure_of(measure)
        found = await read_overview(service, principal)
        period = await read_default_period(service, principal)
        rows = [t.model_dump() for t in found.townships if t.township_code.startswith(prefix)]
        divisions = regions.ranked(regions.by_division([t.model_dump() for t in found.townships]), chosen, "division_name")
        steps = regions.scale([d["value"] for d in divisions], chosen.is_count)
        here, own = request.url_for("overview_page").path, principal.township_prefix or ""
        for d in divisions:
            d["colour"] = regions.colour_of(d["value"], steps)
            d["url"] = (f"{here}?area={d['division_code']}&measure={chosen.key}" if d["division_code"].startswith(own)
                        else drill(entities_path(request), period=period))  # a township's own division: its own list
        townships = regions.ranked(rows, chosen)
        for t in townships:
            t["url"] = drill(entities_path(request), area=t["township_code"], period=period)
        totals = regions.by_division([{**t, "division_code": "", "division_name": ""} for t in rows])
        data = {
            "chart": "overview", "measure": {"key": chosen.key, "label": chosen.label, "unit": chosen.unit},
            "divisions": [{"name": d["division_name"], "value": d["value"], "colour": d["colour"], "url": d["url"]} for d in divisions],
            "steps": [{"low": s.low, "high": s.high, "colour": s.colour} for s in steps],
            "townships": [{"name": t["township_name"], "value": t["value"], "url": t["url"]} for t in townships[:CHART_TOWNSHIPS]],
        }
        return render(request, "overview.html", principal, "overview", data, measures=regions.MEASURES, measure=chosen,
                      area=area or "", area_name=_area_name(prefix), divisions=divisions, rows=townships,
                      totals=totals[0] if totals else None, period=period, charted=min(len(townships), CHART_TOWNSHIPS),
                      entities_url=drill(entities_path(request), area=area, period=period))

    @web.get("/industries", name="industries_page")
    async def industries_page(
        request: Request, principal: Person, period: OptionalMonth = None, area: PageArea = None, basis: Basis = Basis.RESTATED,
    ) -> HTMLResponse:
        area = area or None
        period = period or await read_default_period(service, principal)
        found = await read_industries(service, principal, entities_path(request), period, area, basis)
        data = {"chart": "industries", "rows": [
            {"name": r.industry_name, "tax": r.tax, "kwh": r.kwh, "tax_share": r.tax_share_pct,
             "kwh_share": r.kwh_share_pct, "url": r.entities_url} for r in found.industries]}
        return render(request, "industries.html", principal, "industries", data, found=found, area=area or "",
                      area_name=_area_name(found.area), bases=BASES)

    @web.get("/power-trend", name="power_trend_page")
    async def power_trend_page(
        request: Request, principal: Person,
        first: Annotated[str | None, Query(alias="from", pattern=MAYBE_MONTH)] = None,
        last: Annotated[str | None, Query(alias="to", pattern=MAYBE_MONTH)] = None,
        group: TrendGroup | None = None, area: PageArea = None, basis: Basis = Basis.RESTATED,
    ) -> HTMLResponse:
        area = area or None
        last = last or await read_default_period(service, principal)
        first = first or shift(last, 1 - TREND_MONTHS)
        group = group or (TrendGroup.INDUSTRY if principal.role is Role.TOWNSHIP else TrendGroup.TOWNSHIP)
        found = await read_power_trend(service, principal, entities_path(request), first, last, group, area, basis)
        totals = {s.key: sum(p.kwh for p in s.points if p.kwh is not None) for s in found.series}
        drawn = set(largest(totals, CHART_SERIES))
        data = {"chart": "trend", "months": [p.period for p in found.series[0].points] if found.series else [],
                "series": [{"name": s.name, "kwh": [p.kwh for p in s.points], "urls": [p.entities_url for p in s.points]}
                           for s in found.series if s.key in drawn],
                "climate": [{"period": p.period, "daily_yoy": p.kwh_daily_yoy_pct, "below_share": p.below_share_pct,
                             "url": p.entities_url} for p in found.index]}
        return render(request, "power_trend.html", principal, "power_trend", data, found=found, area=area or "",
                      area_name=_area_name(area_prefix(principal, area)), bases=BASES, drawn=len(drawn),
                      groups={TrendGroup.TOWNSHIP: "按乡镇（街道）", TrendGroup.INDUSTRY: "按行业门类"})

    @web.get("/comparison", name="comparison_page")
    async def comparison_page(request: Request, principal: Person, period: OptionalMonth = None, area: PageArea = None) -> HTMLResponse:
        area = area or None
        period = period or await read_default_period(service, principal)
        records_path = request.url_for("records_page").path
        found = await read_comparison(service, principal, entities_path(request), records_path, period, area)
        # the townships with records, the lowest coverage first (the table lists every township)
        drawn = [t for t in found.townships if t.coverage_pct is not None][:CHART_TOWNSHIPS]
        data = {"chart": "comparison", "townships": [f"{t.township_name}{'（覆盖低）' if t.low_coverage else ''}" for t in drawn],
                "series": [{"department": d.department_zh, "share": share, "name": f"{d.department_zh}{label}",
                            "values": [{"value": getattr(t.departments[i], f"{share}_pct"),
                                        "url": getattr(t.departments[i], SHARE_URLS[share]),
                                        "count": getattr(t.departments[i], share)} for t in drawn]}
                           for i, d in enumerate(found.totals.departments) for share, label in SHARES.items()]}
        return render(request, "comparison.html", principal, "comparison", data, found=found, area=area or "",
                      area_name=_area_name(found.area), period=period, charted=len(drawn),
                      records_url=drill(records_path, period=period, area=area),
                      json_url=drill(request.url_for("get_comparison").path, period=period, area=area))

    @web.get("/entities", name="entities_page")
    async def entities_page(
        request: Request, principal: Person, period: OptionalMonth = None, area: PageArea = None,
        industry: PageIndustry = None, order: EntityOrder = EntityOrder.TAX,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
        to: OptionalMonth = None, entity_type: PageEntityType = None, size_band: PageSizeBand = None,
    ) -> HTMLResponse:
        area, industry, entity_type, size_band = area or None, industry or None, entity_type or None, size_band or None
        period = period or await read_default_period(service, principal)
        to = to if to and to != period else None
        rows = await read_entities(service, principal, period, area, industry, order, PAGE_SIZE, offset, to, entity_type, size_band)
        query = {"period": period, "to": to, "area": area, "industry": industry, "entity_type": entity_type,
                 "size_band": size_band, "order": order.value}
        return render(request, "entities.html", principal, "entities", None, rows=rows, period=period, area=area or "",
                      area_name=_area_name(area_prefix(principal, area)), industry=industry or "", order=order,
                      sections=SECTIONS, offset=offset, page_size=PAGE_SIZE, to=to or "",
                      entity_type=entity_type or "", entity_types=ENTITY_TYPE_CHOICES,
                      size_band=size_band or "", size_bands=_band_choices(service),
                      json_url=drill(request.url_for("list_entities").path, **query),
                      next_url=drill(entities_path(request), **query, offset=str(offset + PAGE_SIZE)) if len(rows) == PAGE_SIZE else None,
                      previous_url=drill(entities_path(request), **query, offset=str(max(0, offset - PAGE_SIZE))) if offset else None)

    @web.get("/entities/{uscc}", name="entity_page")
    async def entity_page(request: Request, principal: Person, uscc: EntityCode) -> HTMLResponse:
        found = await read_entity(service, principal, uscc)
        data = {"chart": "entity", "months": [m.model_dump() for m in found.months]}
        return render(request, "entity.html", principal, "entities", data, entity=found,
                      back_url=drill(entities_path(request), area=found.registration.township_code,
                                     period=found.months[-1].period if found.months else None))

    def alerts_path(request: Request) -> str:
        return request.url_for("alerts_page").path

    async def months_or_default(principal: Principal, first: str | None, last: str | None) -> tuple[str, str]:
        last = last or await read_default_period(service, principal)
        return first or shift(last, 1 - TREND_MONTHS), last

    @web.get("/supervision", name="supervision_page")
    async def supervision_page(
        request: Request, principal: Person, first: PageFrom = None, last: PageTo = None, area: PageArea = None, rule: PageRule = None,
    ) -> HTMLResponse:
        area, rule = area or None, rule or None
        first, last = await months_or_default(principal, first, last)
        found = await read_supervision(service, principal, alerts_path(request), first, last, area, rule)
        timeliness = (await read_timeliness(service, None, None, TIMELINESS_ROWS, 0)) if principal.role is Role.SUPERVISOR else None
        data = {"chart": "supervision", "months": [m.month for m in found.by_month], "series": [
            {"name": alert_domain.STATE_ZH[state], "state": state,
             "values": [{"value": getattr(m, state), "url": m.state_urls[AlertState(state)]} for m in found.by_month]}
            for state in ("open", "acknowledged", "resolved")]}
        query = {"from": first, "to": last, "area": area, "rule": rule}
        return render(request, "supervision.html", principal, "supervision", data, found=found, area=area or "",
                      area_name=_area_name(found.area), rules=RULES, timeliness=timeliness, departments=DEPARTMENT_NAMES,
                      kinds={k: v.title_zh for k, v in KINDS.items()}, submission_states=SUBMISSION_ZH,
                      json_url=drill(request.url_for("get_supervision").path, **query))

    @web.get("/alerts", name="alerts_page")
    async def alerts_page(
        request: Request, principal: Person, first: PageFrom = None, last: PageTo = None, area: PageArea = None,
        rule: PageRule = None, state: AlertState | None = None, effect: DispositionEffect | None = None, offset: PageOffset = 0,
        industry: PageIndustry = None, entity_type: PageEntityType = None, size_band: PageSizeBand = None,
    ) -> HTMLResponse:
        area, rule = area or None, rule or None
        of = {"industry": industry or None, "entity_type": entity_type or None, "size_band": size_band or None}  # 多维分析's drill
        rows = await read_alerts(service, principal, entities_path(request), first or None, last or None, area, rule, state,
                                 PAGE_SIZE, offset, effect, **of)
        query = {"from": first, "to": last, "area": area, "rule": rule, "state": state.value if state else None,
                 "effect": effect.value if effect else None, **of}
        return render(request, "alerts.html", principal, "supervision", None, rows=rows, area=area or "",
                      area_name=_area_name(area_prefix(principal, area)), first=first or "", last=last or "", rule=rule or "",
                      state=state.value if state else "", rules=RULES, states=alert_domain.STATE_ZH,
                      effect=effect.value if effect else "", effect_name=alert_domain.effect_name(effect.value) if effect else "",
                      of=of, of_zh=pivot_domain.filters_zh(*of.values(), size_bands(service)) if any(of.values()) else "",
                      back_url=drill(request.url_for("supervision_page").path,
                                     **{**query, "state": None, "effect": None, **dict.fromkeys(of)}),
                      **_paging(request, "alerts_page", "list_alerts", query, offset, len(rows)))

    def rule_lists_page(path: str, name: str, api: str, rules: tuple[str, ...], title: str, chart_title: str) -> None:
        """长期停业和亏损 (#8) and 异常纳税 (#9): the same page over different rules."""
        async def page(
            request: Request, principal: Person, first: PageFrom = None, last: PageTo = None, area: PageArea = None,
            offset: PageOffset = 0,
        ) -> HTMLResponse:
            area = area or None
            found = await read_rule_lists(service, principal, (entities_path(request), alerts_path(request)), rules,
                                          first or None, last or None, area, PAGE_SIZE, offset)
            places = sorted({e.township_code or "" for r in found.lists for e in r.entities})
            here = request.url_for(name).path
            data = {"chart": "rule_lists", "townships": [TOWNSHIPS[c].name if c in TOWNSHIPS else c for c in places],
                    "series": [{"name": r.rule_zh, "values": [
                        {"value": sum(e.township_code == c for e in r.entities),
                         "url": drill(here, **{"from": first, "to": last, "area": c or None})} for c in places]}
                        for r in found.lists]}
            query = {"from": first, "to": last, "area": area}
            return render(request, "rule_lists.html", principal, name, data, found=found, area=area or "", title=title,
                          chart_title=chart_title, area_name=_area_name(found.area), first=first or "", last=last or "",
                          action=here, **_paging(request, name, api, query, offset,
                                                 max((len(r.entities) for r in found.lists), default=0)))
        web.add_api_route(path, page, methods=["GET"], name=name, response_class=HTMLResponse)

    @web.get("/pillars", name="pillars_page")
    async def pillars_page(
        request: Request, principal: Person, period: OptionalMonth = None, area: PageArea = None, basis: Basis = Basis.RESTATED,
    ) -> HTMLResponse:
        area = area or None
        period = period or await read_default_period(service, principal)
        found = await read_pillars(service, principal, entities_path(request), period, area, basis)
        return render(request, "pillars.html", principal, "pillars", None, found=found, area=area or "",
                      area_name=_area_name(found.area), bases=BASES,
                      json_url=drill(request.url_for("get_pillars").path, period=period, area=area,
                                     basis=basis.value if basis is not Basis.RESTATED else None))

    @web.get("/report", name="report_page")
    async def report_page(
        request: Request, principal: Person, township: PageTownship = None, period: OptionalMonth = None,
        basis: Basis = Basis.RESTATED,
    ) -> HTMLResponse:
        """The monthly township report, printable (report-2.css lays it out on A4); a supervisor who
        names no township picks one of his area's."""
        own = principal.township_prefix or ""
        choices = [(code, f"{t.division_name} {t.name}") for code, t in sorted(TOWNSHIPS.items()) if code.startswith(own)]
        context = {"report_style": f"/dashboard/{REPORT_STYLE}", "choices": choices, "bases": BASES}
        if not township and principal.role is not Role.TOWNSHIP:
            period = period or await read_default_period(service, principal)
            return render(request, "report.html", principal, "report", None, report=None, period=period, **context)
        found = await read_report(service, principal, report_links(request), (entities_path(request), alerts_path(request)), township or None,
                                  period or None, basis)
        data = {"chart": "report", "months": [{"period": m.period, "tax": m.tax, "kwh": m.kwh, "url": m.entities_url} for m in found.trend]}
        return render(request, "report.html", principal, "report", data, report=found, **context)

    rule_lists_page("/locked-entities", "locked_page", "get_locked_entities", alert_domain.LOCKED_RULES, "长期停业和亏损企业锁定分析", "各乡镇（街道）锁定主体数")
    rule_lists_page("/tax-anomalies", "tax_page", "get_tax_anomalies", alert_domain.TAX_RULES, "异常纳税行为预警", "各乡镇（街道）异常纳税主体数")

    # ---- 区域企业发展概况 (#1) and 登记名录, the registrations behind its counts ----
    serve(DEVELOPMENT_SCRIPT, "text/javascript")

    def registrations_path(request: Request) -> str:
        return request.url_for("registrations_page").path

    @web.get("/development", name="development_page")
    async def development_page(
        request: Request, principal: Person, period: OptionalMonth = None, months: SeriesMonths = TREND_MONTHS,
        area: PageArea = None, entity_type: PageEntityType = None, industry: PageIndustry = None,
    ) -> HTMLResponse:
        area, entity_type, industry = area or None, entity_type or None, industry or None
        found = await read_development(service, principal, registrations_path(request), period or None, months, area, entity_type, industry)
        data = {"chart": "development", "months": [p.period for p in found.series],
                "new": [{"value": p.new, "url": p.new_url} for p in found.series],
                "ended": [{"value": p.deregistered + p.revoked, "url": p.ended_url} for p in found.series],
                "active": [{"value": p.active, "url": p.active_url} for p in found.series]}
        return render(request, "development.html", principal, "development", data, script=DEVELOPMENT_SCRIPT, found=found,
                      area=area or "", area_name=_area_name(found.area), months=months, entity_types=ENTITY_TYPE_CHOICES, sections=SECTIONS,
                      json_url=drill(request.url_for("get_development").path, period=found.period, months=str(months), area=area,
                                     entity_type=entity_type, industry=industry))

    @web.get("/registrations", name="registrations_page")
    async def registrations_page(
        request: Request, principal: Person, event: ListedEvent = ListedEvent.ACTIVE, month: OptionalMonth = None,
        area: PageArea = None, entity_type: PageEntityType = None, industry: PageIndustry = None, offset: PageOffset = 0,
        size_band: PageSizeBand = None,
    ) -> HTMLResponse:
        area, entity_type, industry, size_band = area or None, entity_type or None, industry or None, size_band or None
        month = month or latest_month()
        rows = await read_registrations(service, principal, entities_path(request), event, month, area, entity_type, industry,
                                        PAGE_SIZE, offset, size_band)
        query = {"event": event.value, "month": month, "area": area, "entity_type": entity_type, "industry": industry,
                 "size_band": size_band}
        return render(request, "registrations.html", principal, "development", None, rows=rows, event=event.value,
                      events={e.value: label for e, label in EVENT_ZH.items()},
                      month=month, area=area or "", area_name=_area_name(area_prefix(principal, area)),
                      entity_type=entity_type or "", entity_types=ENTITY_TYPE_CHOICES, industry=industry or "", sections=SECTIONS,
                      size_band=size_band or "", size_bands=_band_choices(service),
                      back_url=drill(request.url_for("development_page").path, period=month, area=area, entity_type=entity_type,
                                     industry=industry),
                      **_paging(request, "registrations_page", "list_registrations", query, offset, len(rows)))

    serve(PIVOT_SCRIPT, "text/javascript")
    serve(PIVOT_STYLE, "text/css")

    @web.get("/pivot", name="pivot_page")
    async def pivot_page(
        request: Request, principal: Person, rows: PageDimension = None, columns: PageDimension = None,
        measure: Measure = Measure.ENTITIES, first: PageFrom = None, last: PageTo = None, area: PageArea = None,
        industry: PageIndustry = None, entity_type: PageEntityType = None, size_band: PageSizeBand = None,
        basis: Basis = Basis.RESTATED,
    ) -> HTMLResponse:
        """企业信息多维分析: the form (a plain GET, so the address is shareable), the table and the chart."""
        last = last or await read_default_period(service, principal)
        q = PivotQuery(
            rows=Dimension(rows) if rows else (Dimension.INDUSTRY if principal.role is Role.TOWNSHIP else Dimension.TOWNSHIP),
            first=first or last, last=last, columns=Dimension(columns) if columns else None, measure=measure,
            area=area or None, industry=industry or None, entity_type=entity_type or None, size_band=size_band or None, basis=basis)
        found = await read_pivot(service, principal, {
            Listing.ENTITIES: entities_path(request), Listing.REGISTRATIONS: registrations_path(request),
            Listing.ALERTS: alerts_path(request)}, q)
        query = {"rows": q.rows.value, "columns": q.columns.value if q.columns else None, "measure": q.measure.value,
                 "from": q.first, "to": q.last, "area": q.area, "industry": q.industry, "entity_type": q.entity_type,
                 "size_band": q.size_band, "basis": q.basis.value if q.basis is not Basis.RESTATED else None}
        drawn = found.rows[:CHART_PIVOT_ROWS]
        data = {"chart": "pivot", "money": q.measure is Measure.TAX,
                "stack": not (q.measure is Measure.REGISTERED and q.columns is Dimension.PERIOD),  # months' ends do not add up
                "rows": [r.label for r in drawn],
                "series": [{"name": c.label, "values": [{"value": r.cells[j].value, "url": r.cells[j].entities_url} for r in drawn]}
                           for j, c in enumerate(found.columns)]}
        return render(request, "pivot.html", principal, "pivot", data, script=PIVOT_SCRIPT, found=found, q=q, area=area or "",
                      basis_choices=[(b.value, label) for b, label in BASES.items()],
                      dimensions=[(d.value, zh) for d, zh in pivot_domain.DIMENSION_ZH.items()],
                      measures=[(m.value, zh) for m, zh in pivot_domain.MEASURE_ZH.items()], sections=SECTIONS,
                      entity_types=ENTITY_TYPE_CHOICES, size_bands=_band_choices(service), charted=len(drawn),
                      pivot_style=f"/dashboard/{PIVOT_STYLE}",
                      json_url=drill(request.url_for("get_pivot").path, **query),
                      xlsx_url=drill(request.url_for("get_pivot_xlsx").path, **query),
                      csv_url=drill(request.url_for("get_pivot_csv").path, **query))

    # ---- 部门记录 (#13): the records behind 公共信息对比分析's linked, unlinked and pending counts ----
    @web.get("/records", name="records_page")
    async def records_page(
        request: Request, principal: Person, period: OptionalMonth = None, department: PageCode = None, kind: PageCode = None,
        link: PageLink = None, area: PageArea = None, offset: PageOffset = 0,
    ) -> HTMLResponse:
        """部门记录: the form (a plain GET), the explanation of the link states, the list."""
        area, department, kind = area or None, department or None, kind or None
        period = period or await read_default_period(service, principal)
        rows = await read_records(service, principal, entities_path(request), period, department, kind,
                                  records_domain.LinkState(link) if link else None, area, PAGE_SIZE, offset)
        query = {"period": period, "department": department, "kind": kind, "link": link or None, "area": area}
        return render(request, "records.html", principal, "comparison", None, rows=rows, period=period, area=area or "",
                      area_name=_area_name(area_prefix(principal, area)), department=department or "", kind=kind or "", link=link or "",
                      departments=[("", "全部")] + list(DEPARTMENT_NAMES.items()),
                      kinds=[("", "全部")] + [(code, f"{department_name(k.department)} {k.title_zh}") for code, k in KINDS.items()],
                      links=[("", "全部")] + [(k.value, zh) for k, zh in records_domain.LINK_ZH.items()],
                      actions={records_domain.LINK_ZH[k]: text for k, text in records_domain.ACTION_ZH.items()},
                      back_url=drill(request.url_for("comparison_page").path, period=period, area=area),
                      **_paging(request, "records_page", "list_records", query, offset, len(rows)))

    return web


def _band_choices(service: Service) -> list[tuple[str, str]]:
    """规模档 as a form offers them (the city's file, then 未申报)."""
    bands = size_bands(service)
    return [(code, bands.name(code)) for code in bands.codes]


def _paging(request: Request, page: str, api: str, query: dict, offset: int, shown: int) -> dict:
    """A list page's links: its data as JSON, the next and previous pages."""
    here = request.url_for(page).path
    json_path = request.url_for(api).path
    return {
        "json_url": drill(json_path, **query, offset=str(offset) if offset else None),
        "next_url": drill(here, **query, offset=str(offset + PAGE_SIZE)) if shown == PAGE_SIZE else None,
        "previous_url": drill(here, **query, offset=str(max(0, offset - PAGE_SIZE))) if offset else None,
    }


RULES = [("", "全部规则")] + [(rule, alert_domain.rule_label(rule)) for rule in alert_domain.RULE_IDS]
SHARES = {"linked": "已关联", "unlinked": "未关联", "pending": "待匹配"}  # 公共信息对比分析's stacks, per department
SHARE_URLS = {"linked": "entities_url", "unlinked": "unlinked_url", "pending": "pending_url"}  # where each stack drills
SUBMISSION_ZH = {"on_time": "按时", "late": "逾期报送", "missing": "未报送", "pending": "未到截止日"}
BASES = {Basis.RESTATED: "现值（含更正和补报）", Basis.REPORTED: "月末口径（当月末已知）"}
ENTITY_TYPE_CHOICES = [(code, entity_type_name(code)) for code in pivot_domain.ENTITY_TYPES]
SECTIONS = [(s, f"{s} {name}") for s, name in sorted(SECTION_NAMES.items())] + [(UNKNOWN_SECTION, UNKNOWN_SECTION_NAME)]


def _area_name(prefix: str) -> str:
    if not prefix:
        return "揭阳市"
    if prefix in TOWNSHIPS:
        return f"{TOWNSHIPS[prefix].division_name}{TOWNSHIPS[prefix].name}"
    return DIVISIONS.get(prefix, "揭阳市")
