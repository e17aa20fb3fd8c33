"""The pure pieces of 经济管理监管分析 (#7), 锁定分析 (#8) and 异常纳税 (#9): the month an alert counts
in, its state, the shares, and the evidence each rule's facts give a person."""

from pathlib import Path

import pytest
import yaml

from shared.contracts.rules import RULE_NAMES_ZH, rule_name_zh
from services.analytics.domain import alerts
from services.analytics.domain.alerts import Figure, evidence, flagged_months, month_of, share_pct, state_of
from services.analytics.domain.overview import ALERT_ACKNOWLEDGED, ALERT_OPEN, ALERT_RESOLVED

RULESET = Path(__file__).parents[2] / "services" / "alerting" / "rules" / "ruleset.yaml"


def test_the_shared_rule_names_are_the_rule_sets():
    rules = yaml.safe_load(RULESET.read_text(encoding="utf-8"))["rules"]
    assert {r["id"]: r["name_zh"] for r in rules} == RULE_NAMES_ZH
    assert set(alerts.LOCKED_RULES + alerts.TAX_RULES) <= set(RULE_NAMES_ZH)
    assert rule_name_zh("a_newer_rule") == "a_newer_rule" and rule_name_zh(None) == "未知规则"


@pytest.mark.parametrize(("period", "month"), [
    ("2026-10", "2026-10"), ("2025-Q4", "2025-12"), ("2026-Q1", "2026-03"), ("2025", "2025-12"),
    (None, None), ("", None), ("2026-13", None), ("2026-Q5", None), ("soon", None),
])
def test_an_alert_counts_in_its_period_or_its_finance_periods_last_month(period, month):
    assert month_of(period) == month


def test_a_withdrawal_outranks_the_handling_state():
    assert [state_of(r, False) for r in (ALERT_OPEN, ALERT_ACKNOWLEDGED, ALERT_RESOLVED)] == ["open", "acknowledged", "resolved"]
    assert state_of(ALERT_RESOLVED, True) == "withdrawn"


def test_shares():
    assert share_pct(1, 3) == 33.3 and share_pct(0, 0) is None and share_pct(2, 2) == 100.0


def test_effects_are_named_and_an_unknown_one_kept():
    assert alerts.effect_name("confirmed") == "属实"
    assert alerts.effect_name(None) == "未办结"
    assert alerts.effect_name("something_new") == "something_new"


def test_a_long_suspension_lists_its_quiet_months_and_sums():
    facts = {"months": 6.0, "from_period": "2025-11", "kwh": 12.0, "tax": 0.0}
    assert flagged_months("long_term_suspension", "2026-04", facts) == [
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]
    assert evidence("long_term_suspension", facts) == [
        Figure("起始月份", "2025-11"), Figure("连续月数", 6.0, "个月"), Figure("期间用电合计", 12.0, "千瓦时"),
        Figure("期间纳税合计", 0.0, "元")]


def test_persistent_losses_list_each_loss_period_oldest_first():
    facts = {"2026-Q2": -1200.5, "2025-Q3": -10.0, "2026-Q1": -3.0, "2025-Q4": -4.0}
    assert flagged_months("persistent_losses", "2026-Q2", facts) == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert [(f.label, f.value) for f in evidence("persistent_losses", facts)] == [
        ("2025-Q3 净利润", -10.0), ("2025-Q4 净利润", -4.0), ("2026-Q1 净利润", -3.0), ("2026-Q2 净利润", -1200.5)]


def test_tax_evidence_against_peers_and_against_power():
    peers = {"value": 0.0021, "measure": "tax_per_kwh", "peer_median": 0.05, "peer_mad": 0.01, "peer_count": 41.0,
             "robust_z": -6.2, "industry": "C33", "scale": "log"}
    assert evidence("tax_vs_peers", peers) == [
        Figure("本户税负", 0.0021, "元/千瓦时"), Figure("同行业中位数", 0.05, "元/千瓦时"), Figure("稳健 z 值", -6.2),
        Figure("同行业户数", 41.0, "户"), Figure("行业", "C33")]
    assert evidence("tax_vs_peers", peers | {"measure": "tax"})[0] == Figure("本户税负", 0.0021, "元")
    ratio = {"kwh": 90000.0, "tax": 150.0, "ratio": 0.0017, "low": 0.01, "high": 0.4, "interval_source": "fitted",
             "sample_size": 35.0, "industry": "C33"}
    assert [f.label for f in evidence("tax_power_ratio", ratio)] == ["纳税", "用电", "税电比", "合理区间下限", "合理区间上限", "行业"]
    assert evidence("power_without_tax", {"kwh": 25000.0}) == [Figure("用电", 25000.0, "千瓦时"), Figure("纳税", "无纳税记录")]
    assert evidence("power_without_tax", {"kwh": 25000.0, "tax": 0.0}) == [Figure("用电", 25000.0, "千瓦时"), Figure("纳税", 0.0, "元")]
    assert evidence(None, None) == [] and flagged_months("power_drop", "2026-10", None) == ["2026-10"]
