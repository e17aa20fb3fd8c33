"""The city's rule set (规则集): which anomaly rules run, with what parameters, severities and
configured intervals — a versioned YAML file, refused precisely when it is wrong.

A refusal names the file, the line and the field ("ruleset.yaml:42: rules[3].params.min_kwh: 应为数字
(…)"), because the person editing the file is an analyst, not the developer: pydantic's error
locations are mapped back to the YAML nodes they came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, create_model, field_validator, model_validator

from services.alerting.domain.catalogue import CATALOGUE
from services.alerting.domain.history import division

DEFAULT_RULESET = Path(__file__).resolve().parent.parent / "rules" / "ruleset.yaml"

Loc = tuple[str | int, ...]


class RuleSetError(ValueError):
    def __init__(self, file: str, line: int, field: str, reason: str) -> None:
        self.file, self.line, self.field, self.reason = file, line, field, reason
        super().__init__(f"{file}:{line}: {field}: {reason}" if field else f"{file}:{line}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(_Strict):
    label_zh: str
    acknowledge_working_days: PositiveInt  # a township acknowledges within this many working days
    resolve_working_days: PositiveInt


class RuleSpec(_Strict):
    """One rule as configured; `params` is the rule's own model (catalogue.CATALOGUE[id].params)."""

    id: str
    name_zh: str
    severity: str
    enabled: bool = True
    params: BaseModel
    inhibits: tuple[str, ...] = ()


class ConfiguredInterval(_Strict):
    """A reasonable tax-per-kWh range the city set for an industry (and county): beats a fitted one."""

    industry: str
    county: Annotated[str, Field(pattern=r"^\d{6}$")] | None = None
    low: float
    high: float
    unit: Literal["元/千瓦时"] = "元/千瓦时"

    @field_validator("industry")
    @classmethod
    def _division(cls, value: str) -> str:
        normalised = division(value)
        if normalised is None:
            raise ValueError("不是国民经济行业（GB/T 4754）大类代码，应如 C13 或 13")
        return normalised

    @model_validator(mode="after")
    def _ordered(self) -> ConfiguredInterval:
        if self.low > self.high:
            raise ValueError(f"区间下限 {self.low} 大于上限 {self.high}")
        return self


def _entry(rule_id: str, params: type[BaseModel]) -> type[RuleSpec]:
    return create_model(f"{params.__name__}Spec", __base__=RuleSpec, id=(Literal[rule_id], ...), params=(params, ...))


_Entry = Annotated[Union[tuple(_entry(r.id, r.params) for r in CATALOGUE.values())], Field(discriminator="id")]  # noqa: UP007


class _Document(_Strict):
    """The file as written: rules as a list, so errors point at their entries."""

    version: str
    severities: dict[Annotated[str, Field(pattern=r"^[a-z_]+$")], Severity]
    rules: list[_Entry]
    intervals: list[ConfiguredInterval] = []


class RuleSet(_Strict):
    version: str
    severities: dict[str, Severity]
    rules: dict[str, RuleSpec]  # by id; a catalogue rule missing here is disabled
    intervals: dict[tuple[str, str | None], ConfiguredInterval]  # by (division, county or None)

    def params(self, rule_id: str) -> Any:
        """An enabled rule's parameters (its catalogue params model), None when it does not run."""
        spec = self.rules.get(rule_id)
        return spec.params if spec is not None and spec.enabled else None


def load_ruleset(path: Path = DEFAULT_RULESET) -> RuleSet:
    """The rule set in a YAML file; RuleSetError (file, line, field, reason) when it is not one."""
    return parse_ruleset(path.read_text(encoding="utf-8"), _display(path))


