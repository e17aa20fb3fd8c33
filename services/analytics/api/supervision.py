"""经济管理监管分析 (#7), 长期停业和亏损企业锁定分析 (#8) and 异常纳税行为预警 (#9): the alerts analytics
holds (from `anomaly-detected`, with the handling `feedback-submitted` and passed deadlines tell),
by rule, township and month, and the lists of entities under given rules with the figures that put
them there.

Scope by construction, as the other analyses: every query takes the caller's area and may only
narrow it (a township or division outside it is 404). Every count carries the alert list behind it
(`alerts_url`, with the same filters), every alert and listed entity its panorama (`entity_url`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.contracts import DispositionEffect, EvidenceMonth
from shared.contracts.rules import RULE_NAMES_ZH
from shared.reference import TOWNSHIPS
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
    _refuse,
    area_prefix,
    check_entity_type,
    check_size_band,
    drill,
    known_filters,
    size_bands,
)
from services.analytics.domain import alerts as domain
from services.analytics.domain.months import MONTH_PATTERN, months_between
from services.analytics.storage import repository
from services.analytics.storage.tables import ALERTS, FIGURES

MAX_MONTHS = 36


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    OVERDUE = "overdue"


FromMonth = Annotated[str | None, Query(alias="from", pattern=MONTH_PATTERN, description="first month counted, e.g. 2026-01")]
ToMonth = Annotated[str | None, Query(alias="to", pattern=MONTH_PATTERN, description="last month counted, e.g. 2026-12")]
RuleFilter = Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$", description="a rule id, e.g. power_without_tax")]
StateFilter = Annotated[AlertState | None, Query(description="a handling state; overdue: a deadline passed")]
EffectFilter = Annotated[DispositionEffect | None, Query(description="what the 办结 finding made the platform do")]


class Handling(BaseModel):
    total: int = Field(description="alerts not withdrawn")
    open: int = Field(description="待签收")
    acknowledged: int = Field(description="已签收, not yet 办结")
    resolved: int = Field(description="已办结")
    withdrawn: int = Field(description="withdrawn by alerting (the data no longer support them); not in total")
    overdue: int = Field(description="a 签收 or 办结 deadline passed")
    resolved_pct: float | None = Field(description="办结率: resolved of total")
    hours_to_acknowledge: float | None = Field(description="median hours from the alert to 签收")
    hours_to_resolve: float | None = Field(description="median hours from the alert to 办结")
    alerts_url: str = Field(description="the alerts behind these counts")
    state_urls: dict[AlertState, str] = Field(description="the alerts behind each state's count")


class RuleHandling(Handling):
    rule: str
    rule_zh: str


class TownshipHandling(Handling):
    township_code: str
    township_name: str
    division_name: str


class MonthHandling(Handling):
    month: str


class EffectCount(BaseModel):
    effect: str = Field(description="what the 办结 disposition made the platform do")
    effect_zh: str
    alerts: int
    alerts_url: str


class Supervision(BaseModel):
    first: str
    last: str
    area: str = Field(description="the township or division prefix answered; empty for the city")
    rule: str | None
    totals: Handling
    by_rule: list[RuleHandling]
    by_township: list[TownshipHandling] = Field(description="every township of the area with alerts, most first")
    by_month: list[MonthHandling] = Field(description="every month from first to last")
    by_effect: list[EffectCount] = Field(description="the resolved alerts by what their 办结 found")


class AlertItem(BaseModel):
    alert_id: str
    rule: str
    rule_zh: str
    severity: str | None
    uscc: str | None
    entity_name: str | None
    township_code: str | None
    township_name: str
    period: str | None = Field(description="the alert's period: a month, or a finance period for 持续亏损")
    month: str | None = Field(description="the month it is counted in")
    state: str
    state_zh: str
    overdue: bool
    disposition: str | None = Field(description="the township's 办结 finding (feedback's closed list)")
    effect_zh: str
    message_zh: str | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    entity_url: str | None = Field(description="the entity's panorama")


class EvidenceFigure(BaseModel):
    label: str
    value: float | str | None
    unit: str


class ListedEntity(BaseModel):
    uscc: str | None
    entity_name: str | None
    township_code: str | None
    township_name: str
    rule: str
    rule_zh: str
    period: str | None = Field(description="the newest alert's period")
    flagged: list[str] = Field(description="the months (or finance periods) that put the entity on the list")
    alerts: int = Field(description="how many periods the rule flagged the entity")
    evidence: list[EvidenceFigure] = Field(description="the figures that raised the newest alert")
    months: list[EvidenceMonth] = Field(description="power and tax of the months before the alert, as alerting saw them")
    state: str
    state_zh: str
    message_zh: str | None
    entity_url: str | None


class RuleList(BaseModel):
    rule: str
    rule_zh: str
    entities: list[ListedEntity]
    alerts_url: str = Field(description="every alert of the rule in the area")


class RuleLists(BaseModel):
    area: str
    first: str | None
    last: str | None
    lists: list[RuleList]


def _township(code: str | None) -> tuple[str, str]:
    place = TOWNSHIPS.get(code or "")
    return (place.name, place.division_name) if place else ("", "")


def _check_range(first: str | None, last: str | None) -> None:
    for month in (first, last):
        if month:
            _check_month(month)
    if first and last:
        if last < first:
            raise _refuse("period_range_invalid", "结束月份不能早于开始月份")
        if len(months_between(first, last)) > MAX_MONTHS:
            raise _refuse("period_range_too_long", f"一次最多查询 {MAX_MONTHS} 个月")


def _check_rule(rule: str | None) -> None:
    if rule is not None and rule not in RULE_NAMES_ZH:
        raise _refuse("unknown_rule", f"没有编号为 {rule} 的预警规则")


def _handling(row, alerts_path: str, filters: dict) -> dict:
    """A group's counts as the API answers them, each with the alerts behind it."""
    live = row["open"] + row["acknowledged"] + row["resolved"]
    hours = lambda v: round(float(v), 1) if v is not None else None  # noqa: E731
    return dict(
        total=live, open=row["open"], acknowledged=row["acknowledged"], resolved=row["resolved"],
        withdrawn=row["withdrawn"], overdue=row["overdue"], resolved_pct=domain.share_pct(row["resolved"], live),
        hours_to_acknowledge=hours(row["hours_to_acknowledge"]), hours_to_resolve=hours(row["hours_to_resolve"]),
        alerts_url=drill(alerts_path, **filters), state_urls={s: drill(alerts_path, **filters, state=s.value) for s in AlertState},
    )


