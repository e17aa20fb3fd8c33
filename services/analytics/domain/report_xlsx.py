"""The monthly township report as the workbook a township files upward: one sheet per part of the
report (概况, 近13个月, 登记与关联, 行业, 预警处置, 待走访主体, 梁柱企业, 待办结预警), each with a title row saying
which township and month, as of when and on which basis, Chinese headers, figures as numbers.

`report` is the report as the API answers it (api/report.py TownshipReport): any object with its
attributes; this module only lays it out (shared/workbooks.py's house style)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.workbooks import AMOUNT, COUNT, HOURS, MONEY, PERCENT, TEXT, Column, new_workbook, saved, write_sheet
from shared.working_days import LOCAL_TZ

BASIS_ZH = {"restated": "现值（含更正和补报）", "reported": "月末口径"}


def _key(name: str, header: str, number_format: str | Callable[[Any], str], width: int = 12) -> Column:
    return Column(header, lambda row: row[name] if isinstance(row, dict) else getattr(row, name), number_format, width)


def _count_or_money(row: dict) -> str:
    """概况's figures: the entity count a whole number, tax and power as amounts."""
    return COUNT if row["unit"] == "户" else MONEY


_SUMMARY = (
    _key("label", "指标", TEXT, 16), _key("unit", "单位", TEXT, 8), _key("now", "本月", _count_or_money, 16),
    _key("before", "上月", _count_or_money, 16), _key("mom", "环比", PERCENT, 10), _key("year", "去年同月", _count_or_money, 16),
    _key("yoy", "同比", PERCENT, 10),
)
_TREND = (_key("period", "月份", TEXT, 10), _key("entities", "有数据主体", COUNT, 12), _key("tax", "纳税（元）", MONEY, 16),
          _key("kwh", "用电（千瓦时）", AMOUNT, 16))
_LINKAGE = (_key("label", "指标", TEXT, 20), _key("value", "数值", COUNT, 12), _key("share", "占部门记录比重", PERCENT, 14))
_INDUSTRIES = (
    _key("industry", "门类代码", TEXT, 10), _key("industry_name", "门类", TEXT, 24), _key("entities", "主体数", COUNT, 8),
    _key("tax", "纳税（元）", MONEY, 16), _key("tax_mom_pct", "纳税环比", PERCENT, 10), _key("tax_yoy_pct", "纳税同比", PERCENT, 10),
    _key("tax_share_pct", "纳税占比", PERCENT, 10), _key("kwh", "用电（千瓦时）", AMOUNT, 16),
    _key("kwh_mom_pct", "用电环比", PERCENT, 10), _key("kwh_yoy_pct", "用电同比", PERCENT, 10), _key("kwh_share_pct", "用电占比", PERCENT, 10),
)
_HANDLING = (
    _key("rule_zh", "预警规则", TEXT, 16), _key("total", "预警数", COUNT, 8), _key("open", "待签收", COUNT, 8),
    _key("acknowledged", "已签收", COUNT, 8), _key("resolved", "已办结", COUNT, 8), _key("overdue", "逾期", COUNT, 8),
    _key("withdrawn", "已撤销", COUNT, 8), _key("resolved_pct", "办结率", PERCENT, 8),
    _key("hours_to_acknowledge", "签收用时中位数(小时)", HOURS, 14), _key("hours_to_resolve", "办结用时中位数(小时)", HOURS, 14),
)
_VISITS = (
    _key("number", "序号", COUNT, 6), _key("uscc", "统一社会信用代码", TEXT, 22), _key("name", "主体名称", TEXT, 30),
    _key("reasons", "走访原因", TEXT, 60),
)
_PILLARS = (
    _key("uscc", "统一社会信用代码", TEXT, 22), _key("name", "主体名称", TEXT, 30), _key("industry", "门类", TEXT, 6),
    _key("tax_rank", "纳税排名", COUNT, 8), _key("kwh_rank", "用电排名", COUNT, 8),
    _key("tax", "本月纳税（元）", MONEY, 16), _key("tax_before", "上月纳税（元）", MONEY, 16), _key("tax_change_pct", "纳税环比", PERCENT, 10),
    _key("kwh", "本月用电（千瓦时）", AMOUNT, 16), _key("kwh_before", "上月用电（千瓦时）", AMOUNT, 16),
    _key("kwh_change_pct", "用电环比", PERCENT, 10),
)
_PENDING = (
    _key("rule_zh", "预警规则", TEXT, 14), _key("uscc", "统一社会信用代码", TEXT, 22), _key("entity_name", "主体名称", TEXT, 30),
    _key("period", "所属期", TEXT, 10), _key("state_zh", "处置状态", TEXT, 10), _key("overdue_zh", "逾期", TEXT, 6),
    _key("detected", "预警时间", TEXT, 18), _key("message_zh", "预警说明", TEXT, 60),
)


