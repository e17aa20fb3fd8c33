"""公共信息对比分析 (#5): the departments' data side by side per township of the caller's area —
registered entities against those with tax and with power in the month, and of the tax and power
records how many are linked, unlinked (the matcher failed) and pending — with the townships whose
coverage is too low for their "no tax" figures to be trusted flagged (domain/comparison.py).

Scope by construction, as the other analyses: the caller's area, narrowed by `area` (another area
is 404). Each entity count carries the entity list behind it (`*_url`, with the same filters), each
unlinked and pending count the department records behind it (/v1/records, api/records.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.periods import shift
from shared.reference import TOWNSHIPS
from shared.service import Service
from shared.service.http import error_responses
from shared.service.read_cache import cached

from services.analytics.api.analyses import AreaFilter, Month, Reader, _check_month, area_prefix, drill, known_filters
from services.analytics.domain import comparison as domain
from services.analytics.storage import repository
from services.analytics.storage.tables import FIGURES


class KindLinks(BaseModel):
    kind: str
    kind_zh: str
    linked: int
    unlinked: int = Field(description="the matcher found no entity (match-failed)")
    pending: int = Field(description="not judged by the matcher yet")
    total: int
    linked_pct: float | None
    unlinked_pct: float | None
    pending_pct: float | None
    unlinked_url: str = Field(description="the unlinked records behind `unlinked` (/v1/records)")
    pending_url: str = Field(description="the pending records behind `pending` (/v1/records)")


class DepartmentLinks(KindLinks):
    """A department's monthly records of the period and its register (current) together; `kind` is the department."""

    department_zh: str
    kinds: list[KindLinks] = Field(description="the monthly kind of the period, then the register")
    entities_url: str = Field(description="the entities with this department's figure in the month")


class Compared(BaseModel):
    registered: int = Field(description="entities registered (market regulation) at the month's end")
    with_tax: int = Field(description="entities with a tax figure in the month")
    with_power: int = Field(description="entities with a power figure in the month")
    with_tax_pct: float | None = Field(description="with_tax of registered")
    with_power_pct: float | None = Field(description="with_power of registered")
    departments: list[DepartmentLinks] = Field(description="tax, then power supply")
    coverage_pct: float | None = Field(description="the linked share of all the compared records; none without records")
    low_coverage: bool = Field(description="coverage below the threshold: the absence figures (无税, 无电) are not to be trusted")
    registered_url: str
    with_tax_url: str
    with_power_url: str


class TownshipCompared(Compared):
    township_code: str
    township_name: str
    division_name: str


class Comparison(BaseModel):
    period: str
    area: str = Field(description="the township or division prefix answered; empty for the city")
    threshold_pct: float = Field(description="coverage below this flags a township (setting comparison_low_coverage_pct)")
    townships: list[TownshipCompared] = Field(description="every township of the area, lowest coverage first")
    totals: Compared
    low_coverage_townships: int


def _links(kind: str, zh: str, links: domain.Links, records_url: Callable[..., str]) -> dict:
    """A kind's or a department's counts; `records_url(link=…)`: the records behind one of them."""
    return dict(kind=kind, kind_zh=zh, linked=links.linked, unlinked=links.unlinked, pending=links.pending, total=links.total,
                **links.shares(), unlinked_url=records_url(link="unlinked"), pending_url=records_url(link="pending"))


def _compared(row: domain.TownshipComparison, threshold: float, entities_path: str, records_path: str, filters: dict) -> dict:
    orders = {"tax": "tax", "power_supply": "kwh"}
    records = partial(drill, records_path, **filters)  # the records behind a count: records(department=, kind=, link=)
    return dict(
        registered=row.registered, with_tax=row.with_tax, with_power=row.with_power,
        with_tax_pct=domain.entity_pct(row.with_tax, row.registered), with_power_pct=domain.entity_pct(row.with_power, row.registered),
        departments=[DepartmentLinks(
            **_links(dept, domain.DEPARTMENT_ZH[dept], row.department(dept), partial(records, department=dept)),
            department_zh=domain.DEPARTMENT_ZH[dept],
            kinds=[KindLinks(**_links(k, domain.KIND_ZH[k], row.kinds[k], partial(records, department=dept, kind=k))) for k in kinds],
            entities_url=drill(entities_path, **filters, order=orders[dept]),
        ) for dept, kinds in domain.DEPARTMENTS.items()],
        coverage_pct=row.coverage_pct, low_coverage=domain.low_coverage(row.coverage_pct, threshold),
        registered_url=drill(entities_path, **filters), with_tax_url=drill(entities_path, **filters, order="tax"),
        with_power_url=drill(entities_path, **filters, order="kwh"),
    )


def _month_end(period: str) -> date:
    return date.fromisoformat(f"{shift(period, 1)}-01") - timedelta(days=1)


@cached(reads=(FIGURES,))
async def read_comparison(
    service: Service, principal: Principal, entities_path: str, records_path: str, period: str, area: str | None,
) -> Comparison:
    """公共信息对比分析 as the caller may see it (the API's and the page's); entity counts drill to
    `entities_path`, record counts to `records_path`."""
    _check_month(period)
    prefix = area_prefix(principal, area)
    threshold = service.settings.comparison_low_coverage_pct
    kinds = [k for ks in domain.DEPARTMENTS.values() for k in ks]
    async with service.read_sessions() as session:
        registered, with_figures, records = await repository.comparison_counts(session, prefix, period, _month_end(period), kinds)
    rows, totals = domain.comparison(registered, with_figures, records, prefix)
    townships = [TownshipCompared(
        township_code=code, township_name=TOWNSHIPS[code].name, division_name=TOWNSHIPS[code].division_name,
        **_compared(row, threshold, entities_path, records_path, {"area": code, "period": period}),
    ) for code, row in rows.items()]
    townships.sort(key=lambda t: (t.coverage_pct is None, t.coverage_pct or 0.0, t.township_code))
    return Comparison(
        period=period, area=prefix, threshold_pct=threshold, townships=townships,
        totals=Compared(**_compared(totals, threshold, entities_path, records_path, {"area": area, "period": period})),
        low_coverage_townships=sum(t.low_coverage for t in townships),
    )


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["analyses"], responses=error_responses(401, 403, 404, 422, 503))

    @api.get("/comparison", response_model=Comparison, dependencies=[known_filters("period", "area")])
    async def get_comparison(request: Request, principal: Reader, period: Month, area: AreaFilter = None) -> Comparison:
        """公共信息对比分析: per township of the caller's area, the registered entities against those
        with tax and with power in `period`, and of the tax and power records (the month's and the
        registers) the linked, unlinked and pending shares; townships whose linked share is below
        the threshold are flagged — there, an entity "without tax" may have its tax in an unlinked record."""
        return await read_comparison(service, principal, request.url_for("list_entities").path,
                                     request.url_for("list_records").path, period, area)

    return api