_EMPTY = dict(open=0, acknowledged=0, resolved=0, withdrawn=0, overdue=0, hours_to_acknowledge=None, hours_to_resolve=None)


@cached(reads=(ALERTS,))
async def read_supervision(
    service: Service, principal: Principal, alerts_path: str, first: str, last: str, area: str | None, rule: str | None,
) -> Supervision:
    """经济管理监管分析 as the caller may see it (the API's and the page's); counts drill to `alerts_path`."""
    _check_range(first, last)
    _check_rule(rule)
    prefix = area_prefix(principal, area)
    rules = [rule] if rule else []
    async with service.read_sessions() as session:
        tallies = await repository.alert_tallies(session, prefix, first, last, rules)
    base = {"from": first, "to": last, "area": area, "rule": rule}
    by_month = {r["key"]: r for r in tallies["month"]}
    by_township = sorted(tallies["township"], key=lambda r: (-(r["open"] + r["acknowledged"] + r["resolved"]), r["key"] or ""))
    return Supervision(
        first=first, last=last, area=prefix, rule=rule,
        totals=Handling(**_handling(tallies["all"][0] if tallies["all"] else _EMPTY, alerts_path, base)),
        by_rule=[RuleHandling(rule=r["key"], rule_zh=domain.rule_label(r["key"]), **_handling(r, alerts_path, base | {"rule": r["key"]}))
                 for r in sorted(tallies["rule"], key=lambda r: r["key"])],
        by_township=[TownshipHandling(
            township_code=r["key"], township_name=(names := _township(r["key"]))[0], division_name=names[1],
            **_handling(r, alerts_path, base | {"area": r["key"]})) for r in by_township if r["key"]],
        by_month=[MonthHandling(month=m, **_handling(by_month.get(m, _EMPTY), alerts_path, base | {"from": m, "to": m}))
                  for m in months_between(first, last)],
        by_effect=[EffectCount(effect=r["key"], effect_zh=domain.effect_name(r["key"]), alerts=r["resolved"],
                               alerts_url=drill(alerts_path, **base, state="resolved", effect=r["key"]))
                   for r in sorted(tallies["effect"], key=lambda r: r["key"] or "") if r["key"] and r["resolved"]],
    )


