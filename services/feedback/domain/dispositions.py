"""The case policy a city tunes (services/feedback/policy/case_policy.yaml): the closed list of what a
township may find (处置结果), what each finding makes the platform do, the match cases' deadlines and when to escalate.
Loaded and validated at start: a wrong file refuses to start with its line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from shared.contracts import DispositionEffect
from shared.datafile import DataFileError, Loc, display, parse_yaml

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy" / "case_policy.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Disposition(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    label_zh: str = Field(min_length=1)
    applies_to: tuple[Literal["alert", "match_case"], ...] = Field(min_length=1)
    effect: DispositionEffect  # the contract's list: what other services act on
    suppress_months: PositiveInt | None = None

    @model_validator(mode="after")
    def _suppression_has_a_length(self) -> Disposition:
        if (self.effect is DispositionEffect.SUPPRESS) != (self.suppress_months is not None):
            raise ValueError("suppress 须且仅须配置 suppress_months")
        return self


class Deadlines(_Strict):
    acknowledge_working_days: PositiveInt
    resolve_working_days: PositiveInt


class Escalation(_Strict):
    city_after_working_days: PositiveInt


class CasePolicy(_Strict):
    version: str = Field(min_length=1)
    default_deadlines: Deadlines  # match cases, and alerts that carry none
    escalation: Escalation
    dispositions: tuple[Disposition, ...] = Field(min_length=1)


class Dispositions:
    """The closed list, by id, in the file's order (the order people see)."""

    def __init__(self, dispositions: tuple[Disposition, ...]) -> None:
        self._by_id = {d.id: d for d in dispositions}

    def get(self, disposition_id: str | None) -> Disposition | None:
        return self._by_id.get(disposition_id or "")

    def for_kind(self, kind: str) -> list[Disposition]:
        return [d for d in self._by_id.values() if kind in d.applies_to]


class CasePolicyError(DataFileError):
    """A case policy file the service refuses to start with."""


def _inconsistencies(policy: CasePolicy) -> Iterator[tuple[Loc, str]]:
    seen: set[str] = set()
    for i, disposition in enumerate(policy.dispositions):
        if disposition.id in seen:
            yield ("dispositions", i, "id"), f"处置结果 {disposition.id} 重复定义"
        seen.add(disposition.id)


def parse_policy(text: str, name: str) -> CasePolicy:
    return parse_yaml(text, name, CasePolicy, _inconsistencies, CasePolicyError)


def load_policy(path: Path = DEFAULT_POLICY) -> CasePolicy:
    return parse_policy(path.read_text(encoding="utf-8"), display(path))
