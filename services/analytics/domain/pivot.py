"""企业信息多维分析 (#4): a pivot of the entity-months — rows by one dimension, columns by an
optional second — of one measure, with row, column and grand totals.

Dimensions: 县区, 乡镇（街道）, 行业门类, 市场主体类型, 规模档 (domain/size_bands.py), 月份. Each
entity-month has exactly one value of each, so a cell's entities are a part of its row's and its
column's. Measures: the entities with a figure (counted once however many months of the range
they have figures in: a total is not the sum of its cells), their power and their tax (sums); the
entities registered and active at a month's end (登记在业主体, domain/development.py's rule: a stock,
so with 月份 a dimension each month's end, else the last month's, and a total over months is the last
month's, not their sum); the alerts counted in the months (预警, not withdrawn, as 经济管理监管分析
counts them: in their township, by their entity's 门类, type and 规模档; sums).

Each measure drills to the list behind it: the entity list (with figures), the registration list
(登记名录, active at the month's end) or the alert list.

The database answers the cells and every total in one aggregate (GROUPING SETS); this module
puts them in order, names them in Chinese and says which filters each cell's entity list takes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.reference import DIVISIONS, ENTITY_TYPE_NAMES, TOWNSHIPS, UNKNOWN_ENTITY_TYPE, entity_type_name

from services.analytics.domain.months import SECTION_NAMES, UNKNOWN_SECTION, UNKNOWN_SECTION_NAME, months_between
from services.analytics.domain.size_bands import SizeBands

MAX_CELLS = 2000  # rows × columns a pivot may have (the city's townships × 门类 fit)


class Dimension(enum.StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    INDUSTRY = "industry"
    ENTITY_TYPE = "entity_type"
    SIZE_BAND = "size_band"
    PERIOD = "period"


class Measure(enum.StrEnum):
    ENTITIES = "entities"
    KWH = "kwh"
    TAX = "tax"
    REGISTERED = "registered"
    ALERTS = "alerts"


class Listing(enum.StrEnum):
    """The list a measure's figures drill to."""

    ENTITIES = "entities"  # /v1/entities: the entities with figures
    REGISTRATIONS = "registrations"  # /v1/registrations: 登记名录
    ALERTS = "alerts"  # /v1/alerts


LISTING = {Measure.REGISTERED: Listing.REGISTRATIONS, Measure.ALERTS: Listing.ALERTS}  # the others: ENTITIES


DIMENSION_ZH = {Dimension.COUNTY: "县（市、区）", Dimension.TOWNSHIP: "乡镇（街道）", Dimension.INDUSTRY: "行业门类",
                Dimension.ENTITY_TYPE: "主体类型", Dimension.SIZE_BAND: "规模档（注册资本）", Dimension.PERIOD: "月份"}
MEASURE_ZH = {Measure.ENTITIES: "有数据主体数", Measure.KWH: "用电量（千瓦时）", Measure.TAX: "纳税额（元）",
              Measure.REGISTERED: "登记在业主体数", Measure.ALERTS: "预警数"}
ENTITY_TYPES = [*ENTITY_TYPE_NAMES, UNKNOWN_ENTITY_TYPE]
INDUSTRIES = [*sorted(SECTION_NAMES), UNKNOWN_SECTION]


def values(dimension: Dimension, prefix: str, first: str, last: str, bands: SizeBands) -> list[str]:
    """Every value the dimension can take in the area and months, in the order a table shows them."""
    return {
        Dimension.COUNTY: lambda: [prefix[:6]] if prefix else sorted(DIVISIONS),
        Dimension.TOWNSHIP: lambda: [c for c in sorted(TOWNSHIPS) if c.startswith(prefix)],
        Dimension.INDUSTRY: lambda: INDUSTRIES,
        Dimension.ENTITY_TYPE: lambda: ENTITY_TYPES,
        Dimension.SIZE_BAND: lambda: bands.codes,
        Dimension.PERIOD: lambda: months_between(first, last),
    }[dimension]()


def label(dimension: Dimension, key: str, bands: SizeBands | None = None) -> str:
    """A dimension's value as people read it."""
    if dimension is Dimension.COUNTY:
        return DIVISIONS.get(key, key)
    if dimension is Dimension.TOWNSHIP:
        return TOWNSHIPS[key].name if key in TOWNSHIPS else key
    if dimension is Dimension.INDUSTRY:
        return UNKNOWN_SECTION_NAME if key == UNKNOWN_SECTION else f"{key} {SECTION_NAMES.get(key, '')}".strip()
    if dimension is Dimension.ENTITY_TYPE:
        return entity_type_name(key)
    if dimension is Dimension.SIZE_BAND and bands is not None:
        return bands.name(key)
    return key


def area_name(prefix: str) -> str:
    """The area a township code prefix names: the city, a county or a township."""
    if not prefix:
        return "揭阳市"
    return label(Dimension.COUNTY, prefix) if len(prefix) == 6 else f"{DIVISIONS.get(prefix[:6], '')}{label(Dimension.TOWNSHIP, prefix)}"


def filters_zh(industry: str | None, entity_type: str | None, size_band: str | None, bands: SizeBands) -> str:
    """The filters in words (an export's title says what it is of); 无 without any."""
    picked = [label(d, key, bands) for d, key in
              ((Dimension.INDUSTRY, industry), (Dimension.ENTITY_TYPE, entity_type), (Dimension.SIZE_BAND, size_band)) if key]
    return "、".join(picked) or "无"


def by_month(rows: Dimension, columns: Dimension | None) -> bool:
    return Dimension.PERIOD in (rows, columns)