def _entity_url(panorama_path: str, uscc: str | None) -> str | None:
    return f"{panorama_path}/{uscc}" if uscc else None


@cached(reads=(FIGURES, ALERTS))
async def read_alerts(
    service: Service, principal: Principal, panorama_path: str, first: str | None, last: str | None,
    area: str | None, rule: str | None, state: AlertState | None, limit: int, offset: int,
    effect: DispositionEffect | None = None, industry: str | None = None, entity_type: str | None = None,
    size_band: str | None = None,
) -> list[AlertItem]:
    """The alerts behind a count as the caller may see them (the API's and the page's); `industry`,
    `entity_type`, `size_band`: of entities of those (企业信息多维分析's alert counts)."""
    _check_range(first, last)
    _check_rule(rule)
    prefix = area_prefix(principal, area)
    check_entity_type(entity_type)
    of_entities = ((size_bands(service), industry, entity_type, check_size_band(service, size_band))
                   if industry or entity_type or size_band else None)
    async with service.read_sessions() as session:
        rows = await repository.list_alerts(session, prefix, first, last, [rule] if rule else [],
                                            state.value if state else None, limit, offset,
                                            effect=effect.value if effect else None, of_entities=of_entities)
    return [AlertItem(
        alert_id=str(r["alert_id"]), rule=r["rule"], rule_zh=domain.rule_label(r["rule"]), severity=r["severity"],
        uscc=r["uscc"], entity_name=r["entity_name"], township_code=r["township_code"], township_name=_township(r["township_code"])[0],
        period=r["period"], month=r["month"], state=(s := domain.state_of(r["status_rank"], r["withdrawn_at"] is not None)),
        state_zh=domain.STATE_ZH[s], overdue=r["overdue"], disposition=r["disposition"], effect_zh=domain.effect_name(r["effect"]),
        message_zh=r["message_zh"], detected_at=r["detected_at"], acknowledged_at=r["acknowledged_at"],
        resolved_at=r["resolved_at"], entity_url=_entity_url(panorama_path, r["uscc"]),
    ) for r in rows]


