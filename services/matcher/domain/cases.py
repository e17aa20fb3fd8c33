"""The plan's verification cases (验证比较的情形): what a link or a failure tells a township.

A link is judged against what the matcher has linked to the same entity so far (its meters, its
tax registration), so a case is "as known when the record was matched": a power record matched
before the entity's tax registration arrived is flagged, and the flag says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from shared.contracts import ImportedRecord, MatchCase, MatchFailureReason, MatchMethod

from services.matcher.domain.matching import Linked, record_name
from services.matcher.domain.names import normalise_name

TAX_KINDS = frozenset({"tax_registration", "tax_payment"})
POWER_KINDS = frozenset({"power_account", "power_usage"})
# an account holder this unlike the entity's name (and former names) is someone else's name
ANOTHER_NAME_BELOW = 0.6
# a failure that says "no registered business" rather than "cannot tell which one"
_UNREGISTERED = {
    MatchFailureReason.CODE_NOT_REGISTERED,
    MatchFailureReason.NO_CANDIDATE,
    MatchFailureReason.CONFIRMED_UNREGISTERED,
}


def family(kind: str) -> str | None:
    """Which of an entity's sources a kind speaks for: its tax registration or its meters."""
    return "tax" if kind in TAX_KINDS else "power" if kind in POWER_KINDS else None


@dataclass(frozen=True)
class EntitySources:
    """What is linked to one entity so far."""

    power_accounts: int = 0
    tax_registered: bool = False


def of_failure(kind: str, reason: MatchFailureReason) -> list[MatchCase]:
    if reason not in _UNREGISTERED:
        return []
    if kind in TAX_KINDS:
        return [MatchCase.TAXPAYER_WITHOUT_REGISTRATION]
    if kind in POWER_KINDS:
        return [MatchCase.POWER_WITHOUT_REGISTRATION]
    return []


def of_link(record: ImportedRecord, part: Linked, shared: bool, sources: EntitySources) -> list[MatchCase]:
    if record.kind not in POWER_KINDS:
        return []
    cases = []
    if not sources.tax_registered:
        cases.append(MatchCase.POWER_WITHOUT_TAX_REGISTRATION)
    if sources.power_accounts > 1:
        cases.append(MatchCase.SEVERAL_METERS)
    if shared:
        cases.append(MatchCase.SHARED_METER)
    holder = record_name(record)
    # a fuzzy link already says the names agree; a code or a township's decision does not
    if holder and part.method is not MatchMethod.FUZZY_NAME and not _same_name(holder, part):
        cases.append(MatchCase.METER_UNDER_ANOTHER_NAME)
    return cases


def _same_name(holder: str, part: Linked) -> bool:
    core = _core(holder)
    return any(
        fuzz.ratio(core, _core(name)) / 100 >= ANOTHER_NAME_BELOW for name in (part.entity.name, *part.entity.former_names)
    )


@lru_cache(maxsize=100_000)  # the same holders and entities come back every month
def _core(name: str) -> str:
    return normalise_name(name).core
