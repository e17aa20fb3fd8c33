"""The month's 效能监测 as the workbook a 督查组 files: one sheet per level (乡镇, 县区, 全市) and one
for the departments asked to correct data (部门更正), a
title row saying which month, as of when and when it was made, Chinese headers, rates as
percentages. Figures are left as numbers (empty where there is none) so the 督查组 can sort,
filter and recheck them in Excel."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.feedback.domain.assessment import Assessment
from shared.reference import DIVISIONS, department_name, township
from shared.working_days import LOCAL_TZ

_COUNT, _RATE, _HOURS, _TEXT = "0", "0.0%", "0.0", "@"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class _Column:
    header: str
    value: Callable[[Any], object]  # the row's cell
    number_format: str
    width: int


def _figure(name: str, header: str, number_format: str, width: int = 12) -> _Column:
    return _Column(header, lambda row: getattr(row.figures, name), number_format, width)


_FIGURES = (
    _figure("received", "接收数", _COUNT, 8),
    _figure("acknowledge_judged", "签收考核数", _COUNT),
    _figure("acknowledged_on_time", "按时签收数", _COUNT),
    _figure("acknowledged_on_time_rate", "按时签收率", _RATE),
    _figure("resolve_judged", "办结考核数", _COUNT),
    _figure("resolved_on_time", "按时办结数", _COUNT),
    _figure("resolved_on_time_rate", "按时办结率", _RATE),
    _figure("overdue", "当前超期数", _COUNT),
    _figure("returned", "复核退回数", _COUNT),
    _figure("refired", "办结后3个月内再次预警数", _COUNT, 16),
    _figure("acknowledge_median_hours", "签收用时中位数(小时)", _HOURS, 14),
    _figure("acknowledge_p90_hours", "签收用时P90(小时)", _HOURS, 14),
    _figure("resolve_median_hours", "办结用时中位数(小时)", _HOURS, 14),
    _figure("resolve_p90_hours", "办结用时P90(小时)", _HOURS, 14),
)
_TOWNSHIP_COLUMNS = (
    _Column("乡镇代码", lambda row: row.code, _TEXT, 12),
    _Column("乡镇名称", lambda row: _township_name(row.code), _TEXT, 14),
    _Column("所属县区", lambda row: DIVISIONS.get(row.division_code, row.division_code), _TEXT, 10),
    *_FIGURES,
    _Column("县内排名", lambda row: row.rank_in_county, _COUNT, 8),
)
_COUNTY_COLUMNS = (
    _Column("县区代码", lambda row: row.division_code, _TEXT, 10),
    _Column("县区名称", lambda row: DIVISIONS.get(row.division_code, row.division_code), _TEXT, 10),
    *_FIGURES,
    _Column("市内排名", lambda row: row.rank_in_city, _COUNT, 8),
)
_CITY_COLUMNS = (_Column("市代码", lambda row: row.city_code, _TEXT, 10), *_FIGURES)
_DEPARTMENT_COLUMNS = (
    _Column("部门代码", lambda row: row.department, _TEXT, 18),
    _Column("部门", lambda row: department_name(row.department), _TEXT, 10),
    _Column("请求更正数", lambda row: row.asked, _COUNT, 10),
    _Column("已重新报送数", lambda row: row.answered, _COUNT, 12),
    _Column("待更正数", lambda row: row.open_now, _COUNT, 10),
    _Column("更正用时中位数(小时)", lambda row: row.answer_median_hours, _HOURS, 14),
    _Column("更正用时P90(小时)", lambda row: row.answer_p90_hours, _HOURS, 14),
    _Column("最久待更正(小时)", lambda row: row.oldest_open_hours, _HOURS, 14),
)


def assessment_workbook(assessment: Assessment, generated_at: datetime) -> bytes:
    """The .xlsx file's bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    year, month = assessment.month.split("-")
    title = (f"{year}年{int(month)}月 乡镇效能监测"
             f"（数据截至 {_local(assessment.as_of)}，生成时间 {_local(generated_at)}）")
    for name, columns, rows in (
        ("乡镇", _TOWNSHIP_COLUMNS, assessment.townships),
        ("县区", _COUNTY_COLUMNS, assessment.counties),
        ("全市", _CITY_COLUMNS, (assessment.city,) if assessment.city else ()),
        ("部门更正", _DEPARTMENT_COLUMNS, assessment.departments),
    ):
        if not rows and name not in ("乡镇", "部门更正"):
            continue  # a township's or county's own cut has no city (or county) sheet to show
        _sheet(workbook.create_sheet(name), f"{title} · {name}", columns, rows)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet(sheet: Worksheet, title: str, columns: tuple[_Column, ...], rows: Sequence[Any]) -> None:
    """Row 1 the title, row 2 the headers (frozen, filterable), then one row per area."""
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, 1):
        header = sheet.cell(row=2, column=index)
        header.font = Font(bold=True)
        header.fill = _HEADER_FILL
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row in rows:
        sheet.append([column.value(row) for column in columns])
        for cell, column in zip(sheet[sheet.max_row], columns, strict=True):
            cell.number_format = column.number_format
    sheet.row_dimensions[2].height = 32
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{sheet.max_row}"


def _township_name(code: str) -> str:
    known = township(code)
    return known.name if known else ""


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")

