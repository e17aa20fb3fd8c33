"""The monthly township report's arithmetic and assembly (services/analytics/domain/report.py) and
its workbook, on hand-made figures."""

import io
from datetime import UTC, datetime
from types import SimpleNamespace

from openpyxl import load_workbook

from services.analytics.domain import report
from services.analytics.domain.industries import Cell
from services.analytics.domain.overview import TownshipFigures
from services.analytics.domain.report_xlsx import report_workbook


def test_the_headline_compares_with_the_month_and_the_year_before():
    cells = {("C", "2026-11"): Cell(2, 52000.0, 2600.0), ("F", "2026-11"): Cell(1, 3000.0, 300.0),
             ("C", "2026-10"): Cell(1, 40000.0, 2000.0), ("C", "2025-11"): Cell(1, 50000.0, None)}
    h = report.headline(report.month_totals(cells), "2026-11")
    assert (h.entities, h.entities_before, h.tax, h.tax_before, h.kwh, h.kwh_before) == (3, 1, 2900.0, 2000.0, 55000.0, 40000.0)
    assert (h.tax_mom_pct, h.kwh_mom_pct, h.kwh_yoy_pct) == (45.0, 37.5, 10.0)
    assert h.tax_yoy_pct is None and h.tax_year_before is None  # no tax a year before: unknown, not +∞ or 0


def test_a_month_without_figures_is_no_figures():
    h = report.headline({}, "2026-01")
    assert (h.entities, h.tax, h.kwh, h.tax_mom_pct, h.kwh_yoy_pct) == (0, None, None, None, None)


def test_the_trend_is_the_thirteen_months_up_to_the_month_oldest_first_gaps_kept():
    cells = {("C", "2026-11"): Cell(2, 52000.0, 2600.0), ("F", "2026-11"): Cell(1, 3000.0, None),
             ("C", "2025-11"): Cell(1, 50000.0, 1000.0), ("C", "2025-10"): Cell(1, 1.0, 1.0)}
    months = report.trend(report.month_totals(cells), "2026-11")
    assert [p for p, _ in months] == report.trend_months("2026-11") and len(months) == 13
    assert months[0] == ("2025-11", Cell(1, 50000.0, 1000.0))  # last year's month beside this one; 2025-10 is not shown
    assert months[-1] == ("2026-11", Cell(3, 55000.0, 2600.0))
    assert months[6] == ("2026-05", Cell(0, None, None))  # a month without figures has none, not zero
    assert report.trend_months("2026-02")[:2] == ["2025-02", "2025-03"]


def test_linkage_shares_are_of_all_records_and_pending_is_the_rest():
    k = report.linkage(TownshipFigures(entities=5, records=40, matched_records=30, unmatched_records=6))
    assert (k.linked, k.unlinked, k.pending, k.linked_pct, k.unlinked_pct) == (30, 6, 4, 75.0, 15.0)
    empty = report.linkage(TownshipFigures())
    assert (empty.linked_pct, empty.unlinked_pct) == (None, None)


def _candidate(uscc, tax, tax_before, kwh, kwh_before):
    return {"uscc": uscc, "name": f"主体{uscc}", "industry": "C", "tax": tax, "tax_before": tax_before, "kwh": kwh, "kwh_before": kwh_before}


def test_pillars_are_the_top_taxpayers_and_power_users_biggest_move_first():
    candidates = [
        _candidate("A", 10000.0, 10000.0, 100.0, 100.0),  # largest taxpayer, did not move
        _candidate("B", 5000.0, 10000.0, None, None),  # second taxpayer, tax halved
        _candidate("C", 100.0, 100.0, 90000.0, 60000.0),  # largest power user, +50 %
        _candidate("D", None, 800.0, 50000.0, 50000.0),  # second power user; its tax stopped: −100 %
        _candidate("E", 50.0, 10.0, 10.0, 10.0),  # in neither top 2
    ]
    rows = report.pillars(candidates, 2)
    assert [(p.uscc, p.tax_rank, p.kwh_rank, p.moved_pct) for p in rows] == [
        ("D", None, 2, -100.0), ("C", None, 1, 50.0), ("B", 2, None, -50.0), ("A", 1, None, 0.0)]  # a tie: the larger first
    assert rows[0].fell(30.0) == ["tax"] and rows[1].fell(30.0) == [] and rows[2].fell(30.0) == ["tax"]


def test_an_entity_with_no_base_month_has_no_move_and_comes_last():
    rows = report.pillars([_candidate("N", 100.0, None, 10.0, None), _candidate("M", 200.0, 190.0, 5.0, 5.0)], 5)
    assert [(p.uscc, p.moved_pct) for p in rows] == [("M", 5.3), ("N", None)]


