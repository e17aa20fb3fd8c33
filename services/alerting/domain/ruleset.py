"""The city's rule set (规则集): which anomaly rules run, with what parameters, severities and
configured intervals — a versioned YAML file, refused precisely when it is wrong.

A refusal names the file, the line and the field (`shared/datafile.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, create_model, field_validator, model_validator

from shared.datafile import DataFileError, Loc, display, parse_yaml
from services.alerting.domain.catalogue import CATALOGUE
from services.alerting.domain.history import division

DEFAULT_RULESET = Path(__file__).resolve().parent.parent / "rules" / "ruleset.yaml"


class RuleSetError(DataFileError):
    """A rule file the service refuses to start with."""


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
    return parse_ruleset(path.read_text(encoding="utf-8"), display(path))


def parse_ruleset(text: str, name: str) -> RuleSet:
    """The rule set in YAML text (a proposal sent to the backtest API), errors located in `name`."""
    document = parse_yaml(text, name, _Document, _inconsistencies, RuleSetError)
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