@cached(reads=(FIGURES, ALERTS))
async def read_rule_lists(
    service: Service, principal: Principal, paths: tuple[str, str], rules: tuple[str, ...],
    first: str | None, last: str | None, area: str | None, limit: int, offset: int,
) -> RuleLists:
    """The entities under each of `rules` in the caller's area, one row per entity (its newest
    alert's figures); `paths`: the panorama's and the alert list's (the API's or the pages')."""
    _check_range(first, last)
    prefix = area_prefix(principal, area)
    panorama_path, alerts_path = paths
    lists = []
    async with service.read_sessions() as session:
        for rule in rules:
            rows = await repository.list_alerts(session, prefix, first, last, [rule], None, limit, offset, per_entity=True)
            lists.append(RuleList(
                rule=rule, rule_zh=domain.rule_label(rule),
                alerts_url=drill(alerts_path, **{"from": first, "to": last, "area": area, "rule": rule}),
                entities=[ListedEntity(
                    uscc=r["uscc"], entity_name=r["entity_name"], township_code=r["township_code"],
                    township_name=_township(r["township_code"])[0], rule=rule, rule_zh=domain.rule_label(rule),
                    period=r["period"], flagged=domain.flagged_months(rule, r["period"], r["facts"]), alerts=r["alerts"],
                    evidence=[EvidenceFigure(**f.__dict__) for f in domain.evidence(rule, r["facts"])],
                    months=[EvidenceMonth(**m) for m in r["evidence_months"] or []],
                    state=(s := domain.state_of(r["status_rank"], False)), state_zh=domain.STATE_ZH[s],
                    message_zh=r["message_zh"], entity_url=_entity_url(panorama_path, r["uscc"]),
                ) for r in rows],
            ))
    return RuleLists(area=prefix, first=first, last=last, lists=lists)


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["analyses"], responses=error_responses(401, 403, 404, 422, 503))

    def paths(request: Request) -> tuple[str, str]:
        return request.url_for("list_entities").path, request.url_for("list_alerts").path  # /v1/entities/{uscc}: the panorama

    @api.get("/supervision", response_model=Supervision, dependencies=[known_filters("from", "to", "area", "rule")])
    async def get_supervision(
        request: Request, principal: Reader,
        first: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN, description="first month counted, e.g. 2026-01")],
        last: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN, description="last month counted, e.g. 2026-12")],
        area: AreaFilter = None, rule: RuleFilter = None,
    ) -> Supervision:
        """经济管理监管分析: the caller's area's alerts by rule, township, month and 办结 finding, each
        with its handling (待签收, 已签收, 已办结, withdrawn, overdue, 办结率, median hours to 签收 and
        办结); an alert counts in its period's month (a finance period's last month)."""
        return await read_supervision(service, principal, paths(request)[1], first, last, area, rule)

    @api.get("/alerts", response_model=list[AlertItem], name="list_alerts",
             dependencies=[known_filters("from", "to", "area", "rule", "state", "effect", "industry", "entity_type", "size_band")])
    async def list_alerts(
        request: Request, principal: Reader, page: Paged,
        first: FromMonth = None, last: ToMonth = None, area: AreaFilter = None, rule: RuleFilter = None, state: StateFilter = None,
        effect: EffectFilter = None, industry: IndustryFilter = None, entity_type: EntityTypeFilter = None,
        size_band: SizeBandFilter = None,
    ) -> list[AlertItem]:
        """The alerts behind a count of 经济管理监管分析 (or of 企业信息多维分析's 预警, narrowed by its
        entity's 门类, type and 规模档), newest month first, each with its handling and its entity's panorama."""
        return await read_alerts(service, principal, paths(request)[0], first, last, area, rule, state, page.limit, page.offset,
                                 effect, industry, entity_type, size_band)

    @api.get("/locked-entities", response_model=RuleLists, dependencies=[known_filters("from", "to", "area")])
    async def get_locked_entities(
        request: Request, principal: Reader, page: Paged, first: FromMonth = None, last: ToMonth = None, area: AreaFilter = None,
    ) -> RuleLists:
        """长期停业和亏损企业锁定分析: the entities of the caller's area under 长期停业 and 持续亏损 (alerts
        not withdrawn), one row per entity with the months and figures that put it there."""
        return await read_rule_lists(service, principal, paths(request), domain.LOCKED_RULES, first, last, area, page.limit, page.offset)

    @api.get("/tax-anomalies", response_model=RuleLists, dependencies=[known_filters("from", "to", "area")])
    async def get_tax_anomalies(
        request: Request, principal: Reader, page: Paged, first: FromMonth = None, last: ToMonth = None, area: AreaFilter = None,
    ) -> RuleLists:
        """异常纳税行为预警: the entities of the caller's area whose tax is abnormal against their
        industry peers (纳税异常) or against their power (税电比异常, 用电无税), with the evidence figures."""
        return await read_rule_lists(service, principal, paths(request), domain.TAX_RULES, first, last, area, page.limit, page.offset)

    return api
