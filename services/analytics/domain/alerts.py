"""Alerts as the analyses of them read them: 经济管理监管分析 (#7, by rule, township and month, with
their handling), 长期停业和亏损企业锁定分析 (#8) and 异常纳税行为预警 (#9, with the evidence).

Pure: the month an alert is counted in, its handling state, the shares and the evidence figures
each rule's `facts` carry (as alerting's catalogue names them in `anomaly-detected`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.contracts import DispositionEffect
from shared.contracts.rules import RULE_NAMES_ZH, rule_name_zh
from shared.periods import shift

from services.analytics.domain.overview import ALERT_ACKNOWLEDGED, ALERT_RESOLVED

RULE_IDS = tuple(RULE_NAMES_ZH)
# the rules each analysis lists (ids as in services/alerting/rules/ruleset.yaml)
LOCKED_RULES = ("long_term_suspension", "persistent_losses")  # #8
TAX_RULES = ("tax_vs_peers", "tax_power_ratio", "power_without_tax")  # #9

STATES = ("open", "acknowledged", "resolved", "withdrawn")
STATE_ZH = {"open": "待签收", "acknowledged": "已签收", "resolved": "已办结", "withdrawn": "已撤销", "overdue": "逾期"}
EFFECT_ZH = {
    DispositionEffect.CONFIRMED: "属实", DispositionEffect.CORRECTION_REQUEST: "数据错误（请部门更正）",
    DispositionEffect.SUPPRESS: "误报（有合理原因）", DispositionEffect.JURISDICTION: "不属本辖区",
    DispositionEffect.CANNOT_LINK: "非同一主体", DispositionEffect.STOP_JUDGING: "迁出或注销",
}

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")
_YEAR = re.compile(r"^[0-9]{4}$")


def month_of(period: str | None) -> str | None:
    """The month an alert is counted in: its period, or the last month of its finance period
    (持续亏损 is judged on a quarter "2025-Q4" or a year "2025")."""
    if not period:
        return None
    if _MONTH.match(period):
        return period
    if m := _QUARTER.match(period):
        return f"{m.group(1)}-{int(m.group(2)) * 3:02d}"
    if _YEAR.match(period):
        return f"{period}-12"
    return None


def state_of(status_rank: int, withdrawn: bool) -> str:
    if withdrawn:
        return "withdrawn"
    return {ALERT_ACKNOWLEDGED: "acknowledged", ALERT_RESOLVED: "resolved"}.get(status_rank, "open")


def share_pct(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def effect_name(effect: str | None) -> str:
    if not effect:
        return "未办结"
    try:
        return EFFECT_ZH[DispositionEffect(effect)]
    except ValueError:
        return effect


@dataclass(frozen=True)
class Figure:
    """One evidence figure, as a person reads it: what it is, its value, its unit."""

    label: str
    value: float | str | None
    unit: str = ""


def _number(facts: dict, key: str) -> float | None:
    value = facts.get(key)
    return float(value) if isinstance(value, int | float) else None


_TAX_EVIDENCE: dict[str, tuple[tuple[str, str, str], ...]] = {
    "tax_vs_peers": (("value", "本户税负", ""), ("peer_median", "同行业中位数", ""), ("robust_z", "稳健 z 值", ""),
                     ("peer_count", "同行业户数", "户"), ("industry", "行业", "")),
    "tax_power_ratio": (("tax", "纳税", "元"), ("kwh", "用电", "千瓦时"), ("ratio", "税电比", "元/千瓦时"),
                        ("low", "合理区间下限", "元/千瓦时"), ("high", "合理区间上限", "元/千瓦时"), ("industry", "行业", "")),
    "power_without_tax": (("kwh", "用电", "千瓦时"), ("tax", "纳税", "元")),
    "long_term_suspension": (("from_period", "起始月份", ""), ("months", "连续月数", "个月"), ("kwh", "期间用电合计", "千瓦时"),
                             ("tax", "期间纳税合计", "元")),
}


def evidence(rule: str | None, facts: dict | None) -> list[Figure]:
    """The figures that put the entity on the list, in the order a person checks them. A rule's
    figure the alert does not carry is left out (power_without_tax without a tax record has no `tax`)."""
    facts = facts or {}
    if rule == "persistent_losses":
        return [Figure(f"{p} 净利润", _number(facts, p), "元") for p in sorted(facts) if month_of(p) and _number(facts, p) is not None]
    figures = []
    for key, label, unit in _TAX_EVIDENCE.get(rule or "", ()):
        if key not in facts:
            continue
        value = facts[key] if isinstance(facts[key], str) else _number(facts, key)
        if rule == "tax_vs_peers" and key in ("value", "peer_median"):
            unit = "元/千瓦时" if facts.get("measure") == "tax_per_kwh" else "元"
        figures.append(Figure(label, value, unit))
    if rule == "power_without_tax" and "tax" not in facts:
        figures.append(Figure("纳税", "无纳税记录"))
    return figures


def flagged_months(rule: str | None, period: str | None, facts: dict | None) -> list[str]:
    """The months (or finance periods) that put the entity there: a quiet run's months, a loss run's
    periods, else the alert's own period."""
    facts = facts or {}
    if rule == "long_term_suspension" and isinstance(facts.get("from_period"), str) and period and month_of(period) == period:
        first, months = facts["from_period"], []
        while first <= period and len(months) < 120:
            months.append(first)
            first = shift(first, 1)
        return months
    if rule == "persistent_losses":
        return sorted(p for p in facts if month_of(p))
    return [period] if period else []


def rule_label(rule: str | None) -> str:
    return rule_name_zh(rule)
