"""企业信息多维分析 (#4): the pivot of the caller's area's entity-months — rows by one dimension,
columns by an optional second, one measure, the months from `from` to `to` — as JSON, as an .xlsx
workbook and as CSV (domain/pivot.py says what is counted and how the totals are).

Scope by construction, as the other analyses: the caller's area, narrowed by `area` (another area is
404, its export too). Every cell and total carries the list behind it (`entities_url`): the entity
list, the registration list (登记在业主体) or the alert list (预警), of the same area, months and
filters, narrowed to the cell's row and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.service import Service
from shared.service.http import error_responses
from shared.workbooks import AMOUNT, COUNT, MONEY, TEXT, XLSX, Column, new_workbook, saved, write_sheet, written_aside
from shared.service.read_cache import cached

from services.analytics.api.analyses import (
    AreaFilter,
    Basis,
    BasisParam,
    EntityTypeFilter,
    IndustryFilter,
    Reader,
    SizeBandFilter,
    _refuse,
    area_prefix,
    check_months,
    drill,
    entity_scope,
    known_filters,
    size_bands,
)
from services.analytics.domain import pivot as domain
from services.analytics.domain.development import month_end
from services.analytics.domain.months import MONTH_PATTERN
from services.analytics.domain.pivot import Dimension, Measure
from services.analytics.storage import repository
from services.analytics.storage.tables import ALERTS, FIGURES

FILTERS = ("rows", "columns", "measure", "from", "to", "area", "industry", "entity_type", "size_band", "basis")
BASIS_ZH = {Basis.RESTATED: "现值", Basis.REPORTED: "月末口径"}
_FORMATS = {Measure.ENTITIES: COUNT, Measure.KWH: AMOUNT, Measure.TAX: MONEY, Measure.REGISTERED: COUNT, Measure.ALERTS: COUNT}


class PivotCell(BaseModel):
    value: float | None = Field(description="none: nothing counted there")
    entities_url: str = Field(description="the list behind the figure: entities (with figures), registrations or alerts")


class PivotHeader(BaseModel):
    key: str = Field(description="the dimension's value (a code, a 门类 letter, a month)")
    label: str
    total: float | None = Field(description="across the other dimension (entities: each counted once; registered across months: the last month's)")
    entities_url: str


class PivotRow(PivotHeader):
    cells: list[PivotCell] = Field(description="one per column, in the columns' order")


class Pivot(BaseModel):
    rows_dimension: Dimension
    rows_dimension_zh: str
    columns_dimension: Dimension | None
    columns_dimension_zh: str | None
    measure: Measure
    measure_zh: str
    note_zh: str = Field(description="what the figures count (registered: at which months' end)")
    basis: Basis
    first: str
    last: str
    area: str = Field(description="the township or division prefix answered; empty for the city")
    area_name: str
    filters_zh: str = Field(description="the filters in words, as the exports' title says them")
    columns: list[PivotHeader] = Field(description="with a column dimension its values, else one column 合计")
    rows: list[PivotRow]
    total: float | None
    entities_url: str


@dataclass
class PivotQuery:
    """What a pivot is asked (the API's, the exports' and the page's query)."""

    rows: Annotated[Dimension, Query(description="the rows' dimension")]
    first: Annotated[str, Query(alias="from", pattern=MONTH_PATTERN, description="first month, e.g. 2026-01")]
    last: Annotated[str, Query(alias="to", pattern=MONTH_PATTERN, description="last month (at most 36 months)")]
    columns: Annotated[Dimension | None, Query(description="the columns' dimension (none: one column of totals)")] = None
    measure: Annotated[Measure, Query(
        description="entities with a figure, their kWh or their tax; entities registered and active at the month's end "
                    "(each month's by period, else the last month's); alerts counted in the months")] = Measure.ENTITIES
    area: AreaFilter = None
    industry: IndustryFilter = None
    entity_type: EntityTypeFilter = None
    size_band: SizeBandFilter = None
    basis: BasisParam = Basis.RESTATED


@cached(reads=(FIGURES, ALERTS))
async def read_pivot(service: Service, principal: Principal, paths: Mapping[domain.Listing, str], q: PivotQuery) -> Pivot:
    """The pivot as the caller may see it (the API's, the exports' and the page's); figures drill to
    the path of their measure's list in `paths`."""
    check_months(q.first, q.last)
    if q.rows == q.columns:
        raise _refuse("same_dimension", "行和列不能是同一个维度")
    bands = size_bands(service)
    scope = entity_scope(service, area_prefix(principal, q.area), q.first, q.last, q.industry, q.entity_type, q.size_band)
    cells = domain.cell_count(q.rows, q.columns, scope.prefix, q.first, q.last, bands)
    if cells > domain.MAX_CELLS:
        raise _refuse("too_many_cells", f"行 × 列最多 {domain.MAX_CELLS} 个单元格，当前选择可能有 {cells} 个：请缩小区域或月份范围，或换一个维度")
    async with service.read_sessions() as session:
        found = await repository.pivot_cells(
            session, scope, q.rows, q.columns, q.measure, q.basis, bands,
            [(m, month_end(m)) for m in domain.counted_months(q.measure, q.rows, q.columns, q.first, q.last)])
    if q.measure is Measure.REGISTERED:
        found = domain.at_month_end(found, q.rows, q.columns, q.last)
    table = domain.table(found, q.rows, q.columns, scope.prefix, q.first, q.last, bands)
    base = {"area": q.area, "industry": q.industry, "entity_type": q.entity_type, "size_band": q.size_band,
            **domain.drill_range(q.measure, q.first, q.last)}
    listing = paths[domain.LISTING.get(q.measure, domain.Listing.ENTITIES)]

    def url(*picked: tuple[Dimension | None, str]) -> str:
        filters = dict(base)
        for dimension, key in picked:
            if dimension is not None and key != domain.ALL:
                narrower = domain.drill_filters(dimension, key, q.measure)
                if len(filters["area"] or "") > len(narrower.get("area", "")):
                    narrower.pop("area", None)  # a county's cell within a township asked for: the township's list
                filters.update(narrower)
        if filters.get("to") == filters.get("period"):
            filters["to"] = None  # the entity list of one month
        return drill(listing, **filters)

    return Pivot(
        rows_dimension=q.rows, rows_dimension_zh=domain.DIMENSION_ZH[q.rows],
        columns_dimension=q.columns, columns_dimension_zh=domain.DIMENSION_ZH[q.columns] if q.columns else None,
        measure=q.measure, measure_zh=domain.MEASURE_ZH[q.measure],
        note_zh=domain.note(q.measure, q.rows, q.columns, q.first, q.last), basis=q.basis, first=q.first, last=q.last,
        area=scope.prefix, area_name=domain.area_name(scope.prefix),
        filters_zh=domain.filters_zh(q.industry, q.entity_type, q.size_band, bands),
        columns=[PivotHeader(key=c.key, label=c.label, total=total, entities_url=url((q.columns, c.key)))
                 for c, total in zip(table.columns, table.column_totals, strict=True)],
        rows=[PivotRow(key=r.key, label=r.label, total=total, entities_url=url((q.rows, r.key)),
                       cells=[PivotCell(value=v, entities_url=url((q.rows, r.key), (q.columns, c.key)))
                              for c, v in zip(table.columns, values, strict=True)])
              for r, values, total in zip(table.rows, table.cells, table.row_totals, strict=True)],
        total=table.total, entities_url=url(),
    )


def title(found: Pivot) -> str:
    """What an export is of: area, months, measure, dimensions, filters and basis."""
    months = found.first if found.first == found.last else f"{found.first} 至 {found.last}"
    by = found.rows_dimension_zh + (f" × {found.columns_dimension_zh}" if found.columns_dimension_zh else "")
    at_end = found.measure is Measure.REGISTERED and not domain.by_month(found.rows_dimension, found.columns_dimension)
    measure = found.measure_zh + (f"（{found.last} 月末）" if at_end else "")
    return (f"企业信息多维分析 · {found.area_name} · {months} · {measure} · 按{by} · "
            f"筛选：{found.filters_zh} · {BASIS_ZH[found.basis]}")


def _lines(found: Pivot) -> tuple[list[str], list[list]]:
    """The table as an export lays it out: headers, then a line per row and the 合计 line."""
    headers = [found.rows_dimension_zh, *(c.label for c in found.columns)] + (["合计"] if found.columns_dimension else [])
    with_total = lambda label, values, total: [label, *values] + ([total] if found.columns_dimension else [])  # noqa: E731
    lines = [with_total(r.label, [c.value for c in r.cells], r.total) for r in found.rows]
    lines.append(with_total("合计", [c.total for c in found.columns], found.total))
    return headers, lines


def _file_name(found: Pivot, suffix: str) -> dict[str, str]:
    name = f"企业信息多维分析-{found.area or '全市'}-{found.first}-{found.last}.{suffix}"
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


def workbook(found: Pivot) -> bytes:
    """The pivot in the house style (shared/workbooks.py): title, Chinese headers, numbers as numbers."""
    headers, lines = _lines(found)
    number = _FORMATS[found.measure]
    columns = [Column(headers[0], lambda line: line[0], TEXT, 22)] + [
        Column(header, lambda line, i=i: line[i], number, 16) for i, header in enumerate(headers[1:], 1)]
    book = new_workbook()
    write_sheet(book, "多维分析", title(found), columns, lines)
    return saved(book)


def comma_separated(found: Pivot) -> bytes:
    """The pivot as CSV in UTF-8 with a BOM (so Excel reads the Chinese): the title line, headers, lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    headers, lines = _lines(found)
    writer.writerow([title(found)])
    writer.writerow(headers)
    writer.writerows([[("" if v is None else f"{v:g}" if isinstance(v, float) else v) for v in line] for line in lines])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@cached(reads=(FIGURES, ALERTS))
async def read_pivot_file(
    service: Service, principal: Principal, paths: Mapping[domain.Listing, str], q: PivotQuery, form: str
) -> tuple[dict[str, str], bytes]:
    """The pivot as a file (`form`: xlsx or csv), with its Content-Disposition header."""
    found = await read_pivot(service, principal, paths, q)
    return _file_name(found, form), await written_aside(workbook, found) if form == "xlsx" else comma_separated(found)


Asked = Annotated[PivotQuery, Depends()]


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["analyses"], responses=error_responses(401, 403, 404, 422, 503))

    def paths(request: Request) -> dict[domain.Listing, str]:
        return {listing: request.url_for(f"list_{listing.value}").path for listing in domain.Listing}

    @api.get("/pivot", response_model=Pivot, name="get_pivot", dependencies=[known_filters(*FILTERS)])
    async def get_pivot(request: Request, principal: Reader, q: Asked) -> Pivot:
        """企业信息多维分析: the caller's area's entities with a figure, their power or their tax over the
        months from `from` to `to` — or its registered entities active at the months' end, or its alerts
        of the months — by county, township, 门类, entity type, 规模档 (注册资本) or month in rows and
        optionally columns, filtered by each; with row, column and grand totals and, for every cell and
        total, the list behind it (entities, 登记名录 or alerts). At most 2000 cells (422 beyond)."""
        return await read_pivot(service, principal, paths(request), q)

    @api.get("/pivot.xlsx", name="get_pivot_xlsx", dependencies=[known_filters(*FILTERS)],
             responses={200: {"content": {XLSX: {}}, "description": "the pivot as a workbook"}})
    async def get_pivot_xlsx(request: Request, principal: Reader, q: Asked) -> Response:
        """The pivot as an .xlsx workbook: a title line with the filters, Chinese headers, figures as numbers."""
        headers, content = await read_pivot_file(service, principal, paths(request), q, "xlsx")
        return Response(content, media_type=XLSX, headers=headers)

    @api.get("/pivot.csv", name="get_pivot_csv", dependencies=[known_filters(*FILTERS)],
             responses={200: {"content": {"text/csv": {}}, "description": "the pivot as CSV (UTF-8 with BOM)"}})
    async def get_pivot_csv(request: Request, principal: Reader, q: Asked) -> Response:
        """The pivot as CSV (UTF-8 with a BOM, so Excel opens the Chinese): the title line, headers, a line per row, 合计."""
        headers, content = await read_pivot_file(service, principal, paths(request), q, "csv")
        return Response(content, media_type="text/csv; charset=utf-8", headers=headers)

    return api
