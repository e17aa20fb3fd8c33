"""The rule set file: the packaged one loads, a wrong one is refused with file, line and field."""

import pytest

from services.alerting.domain.catalogue import CATALOGUE
from services.alerting.domain.ruleset import DEFAULT_RULESET, RuleSetError, load_ruleset

TEXT = DEFAULT_RULESET.read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _refusal(tmp_path, text: str) -> RuleSetError:
    path = tmp_path / "ruleset.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError) as refused:
        load_ruleset(path)
    return refused.value


def _edited(old: str, new: str) -> str:
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


def test_the_packaged_rule_set_runs_every_catalogue_rule():
    ruleset = load_ruleset(DEFAULT_RULESET)
    assert ruleset.version == "2026.12.2"
    assert set(ruleset.rules) == set(CATALOGUE)
    assert all(spec.severity in ruleset.severities for spec in ruleset.rules.values())
    assert set(ruleset.severities) == {"high", "medium", "low"}
    assert ruleset.params("tax_without_power").industries == ("B", "C", "D")


def test_a_deregistered_entity_silences_every_other_rule():
    ruleset = load_ruleset(DEFAULT_RULESET)
    assert set(ruleset.rules["deregistered_active"].inhibits) == set(CATALOGUE) - {"deregistered_active"}


def test_a_rule_missing_from_the_file_is_disabled_and_so_is_enabled_false(tmp_path):
    start = TEXT.index("  - id: power_drop")
    end = TEXT.index("  - id: long_term_suspension")
    path = tmp_path / "ruleset.yaml"
    path.write_text(TEXT[:start] + TEXT[end:].replace("enabled: true", "enabled: false", 1), encoding="utf-8")
    ruleset = load_ruleset(path)
    assert "power_drop" not in ruleset.rules and ruleset.params("power_drop") is None
    assert ruleset.params("long_term_suspension") is None


def test_the_refusal_names_file_line_field_and_reason(tmp_path):
    error = _refusal(tmp_path, _edited("      min_kwh: 1000", "      min_kwh: 一千"))
    line = _line_of(TEXT, "min_kwh: 1000")
    assert (error.line, error.field) == (line, "rules[0].params.min_kwh")
    assert error.reason.startswith("应为数字")
    assert str(error).startswith(f"{tmp_path / 'ruleset.yaml'}:{line}: rules[0].params.min_kwh: 应为数字 (")


def test_the_packaged_file_is_named_as_the_repository_names_it():
    assert RuleSetError("services/alerting/rules/ruleset.yaml", 42, "rules[3].params.min_kwh", "应为数字").args[0] == (
        "services/alerting/rules/ruleset.yaml:42: rules[3].params.min_kwh: 应为数字"
    )


@pytest.mark.parametrize(
    ("old", "new", "at", "field", "reason"),
    [
        ("      min_kwh: 1000", "      min_kwh: 1000\n      max_kw: 3", "max_kw: 3", "rules[0].params.max_kw", "未知字段"),
        ("    enabled: true\n    params:\n      # kWh in the month", "    enabled: 1.5\n    params:\n      # kWh in the month",
         "enabled: 1.5", "rules[0].enabled", "应为 true 或 false"),
        ("  - id: power_drop", "  - id: power_dropp", "id: power_dropp", "rules[3].id", "未知规则 power_dropp"),
        ("low: 0.05, high: 1.5", "low: 2, high: 1.5", "low: 2, high: 1.5", "intervals[0]", "区间下限 2.0 大于上限 1.5"),
        ("{industry: C17,", "{industry: X17,", "industry: X17", "intervals[1].industry", "不是国民经济行业"),
        ("persistent_losses, tax_vs_peers", "persistent_loss, tax_vs_peers", "persistent_loss, tax_vs_peers",
         "rules[7].inhibits[5]", "未知规则 persistent_loss"),
        ("      max_tax: 100\n", "", "      months: 6", "rules[4].params.max_tax", "缺少必填字段"),
        ("      min_kwh: 1000", "      min_kwh: 1000\n      min_kwh: 2", "min_kwh: 2", "rules[0].params.min_kwh", "键 min_kwh 重复"),
        ("    name_zh: 注销仍活跃\n    severity: high", "    name_zh: 注销仍活跃\n    severity: urgent", "severity: urgent",
         "rules[7].severity", "未声明的严重程度 urgent"),
        ("        low_percentile: 25", "        low_percentile: 96", "low_percentile: 96", "rules[2].params.fit", "下百分位 96.0 应小于上百分位"),
        ("      industries: [B, C, D]", "      industries: B", "industries: B", "rules[1].params.industries", "应为列表"),
        ("  - id: power_drop", "  - id: [power_drop", "id: [power_drop", "", "YAML 语法错误"),
    ],
)
def test_a_wrong_rule_set_is_refused_at_its_line(tmp_path, old, new, at, field, reason):
    text = _edited(old, new)
    error = _refusal(tmp_path, text)
    assert (error.field, error.reason[: len(reason)]) == (field, reason)
    assert abs(error.line - _line_of(text, at)) <= (1 if field == "" else 0), str(error)


def test_a_rule_id_used_twice_is_refused_at_the_second(tmp_path):
    block = TEXT[TEXT.index("  - id: meter_township_conflict") : TEXT.index("# Reasonable tax")]
    text = TEXT.replace(block, block + block)
    error = _refusal(tmp_path, text)
    second = [i for i, line in enumerate(text.splitlines(), 1) if "id: meter_township_conflict" in line][1]
    assert (error.line, error.field, error.reason) == (second, "rules[9].id", "规则 meter_township_conflict 重复定义")


def test_a_rule_cannot_inhibit_itself(tmp_path):
    text = _edited("persistent_losses, tax_vs_peers", "persistent_losses, deregistered_active")
    error = _refusal(tmp_path, text)
    assert (error.field, error.reason) == ("rules[7].inhibits[6]", "规则不能抑制自身")


def test_a_configured_interval_twice_is_refused(tmp_path):
    error = _refusal(tmp_path, _edited("{industry: C17,", "{industry: '13',"))
    assert (error.field, error.line) == ("intervals[1]", _line_of(TEXT, "{industry: C17,"))
