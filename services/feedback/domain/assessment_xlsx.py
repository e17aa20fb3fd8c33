"""The month's 效能监测 as the workbook a 督查组 files: one sheet per level (乡镇, 县区, 全市) and one
for the departments asked to correct data (部门更正), a
title row saying which month, as of when and when it was made, Chinese headers, rates as
percentages. Figures are left as numbers (empty where there is none) so the 督查组 can sort,
filter and recheck them in Excel."""

from __future__ import annotations

from datetime import datetime

from services.feedback.domain.assessment import Assessment
from shared.reference import DIVISIONS, department_name, township
from shared.workbooks import COUNT, HOURS, RATE, TEXT, Column, new_workbook, saved, write_sheet
from shared.working_days import LOCAL_TZ


def _figure(name: str, header: str, number_format: str, width: int = 12) -> Column:
    return Column(header, lambda row: getattr(row.figures, name), number_format, width)


_FIGURES = (
    _figure("received", "接收数", COUNT, 8),
    _figure("acknowledge_judged", "签收考核数", COUNT),
    _figure("acknowledged_on_time", "按时签收数", COUNT),
    _figure("acknowledged_on_time_rate", "按时签收率", RATE),
    _figure("resolve_judged", "办结考核数", COUNT),
    _figure("resolved_on_time", "按时办结数", COUNT),
    _figure("resolved_on_time_rate", "按时办结率", RATE),
    _figure("overdue", "当前超期数", COUNT),
    _figure("returned", "复核退回数", COUNT),
    _figure("refired", "办结后3个月内再次预警数", COUNT, 16),
    _figure("acknowledge_median_hours", "签收用时中位数(小时)", HOURS, 14),
    _figure("acknowledge_p90_hours", "签收用时P90(小时)", HOURS, 14),
    _figure("resolve_median_hours", "办结用时中位数(小时)", HOURS, 14),
    _figure("resolve_p90_hours", "办结用时P90(小时)", HOURS, 14),
)
_TOWNSHIP_COLUMNS = (
    Column("乡镇代码", lambda row: row.code, TEXT, 12),
    Column("乡镇名称", lambda row: _township_name(row.code), TEXT, 14),
    Column("所属县区", lambda row: DIVISIONS.get(row.division_code, row.division_code), TEXT, 10),
    *_FIGURES,
    Column("县内排名", lambda row: row.rank_in_county, COUNT, 8),
)
COUNTY_COLUMNS = (
    Column("县区代码", lambda row: row.division_code, TEXT, 10),
    Column("县区名称", lambda row: DIVISIONS.get(row.division_code, row.division_code), TEXT, 10),
    *_FIGURES,
    Column("市内排名", lambda row: row.rank_in_city, COUNT, 8),
)
_CITY_COLUMNS = (Column("市代码", lambda row: row.city_code, TEXT, 10), *_FIGURES)
_DEPARTMENT_COLUMNS = (
    Column("部门代码", lambda row: row.department, TEXT, 18),
    Column("部门", lambda row: department_name(row.department), TEXT, 10),
    Column("请求更正数", lambda row: row.asked, COUNT, 10),
    Column("已重新报送数", lambda row: row.answered, COUNT, 12),
    Column("待更正数", lambda row: row.open_now, COUNT, 10),
    Column("更正用时中位数(小时)", lambda row: row.answer_median_hours, HOURS, 14),
    Column("更正用时P90(小时)", lambda row: row.answer_p90_hours, HOURS, 14),
    Column("最久待更正(小时)", lambda row: row.oldest_open_hours, HOURS, 14),
)


def assessment_workbook(assessment: Assessment, generated_at: datetime) -> bytes:
    """The .xlsx file's bytes."""
    workbook = new_workbook()
    year, month = assessment.month.split("-")
    title = (f"{year}年{int(month)}月 乡镇效能监测"
             f"（数据截至 {_local(assessment.as_of)}，生成时间 {_local(generated_at)}）")
    for name, columns, rows in (
        ("乡镇", _TOWNSHIP_COLUMNS, assessment.townships),
        ("县区", COUNTY_COLUMNS, assessment.counties),
        ("全市", _CITY_COLUMNS, (assessment.city,) if assessment.city else ()),
        ("部门更正", _DEPARTMENT_COLUMNS, assessment.departments),
    ):
        if not rows and name not in ("乡镇", "部门更正"):
            continue  # a township's or county's own cut has no city (or county) sheet to show
        write_sheet(workbook, name, f"{title} · {name}", columns, rows)
    return saved(workbook)


def _township_name(code: str) -> str:
    known = township(code)
    return known.name if known else ""


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")