def test_the_entities_to_visit_carry_every_reason_most_reasons_first():
    pillars = report.pillars([_candidate("P", 1000.0, 2000.0, 10.0, 10.0), _candidate("Q", 900.0, 1000.0, 10.0, 10.0)], 5)
    visits = report.to_visit(
        pending_alerts=[{"uscc": "S", "name": "甲商行", "rule_zh": "用电无税", "state_zh": "待签收", "period": "2026-10"},
                        {"uscc": "P", "name": "主体P", "rule_zh": "税电比异常", "state_zh": "已签收", "period": "2026-11"}],
        suspended=[{"uscc": "Z", "name": "乙商贸", "months": 6.0, "from_period": "2026-06"}],
        pillar_rows=pillars,
        movers=[{"uscc": "P", "name": "主体P", "measure": "tax", "now": 1000.0, "before": 2000.0, "pct": -50.0},
                {"uscc": "R", "name": "丙厂", "measure": "kwh", "now": 5000.0, "before": 1000.0, "pct": 400.0},  # rose: no reason
                {"uscc": "T", "name": "丁厂", "measure": "kwh", "now": None, "before": 800.0, "pct": None},
                {"uscc": "U", "name": "戊厂", "measure": "kwh", "now": 800.0, "before": None, "pct": None}],  # a newcomer
    )
    assert [(v.uscc, [r.kind for r in v.reasons]) for v in visits] == [
        ("P", ["alert", "pillar_fell", "mover_fell"]), ("S", ["alert"]), ("Z", ["suspended"]), ("T", ["mover_fell"])]
    assert [r.text for r in visits[0].reasons] == [
        "税电比异常预警已签收（2026-11）", "梁柱企业纳税环比 -50.0%", "变动最大：纳税环比减少 1,000（-50.0%）"]
    assert visits[2].reasons[0].text == "长期停业：连续 6 个月无用电或纳税，自 2026-06 起"
    assert visits[3].reasons[0].text == "变动最大：用电本月无数据（上月 800）"


def test_an_alert_without_an_entity_is_no_visit():
    assert report.to_visit([{"uscc": None, "name": None, "rule_zh": "用电无税", "state_zh": "待签收", "period": None}], [], [], []) == []


def _report():
    figures = SimpleNamespace(entities=3, entities_before=1, tax=2900.0, tax_before=2000.0, tax_year_before=None, kwh=55000.0,
                              kwh_before=40000.0, kwh_year_before=None, tax_mom_pct=45.0, tax_yoy_pct=None, kwh_mom_pct=37.5,
                              kwh_yoy_pct=None)
    handling = dict(total=2, open=1, acknowledged=0, resolved=1, withdrawn=0, overdue=0, resolved_pct=50.0,
                    hours_to_acknowledge=1.5, hours_to_resolve=3.0)
    totals = SimpleNamespace(model_dump=lambda: dict(handling))
    pillar = report.pillars([_candidate("91445202MA0000000X", 2600.0, 2000.0, 52000.0, 40000.0)], 10)[0]
    return SimpleNamespace(
        period="2026-11", basis="restated", generated_at=datetime(2026, 12, 3, 2, 0, tzinfo=UTC), township_code="445202001",
        township_name="榕华街道", division_name="榕城区", figures=figures,
        trend=[SimpleNamespace(period=p, entities=c.entities, tax=c.tax, kwh=c.kwh)
               for p, c in report.trend({"2026-11": Cell(3, 55000.0, 2900.0), "2026-10": Cell(1, 40000.0, 2000.0)}, "2026-11")],
        registered=SimpleNamespace(total=4, by_status_zh={"存续": 4}, established=1, deregistered=0, revoked=0, net_growth=1),
        linkage=report.linkage(TownshipFigures(records=10, matched_records=8, unmatched_records=2)),
        industries=[SimpleNamespace(industry="C", industry_name="制造业", entities=2, tax=2600.0, tax_mom_pct=30.0, tax_yoy_pct=None,
                                    tax_share_pct=89.7, kwh=52000.0, kwh_mom_pct=30.0, kwh_yoy_pct=None, kwh_share_pct=94.5)],
        alerts=SimpleNamespace(by_rule=[SimpleNamespace(rule_zh="用电无税", **handling)], totals=totals),
        visits=[SimpleNamespace(uscc="91445202MA0000000X", name="揭阳五金有限公司", reasons=["用电无税预警待签收（2026-10）", "梁柱企业"])],
        pillars=SimpleNamespace(pillars=[pillar]),
        pending_alerts=[],
    )


def test_the_workbook_has_a_sheet_per_part_with_titles_headers_and_numbers():
    book = load_workbook(io.BytesIO(report_workbook(_report())))
    assert book.sheetnames == ["概况", "近13个月", "登记与关联", "行业", "预警处置", "待走访主体", "梁柱企业", "待办结预警"]
    summary = book["概况"]
    assert summary["A1"].value.startswith("榕城区榕华街道 2026年11月数据分析报告（现值（含更正和补报），生成时间 2026-12-03 10:00）")
    assert [c.value for c in summary[2]] == ["指标", "单位", "本月", "上月", "环比", "去年同月", "同比"]
    assert [c.value for c in summary[4]] == ["纳税", "元", 2900.0, 2000.0, 45.0, None, None]
    assert summary["C3"].number_format == "0" and summary.freeze_panes == "A3"
    assert [c.value for c in book["预警处置"][4]][:3] == ["合计", 2, 1]
    assert [c.value for c in book["近13个月"][2]] == ["月份", "有数据主体", "纳税（元）", "用电（千瓦时）"]
    assert [c.value for c in book["近13个月"][15]] == ["2026-11", 3, 2900.0, 55000.0]
    assert [c.value for c in book["近13个月"][3]] == ["2025-11", 0, None, None]
    assert book["待走访主体"]["D3"].value == "用电无税预警待签收（2026-10）；梁柱企业"
    assert book["梁柱企业"]["F3"].value == 2600.0 and book["梁柱企业"]["H3"].value == 30.0
    assert book["登记与关联"]["B5"].value == 1 and book["登记与关联"]["B10"].value == 8 and book["登记与关联"]["C10"].value == 80.0
