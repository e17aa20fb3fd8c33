"""The matching cascade (验证与比较): exact USCC → registration number or legacy taxpayer id →
learned links → fuzzy name and address.

Every decision carries its method, score and the parts of the score, so a township officer can
see why a record was linked — or why it was not and which entities came closest.

A township's 非同一主体 decision is a cannot-link constraint: the entities it names (`refused`)
are taken out of every stage for that source key, as if they were not registered for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from shared import contracts, records, uscc
from shared.contracts import FeedbackAction, ImportedRecord, MatchFailureReason, MatchMethod

from services.matcher.domain.decision import Outcome, Thresholds, decide
from services.matcher.domain.index import SHOWN_CANDIDATES, Candidate, EntityIndex, RegisteredEntity

_WHAT = {"tax_payment": "纳税人", "tax_registration": "纳税人", "power_usage": "用电户", "power_account": "用电户"}
_FAILURE = {
    "no_candidate": MatchFailureReason.NO_CANDIDATE,
    "ambiguous": MatchFailureReason.AMBIGUOUS,
    "low_confidence": MatchFailureReason.LOW_CONFIDENCE,
}
_EXPLAIN = {
    MatchFailureReason.NO_CANDIDATE: "在商事登记中找不到名称相近的主体",
    MatchFailureReason.AMBIGUOUS: "有多个名称相近的主体，无法确定是哪一个",
    MatchFailureReason.LOW_CONFIDENCE: "最接近的主体相似度不足以自动关联",
}


@dataclass(frozen=True)
class LearnedLink:
    """A township's verified decision for every record of one department's source key."""

    decision: FeedbackAction  # link, not_registered or split
    usccs: tuple[str, ...]
    shares: tuple[float, ...] = ()


@dataclass(frozen=True)
class Known:
    """What townships decided for one department's source key: its learned link, if any, and the
    entities it was verified not to be (非同一主体), never linked to it again."""

    learned: LearnedLink | None = None
    refused: frozenset[str] = frozenset()


NOTHING_KNOWN = Known()


def refused_after(refused: frozenset[str], action: FeedbackAction, usccs: tuple[str, ...] | list[str]) -> frozenset[str]:
    """A key's cannot-link constraint after one more decision for it, taken in the order decided.

    The constraint is the union of the key's not_same_entity decisions, removed per USCC by a later
    explicit link naming it: a `link` (or a `split` with a share) for the same key and USCC replaces
    the constraint, so a township that changes its mind after verifying again can say so. Other
    decisions (not_registered, a link naming another entity) leave it as it is: a not_same_entity
    decision does not replace an earlier decision for the key's other entities either."""
    if action is FeedbackAction.NOT_SAME_ENTITY:
        return refused | frozenset(usccs)
    if action in (FeedbackAction.LINK, FeedbackAction.SPLIT) and refused:
        return refused - frozenset(usccs)
    return refused


def allowed(learned: LearnedLink | None, refused: frozenset[str]) -> LearnedLink | None:
    """The learned link, unless it names an entity the key was later verified not to be: a later
    非同一主体 wins over an earlier link (a later link would have lifted the constraint instead)."""
    if learned is None or not refused or refused.isdisjoint(learned.usccs):
        return learned
    return None


def without(candidates: list[Candidate], refused: frozenset[str]) -> list[Candidate]:
    """The candidates but the refused entities, each scored as if those were not registered: a
    score is a share of the odds among the candidates and "none of them", so taking the refused
    ones out of the odds divides the others' shares by what the refused ones left. (A refused
    entity scored but beyond the shown few stays in the odds: the rest come out a little low,
    never high.) Without a constraint, the list itself."""
    if not refused:
        return candidates
    kept = [c for c in candidates if c.entity.uscc not in refused]
    if len(kept) == len(candidates):
        return candidates
    left = 1.0 - sum(c.score for c in candidates if c.entity.uscc in refused)
    if left <= 1e-12:  # the refused took all the odds there were (to float precision): nothing else is likely
        return [replace(c, score=0.0) for c in kept]
    return [replace(c, score=min(1.0, c.score / left)) for c in kept]


@dataclass(frozen=True)
class Linked:
    entity: RegisteredEntity
    method: MatchMethod
    score: float
    explanation: dict[str, float]
    share: float = 1.0

    @property
    def parts(self) -> tuple[Linked, ...]:
        return (self,)


@dataclass(frozen=True)
class Shared:
    """One meter, several entities (多户一表): the record counts for each, by its share."""

    parts: tuple[Linked, ...]


@dataclass(frozen=True)
class Unlinked:
    reason: MatchFailureReason
    message_zh: str
    candidates: list[Candidate]


def significant(score: float, digits: int = 3) -> float:
    """A score as people read it: a weak candidate's 0.0000213 stays 0.0000213, not 0.0."""
    if score == 0 or not math.isfinite(score):
        return score
    return round(score, digits - 1 - math.floor(math.log10(abs(score))))


def shown(candidates: list[Candidate], limit: int = SHOWN_CANDIDATES) -> list[contracts.Candidate]:
    """The candidates a township sees for an unlinked record, with their score and its evidence."""
    return [
        contracts.Candidate(
            uscc=c.entity.uscc, name=c.entity.name, score=significant(c.score), explanation=c.explanation,
            evidence_bits=round(c.evidence_bits, 2),
        )
        for c in candidates[:limit]
        if c.entity.uscc
    ]


def record_name(record: ImportedRecord) -> str:
    return records.record_name(record.data)


