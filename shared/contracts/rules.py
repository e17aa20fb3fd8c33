"""The anomaly rules' ids and Chinese names, as every service speaks of them (the `rule` of
`anomaly-detected`). The rule set itself (parameters, severities) is alerting's data file,
services/alerting/rules/ruleset.yaml; a unit test keeps the names here equal to its `name_zh`."""

RULE_NAMES_ZH: dict[str, str] = {
    "power_without_tax": "用电无税",
    "tax_without_power": "有税无电",
    "tax_power_ratio": "税电比异常",
    "power_drop": "用电骤降",
    "long_term_suspension": "长期停业",
    "persistent_losses": "持续亏损",
    "tax_vs_peers": "纳税异常",
    "deregistered_active": "注销仍活跃",
    "meter_township_conflict": "属地不一致",
}


def rule_name_zh(rule: str | None) -> str:
    """The rule's Chinese name; an id this build does not know (a newer rule set) as it is."""
    return RULE_NAMES_ZH.get(rule or "", rule or "未知规则")
