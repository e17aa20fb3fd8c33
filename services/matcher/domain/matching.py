"""Linking a department record to a registered entity (验证与比较).

This is the exact-code stage of the cascade; every decision says how it was reached.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import ImportedRecord, MatchFailureReason, MatchMethod


@dataclass(frozen=True)
class Entity:
    uscc: str
    name: str
    township_code: str
    status: str


@dataclass(frozen=True)
class Linked:
    entity: Entity
    method: MatchMethod
    score: float
    explanation: dict[str, float]


@dataclass(frozen=True)
class Unlinked:
    reason: MatchFailureReason
    message_zh: str


_WHAT = {"tax_payment": "纳税人", "power_usage": "用电户"}


def link(record: ImportedRecord, entity: Entity | None) -> Linked | Unlinked:
    """`entity` is the registered entity under the record's code, if any."""
    what = _WHAT.get(record.kind, "记录")
    if record.uscc is None:
        return Unlinked(
            MatchFailureReason.NO_CODE,
            f"{what}“{record.source_key}”未提供统一社会信用代码，无法自动匹配商事主体，请核实",
        )
    if entity is None:
        return Unlinked(
            MatchFailureReason.CODE_NOT_REGISTERED,
            f"{what}“{record.source_key}”的统一社会信用代码 {record.uscc} 无商事登记记录，请核实",
        )
    return Linked(entity, MatchMethod.EXACT_USCC, 1.0, {"uscc": 1.0})