def link(
    record: ImportedRecord, index: EntityIndex, thresholds: Thresholds, learned: LearnedLink | None = None,
    refused: frozenset[str] = frozenset(),
) -> Linked | Shared | Unlinked:
    """`learned`: the township's decision for the record's department and source key, if any;
    `refused`: the entities that key was verified not to be (非同一主体), linked by no stage."""
    if record.uscc and (entity := index.by_uscc(record.uscc)) and (not refused or record.uscc not in refused):
        return Linked(entity, MatchMethod.EXACT_USCC, 1.0, {"uscc": 1.0})  # nine records in ten end here
    if refused:
        learned = allowed(learned, refused)
    name, address = record_name(record), str(record.data.get("address") or "")
    # a person's name (a household's or a sole trader's account) was masked at import: it is
    # compared by its keyed hash, never by the masked text ("张*" is everybody called 张)
    name_hash = records.record_name_hash(record.data, record.pii_hashes)
    what = _WHAT.get(record.kind, "记录")
    label = f"{what}“{name or record.source_key}”"
    # a code the township verified is not this key's entity says nothing: the rest of the record decides
    code_refused = bool(refused and record.uscc and record.uscc in refused)
    if record.uscc and not code_refused:
        if learned:
            return apply_learned(learned, index, label)
        if not uscc.is_valid(record.uscc):
            return _mistyped_code(
                record.uscc, name, name_hash, address, record.township_code, index, thresholds, label, refused)
        return Unlinked(
            MatchFailureReason.CODE_NOT_REGISTERED,
            f"{label}的统一社会信用代码 {record.uscc} 无商事登记记录（{what}无工商登记），请核实",
            without(index.candidates(name, address, record.township_code, name_hash=name_hash), refused) if name else [],
        )
    number = record.data.get("registration_number")
    if number and (entity := index.by_registration_number(number)) and entity.uscc not in refused:
        return Linked(entity, MatchMethod.REGISTRATION_NUMBER, 1.0, {"registration_number": 1.0})
    taxpayer_id = str(record.data.get("taxpayer_id") or "")
    if len(taxpayer_id) == 15 and (entity := index.by_legacy_taxpayer_id(taxpayer_id)) and entity.uscc not in refused:
        return Linked(entity, MatchMethod.LEGACY_TAXPAYER_ID, 1.0, {"legacy_taxpayer_id": 1.0})
    if learned:
        return apply_learned(learned, index, label)
    given = (f"{label}的统一社会信用代码 {record.uscc} 经乡镇（街道）核实并非其主体，" if code_refused
             else f"{label}未提供统一社会信用代码，")
    if not name:
        return Unlinked(MatchFailureReason.NO_NAME, f"{given}也无名称，无法匹配，请核实" if code_refused
                        else f"{label}既无统一社会信用代码也无名称，无法匹配，请核实", [])
    candidates = without(index.candidates(name, address, record.township_code, name_hash=name_hash), refused)
    outcome, reason = decide(candidates, thresholds)
    if outcome is Outcome.AUTO_LINK:
        best = max(candidates, key=lambda c: c.score)
        method = MatchMethod.PERSON_NAME if name_hash else MatchMethod.FUZZY_NAME
        return Linked(best.entity, method, best.score, best.explanation)
    failure = _FAILURE[reason]
    return Unlinked(failure, f"{given}{_EXPLAIN[failure]}，请核实", candidates)


def _mistyped_code(
    code: str, name: str, name_hash: str | None, address: str, township_code: str, index: EntityIndex,
    thresholds: Thresholds, label: str, refused: frozenset[str] = frozenset(),
) -> Linked | Unlinked:
    """A code failing its check character: linked to a registered code one slip from it only when
    the name and address alone would link that entity among those codes; a slip in the first 17
    characters can land on another business's code, so the code is a shortlist, never proof."""
    near = uscc.near_valid_codes(code) if uscc.is_well_formed(code) else []  # ingest sends well-formed ones
    by_code = without(index.candidates_among(near, name, address, township_code, name_hash=name_hash), refused)
    if by_code and decide(by_code, thresholds)[0] is Outcome.AUTO_LINK:
        best = by_code[0]
        agreeing = sum(a == b for a, b in zip(code, best.entity.uscc or "")) / len(code)
        return Linked(best.entity, MatchMethod.CORRECTED_USCC, best.score, {"uscc": round(agreeing, 3), **best.explanation})
    shown = {c.entity.uscc for c in by_code}
    by_name = [
        c for c in without(index.candidates(name, address, township_code, name_hash=name_hash), refused)
        if c.entity.uscc not in shown
    ] if name else []
    return Unlinked(
        MatchFailureReason.INVALID_CODE,
        f"{label}的统一社会信用代码 {code} 校验位不符（录入有误），无法确定是哪个主体，请核实",
        (by_code + by_name)[:SHOWN_CANDIDATES],
    )


def apply_learned(learned: LearnedLink, index: EntityIndex, label: str) -> Linked | Shared | Unlinked:
    if learned.decision is FeedbackAction.NOT_REGISTERED:
        return Unlinked(MatchFailureReason.CONFIRMED_UNREGISTERED, f"{label}经乡镇（街道）核实无商事登记", [])
    parts = []
    for uscc, share in zip(learned.usccs, learned.shares or (1.0,)):
        entity = index.by_uscc(uscc)
        if entity is None:
            return Unlinked(
                MatchFailureReason.CODE_NOT_REGISTERED,
                f"乡镇（街道）核实指定的统一社会信用代码 {uscc} 无商事登记记录，请重新核实{label}",
                [],
            )
        parts.append(Linked(entity, MatchMethod.LEARNED, 1.0, {"learned": 1.0}, share))
    return parts[0] if len(parts) == 1 else Shared(tuple(parts))