def counted_months(measure: Measure, rows: Dimension, columns: Dimension | None, first: str, last: str) -> list[str]:
    """The months at whose end 登记在业主体 is counted: each month by 月份, else the range's last."""
    if measure is not Measure.REGISTERED:
        return []
    return months_between(first, last) if by_month(rows, columns) else [last]


def note(measure: Measure, rows: Dimension, columns: Dimension | None, first: str, last: str) -> str:
    """What the figures count, in words (the page and the API say it under the title)."""
    if measure is Measure.REGISTERED:
        when = "各月末" if by_month(rows, columns) else f"{last} 月末"
        return (f"登记在业主体：{when}登记存续（已成立、未注销或吊销）的主体，与区域企业发展概况同一口径；"
                f"{'跨月份的合计为最后一个月末的数，不是各月之和；' if by_month(rows, columns) else ''}不分用电、纳税口径。")
    if measure is Measure.ALERTS:
        return "预警：计入所选月份的预警（不含已撤销），按预警所属乡镇（街道）及其主体的门类、类型、规模档；不分用电、纳税口径。"
    if measure is Measure.ENTITIES:
        return "有数据主体：所选月份有用电或纳税数据的主体，合计中每个主体只计一次（不是各格之和）。"
    return f"{MEASURE_ZH[measure]}：所选月份{'' if first == last else '之'}和。"


def at_month_end(found: Iterable[tuple[str | None, str | None, float | None]], rows: Dimension, columns: Dimension | None,
                 last: str) -> list[tuple[str | None, str | None, float | None]]:
    """登记在业主体 by 月份: a total over the months is the count at the last month's end (a stock is
    not summed over time); the aggregate's totals over the other dimension are sums and stand."""
    found = list(found)
    if not by_month(rows, columns):
        return found
    by = {(r, c): v for r, c, v in found}
    if rows is Dimension.PERIOD:
        return [(r, c, by.get((last, c)) if r is None else v) for r, c, v in found]
    return [(r, c, by.get((r, last)) if c is None else v) for r, c, v in found]


def drill_range(measure: Measure, first: str, last: str) -> dict[str, str]:
    """The months of the list behind a total: the entities with figures in any month of the range,
    the registrations active at its last month's end, the alerts counted in it."""
    listing = LISTING.get(measure, Listing.ENTITIES)
    if listing is Listing.REGISTRATIONS:
        return {"event": "active", "month": last}
    if listing is Listing.ALERTS:
        return {"from": first, "to": last}
    return {"period": first, "to": last}


def drill_filters(dimension: Dimension, key: str, measure: Measure = Measure.ENTITIES) -> dict[str, str]:
    """The list's filter that picks a dimension's value (a month: that month alone)."""
    if dimension in (Dimension.COUNTY, Dimension.TOWNSHIP):
        return {"area": key}
    if dimension is Dimension.PERIOD:
        return {k: key for k in drill_range(measure, key, key) if k != "event"}
    return {dimension.value: key}


@dataclass(frozen=True)
class Header:
    key: str
    label: str


@dataclass
class Table:
    """The pivot in order: `cells[i][j]` is row i × column j (None: no entity there), `row_totals[i]`
    across the columns, `column_totals[j]` down the rows, `total` of everything."""

    rows: list[Header]
    columns: list[Header]
    cells: list[list[float | None]]
    row_totals: list[float | None]
    column_totals: list[float | None]
    total: float | None


@dataclass(frozen=True)
class Scope:
    """Which entity-months a pivot (and the entity list behind a cell) reads: the area (a township
    code prefix), the months from `first` to `last`, and the filters (None: all)."""

    prefix: str
    first: str
    last: str
    industry: str | None = None
    entity_type: str | None = None
    size_band: str | None = None


ALL = ""  # the one column of a pivot without a column dimension (its cells are the rows' totals)


def cell_count(rows: Dimension, columns: Dimension | None, prefix: str, first: str, last: str, bands: SizeBands) -> int:
    """How many cells the pivot may have at most (before asking the database)."""
    n = len(values(rows, prefix, first, last, bands))
    return n * (len(values(columns, prefix, first, last, bands)) if columns else 1)


def table(
    found: Iterable[tuple[str | None, str | None, float | None]], rows: Dimension, columns: Dimension | None,
    prefix: str, first: str, last: str, bands: SizeBands,
) -> Table:
    """The pivot from the aggregate's rows (row key, column key, value); a None key is a total over it
    (so (None, None) is the grand total). Only rows and columns with some entity are kept."""
    by: Mapping[tuple[str | None, str | None], float | None] = {(r, c): v for r, c, v in found}
    present_rows = {r for r, _ in by if r is not None}
    present_columns = {c for _, c in by if c is not None}
    row_keys = [k for k in values(rows, prefix, first, last, bands) if k in present_rows]
    row_keys += sorted(present_rows - set(row_keys))  # a value the reference lists do not know
    if columns is None:
        column_keys = [ALL] if row_keys else []
    else:
        column_keys = [k for k in values(columns, prefix, first, last, bands) if k in present_columns]
        column_keys += sorted(present_columns - set(column_keys))
    return Table(
        rows=[Header(k, label(rows, k, bands)) for k in row_keys],
        columns=[Header(k, label(columns, k, bands) if columns else "合计") for k in column_keys],
        cells=[[by.get((r, c if columns else None)) for c in column_keys] for r in row_keys],
        row_totals=[by.get((r, None)) for r in row_keys],
        column_totals=[by.get((None, c if columns else None)) for c in column_keys],
        total=by.get((None, None)),
    )
