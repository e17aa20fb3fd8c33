"""Grafana's business dashboard (企业经济运行 · 业务看板), generated: `python -m deploy.business_dashboard`
writes deploy/grafana/dashboards/bizpulse-business.json (tests/unit/test_deployment_files.py fails when it is stale).

The figures ops and leaders share on one wall screen — this month's tax and power, registered
entities, unlinked records, alerts and their handling, departments' timeliness — read from
analytics' read models through the read-only `grafana_reader` role (deploy/readers.py). The Chinese
names of counties, rules and departments come from the same reference lists the pages use, written
into the SQL here so that the dashboard needs no table of names in the database. The analytics pages
remain the place to drill; this board is for watching.
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.contracts.events import SubmissionStatus
from shared.contracts.rules import RULE_NAMES_ZH
from shared.reference import DEPARTMENT_NAMES, DIVISIONS

PATH = Path(__file__).resolve().parent / "grafana" / "dashboards" / "bizpulse-business.json"
DATASOURCE = {"type": "grafana-postgresql-datasource", "uid": "analytics"}
SUBMISSION_ZH = {SubmissionStatus.ON_TIME: "按时", SubmissionStatus.LATE: "逾期报送",
                 SubmissionStatus.MISSING: "未报送", SubmissionStatus.PENDING: "未到期"}

# the latest month with figures, not a month still to come (a late record may name a future period)
LATEST = "(SELECT max(period) FROM analytics.entity_months WHERE period <= to_char(now(), 'YYYY-MM'))"
MONTH_START = "to_date({} || '-01', 'YYYY-MM-DD')::timestamptz"


def _case(expression: str, names: dict[str, str], otherwise: str) -> str:
    whens = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in sorted(names.items()))
    return f"CASE {expression} {whens} ELSE {otherwise} END"


COUNTY = _case("left(township_code, 6)", dict(DIVISIONS), "'其他'")

QUERIES: dict[str, str] = {
    "active_entities": "SELECT count(*) AS \"在业主体\" FROM analytics.entities WHERE status = 'active'",
    "month_tax": f"SELECT sum(tax) AS \"纳税（元）\" FROM analytics.entity_months WHERE period = {LATEST}",
    "month_kwh": f"SELECT sum(kwh) AS \"用电（千瓦时）\" FROM analytics.entity_months WHERE period = {LATEST}",
    "unlinked_share": "SELECT round(100.0 * count(*) FILTER (WHERE match_rank = 1) / nullif(count(*), 0), 1) AS \"未关联占比\" "
                      "FROM analytics.records",
    "open_alerts": "SELECT count(*) AS \"待办结预警\" FROM analytics.alerts WHERE status_rank < 2 AND withdrawn_at IS NULL",
    "overdue_alerts": "SELECT count(*) AS \"逾期预警\" FROM analytics.alerts "
                      "WHERE status_rank < 2 AND withdrawn_at IS NULL AND overdue",
    "monthly": f"SELECT {MONTH_START.format('period')} AS time, sum(tax) AS \"纳税（元）\", sum(kwh) AS \"用电（千瓦时）\" "
               "FROM analytics.entity_months WHERE period > to_char(now() - interval '24 months', 'YYYY-MM') "
               "AND period <= to_char(now(), 'YYYY-MM') GROUP BY period ORDER BY period",
    "by_county": f"SELECT {COUNTY} AS \"县（市、区）\", count(*) AS \"有数据主体\", sum(tax) AS \"纳税（元）\", "
                 f"sum(kwh) AS \"用电（千瓦时）\" FROM analytics.entity_months WHERE period = {LATEST} "
                 "GROUP BY 1 ORDER BY 3 DESC NULLS LAST",
    "alerts_by_month": f"SELECT {MONTH_START.format('month')} AS time, "
                       "count(*) FILTER (WHERE status_rank = 0) AS \"待签收\", "
                       "count(*) FILTER (WHERE status_rank = 1) AS \"已签收\", "
                       "count(*) FILTER (WHERE status_rank = 2) AS \"已办结\" "
                       "FROM analytics.alerts WHERE month IS NOT NULL AND withdrawn_at IS NULL "
                       "AND month > to_char(now() - interval '12 months', 'YYYY-MM') GROUP BY month ORDER BY month",
    "alerts_by_rule": f"SELECT {_case('rule', RULE_NAMES_ZH, 'rule')} AS \"规则\", count(*) AS \"预警\", "
                      "count(*) FILTER (WHERE status_rank = 2) AS \"已办结\", "
                      "count(*) FILTER (WHERE status_rank < 2 AND overdue) AS \"逾期未办结\" "
                      "FROM analytics.alerts WHERE withdrawn_at IS NULL "
                      "AND month BETWEEN to_char(now() - interval '1 month', 'YYYY-MM') AND to_char(now(), 'YYYY-MM') "
                      "GROUP BY 1 ORDER BY 2 DESC",
    "timeliness": f"SELECT {_case('department', DEPARTMENT_NAMES, 'department')} AS \"部门\", kind AS \"数据类别\", "
                  f"period AS \"所属期\", deadline AS \"截止日\", {_case('status', dict(SUBMISSION_ZH), 'status')} AS \"状态\", "
                  "first_arrival AS \"首次到达\" FROM analytics.submissions "
                  "WHERE period = (SELECT max(period) FROM analytics.submissions WHERE deadline <= current_date) "
                  "ORDER BY 5 DESC, 1",
}


def _panel(panel_id: int, kind: str, title: str, query: str, grid: tuple[int, int, int, int], fmt: str = "table",
           unit: str = "short", description: str = "") -> dict:
    w, h, x, y = grid
    panel = {
        "id": panel_id, "type": kind, "title": title, "description": description, "datasource": DATASOURCE,
        "gridPos": {"h": h, "w": w, "x": x, "y": y},
        "targets": [{"refId": "A", "datasource": DATASOURCE, "editorMode": "code", "format": fmt, "rawQuery": True,
                     "rawSql": QUERIES[query]}],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
    }
    if kind == "stat":
        panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                            "colorMode": "value", "graphMode": "none", "textMode": "value"}
    return panel


def dashboard() -> dict:
    panels = [
        _panel(1, "stat", "在业主体", "active_entities", (4, 4, 0, 0), description="登记状态为存续的主体"),
        _panel(2, "stat", "最近月份纳税（元）", "month_tax", (4, 4, 4, 0), unit="locale",
               description="有数据的最近一个月，现值（含更正和补报）"),
        _panel(3, "stat", "最近月份用电（千瓦时）", "month_kwh", (4, 4, 8, 0), unit="locale"),
        _panel(4, "stat", "未关联记录占比", "unlinked_share", (4, 4, 12, 0), unit="percent",
               description="部门记录中未能关联到登记主体的占比：占比高的地方，“无税”“无电”不可轻信"),
        _panel(5, "stat", "待办结预警", "open_alerts", (4, 4, 16, 0)),
        _panel(6, "stat", "逾期预警", "overdue_alerts", (4, 4, 20, 0), description="签收或办结已过期限、仍未办结"),
        _panel(7, "timeseries", "月度纳税与用电（近 24 个月）", "monthly", (12, 8, 0, 4), fmt="time_series"),
        _panel(8, "table", "各县（市、区）最近月份", "by_county", (12, 8, 12, 4)),
        _panel(9, "timeseries", "预警处置（按月）", "alerts_by_month", (12, 8, 0, 12), fmt="time_series"),
        _panel(10, "table", "本月和上月预警（按规则）", "alerts_by_rule", (12, 8, 12, 12)),
        _panel(11, "table", "部门报送及时性（最近到期的所属期）", "timeliness", (24, 8, 0, 20)),
    ]
    return {
        "uid": "bizpulse-business", "title": "bizpulse — 企业经济运行（业务看板）",
        "description": "分析库的共同口径：纳税、用电、登记主体、关联覆盖、预警处置和部门报送及时性。深入查看请用分析页面。",
        "tags": ["bizpulse", "business"], "timezone": "browser", "editable": False, "graphTooltip": 1,
        "refresh": "5m", "schemaVersion": 39, "version": 1, "time": {"from": "now-2y", "to": "now"},
        "templating": {"list": []}, "annotations": {"list": []}, "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {PATH}")