def parse_ruleset(text: str, name: str) -> RuleSet:
    """The rule set in YAML text (a proposal sent to the backtest API), errors located in `name`."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise RuleSetError(name, mark.line + 1 if mark else 1, "", f"YAML 语法错误：{e.problem or e}") from None
    errors = list(_duplicate_keys(root)) if root is not None else []
    if not errors:
        try:
            document = _Document.model_validate(data)
        except ValidationError as e:
            errors = [_located(root, _loc(err), _reason(err)) for err in e.errors()]
        else:
            errors = [_located(root, loc, reason) for loc, reason in _inconsistencies(document)]
    if errors:
        raise RuleSetError(name, *min(errors, key=lambda e: e[0]))
    return RuleSet(
        version=document.version,
        severities=document.severities,
        rules={rule.id: rule for rule in document.rules},
        intervals={(i.industry, i.county): i for i in document.intervals},
    )


def _inconsistencies(document: _Document) -> Iterator[tuple[Loc, str]]:
    """What no single field can know: ids used twice, undeclared severities, inhibitions of nothing."""
    ids: set[str] = set()
    for i, rule in enumerate(document.rules):
        if rule.id in ids:
            yield ("rules", i, "id"), f"规则 {rule.id} 重复定义"
        ids.add(rule.id)
        if rule.severity not in document.severities:
            yield ("rules", i, "severity"), f"未声明的严重程度 {rule.severity}（已声明：{'、'.join(document.severities)}）"
        for j, target in enumerate(rule.inhibits):
            if target == rule.id:
                yield ("rules", i, "inhibits", j), "规则不能抑制自身"
            elif target not in CATALOGUE:
                yield ("rules", i, "inhibits", j), f"未知规则 {target}"
    seen: set[tuple[str, str | None]] = set()
    for i, interval in enumerate(document.intervals):
        key = (interval.industry, interval.county)
        if key in seen:
            yield ("intervals", i), f"行业 {interval.industry}、县区 {interval.county or '全市'} 的区间重复配置"
        seen.add(key)


_REASONS = {
    "extra_forbidden": "未知字段",
    "missing": "缺少必填字段",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不对",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为映射",
    "model_type": "应为映射",
    "model_attributes_type": "应为映射",
    "union_tag_not_found": "缺少规则 id",
    "literal_error": "取值不在允许范围内",
    "greater_than": "取值过小",
    "greater_than_equal": "取值过小",
    "less_than": "取值过大",
    "less_than_equal": "取值过大",
}


def _loc(err: Any) -> Loc:
    """Where an error is: an unknown rule id is its `id` field's fault, not the whole entry's."""
    return (*err["loc"], "id") if err["type"] == "union_tag_invalid" else tuple(err["loc"])


def _reason(err: Any) -> str:
    if err["type"] == "value_error":
        return str(err["ctx"]["error"])
    if err["type"] == "union_tag_invalid":
        return f"未知规则 {err['ctx']['tag']}（规则目录中没有）"
    zh = _REASONS.get(err["type"], "取值无效")
    return f"{zh} ({err['msg']})"


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _walk(root: yaml.Node, loc: Loc) -> Iterator[tuple[str | int, yaml.Node | None]]:
    """The located nodes along an error location; a discriminator tag (the rule's id, which pydantic
    inserts after the list index) is skipped, a key absent from the file ends the walk."""
    node: yaml.Node | None = root
    for part in loc:
        if node is None:
            return
        if _child(node, part) is None and getattr(_child(node, "id"), "value", None) == part:
            continue
        node = _child(node, part)
        yield part, node


def _located(root: yaml.Node | None, loc: Loc, reason: str) -> tuple[int, str, str]:
    """(line, field path, reason): the line of the deepest node the location reaches — for a
    missing field, the mapping that lacks it."""
    line, parts = 1, list(loc)
    if root is not None:
        line, parts = root.start_mark.line + 1, []
        for part, node in _walk(root, loc):
            parts.append(part)
            if node is not None:
                line = node.start_mark.line + 1
    return line, _field_path(parts), reason


def _field_path(parts: list[str | int] | Loc) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def _duplicate_keys(node: yaml.Node, loc: Loc = ()) -> Iterator[tuple[int, str, str]]:
    """PyYAML keeps the last of two equal keys silently; a rule file with two `min_kwh` is a mistake."""
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            if key.value in seen:
                yield key.start_mark.line + 1, _field_path((*loc, key.value)), f"键 {key.value} 重复"
            seen.add(key.value)
            yield from _duplicate_keys(value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            yield from _duplicate_keys(value, (*loc, i))


def _display(path: Path) -> str:
    """The path as the repository names it when the file is in it, else as given."""
    try:
        return str(path.resolve().relative_to(Path(__file__).resolve().parents[3]))
    except ValueError:
        return str(path)