def report_workbook(report: Any) -> bytes:
    """The .xlsx file's bytes."""
    year, month = report.period.split("-")
    made = report.generated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    title = (f"{report.division_name}{report.township_name} {year}年{int(month)}月数据分析报告"
             f"（{BASIS_ZH.get(str(report.basis), str(report.basis))}，生成时间 {made}）")
    workbook = new_workbook()
    for name, columns, rows in (
        ("概况", _SUMMARY, _summary(report)),
        ("近13个月", _TREND, report.trend),
        ("登记与关联", _LINKAGE, _linkage(report)),
        ("行业", _INDUSTRIES, report.industries),
        ("预警处置", _HANDLING, [*report.alerts.by_rule, {**report.alerts.totals.model_dump(), "rule_zh": "合计"}]),
        ("待走访主体", _VISITS, [{"number": i, "uscc": v.uscc, "name": v.name, "reasons": "；".join(v.reasons)}
                              for i, v in enumerate(report.visits, 1)]),
        ("梁柱企业", _PILLARS, report.pillars.pillars),
        ("待办结预警", _PENDING, [{**a.model_dump(), "overdue_zh": "是" if a.overdue else "否",
                               "detected": a.detected_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if a.detected_at else None}
                              for a in report.pending_alerts]),
    ):
        write_sheet(workbook, name, f"{title} · {name}", columns, rows)
    return saved(workbook)


def _summary(report: Any) -> list[dict]:
    f = report.figures
    return [
        {"label": "有用电或纳税的主体", "unit": "户", "now": f.entities, "before": f.entities_before, "mom": None, "year": None, "yoy": None},
        {"label": "纳税", "unit": "元", "now": f.tax, "before": f.tax_before, "mom": f.tax_mom_pct, "year": f.tax_year_before,
         "yoy": f.tax_yoy_pct},
        {"label": "用电", "unit": "千瓦时", "now": f.kwh, "before": f.kwh_before, "mom": f.kwh_mom_pct, "year": f.kwh_year_before,
         "yoy": f.kwh_yoy_pct},
    ]


def _linkage(report: Any) -> list[dict]:
    r, k = report.registered, report.linkage
    return [
        {"label": "登记主体", "value": r.total, "share": None},
        *({"label": f"其中：{status}", "value": n, "share": None} for status, n in r.by_status_zh.items()),
        {"label": "本月新设立", "value": r.established, "share": None},
        {"label": "本月注销", "value": r.deregistered, "share": None},
        {"label": "本月吊销", "value": r.revoked, "share": None},
        {"label": "本月净增", "value": r.net_growth, "share": None},
        {"label": "部门记录（不含登记）", "value": k.records, "share": None},
        {"label": "已关联到主体", "value": k.linked, "share": k.linked_pct},
        {"label": "未能关联", "value": k.unlinked, "share": k.unlinked_pct},
        {"label": "待关联", "value": k.pending, "share": None},
    ]
