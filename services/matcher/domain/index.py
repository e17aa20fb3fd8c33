"""In-memory index of the registered entities, for the exact and fuzzy stages of the cascade.

A city holds ~600,000 entities, so the index keeps one flat row per entity (parallel lists, int
ids) and blocks fuzzy look-ups on character bigrams of the normalised name core: only the
entities sharing the query's rarest bigrams are ever scored with rapidfuzz.
"""

from __future__ import annotations

import heapq
import sys
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz

# Weights of the parts of a candidate's score. Parts that cannot be compared (an address or a
# township missing on either side) drop out and the remaining weights are rescaled to sum to 1,
# so a record without an address is judged on name and township alone.
W_NAME = 0.60
W_ADDRESS = 0.25
W_TOWNSHIP = 0.15

# A short core (≤ 4 characters, e.g. "华兴") contained in a longer one ("华兴电子") is evidence,
# but weaker than a full match: partial_ratio counts at this fraction.
SHORT_CORE = 4
PARTIAL_DISCOUNT = 0.85

# Multiplied in after weighting. A branch (分公司) is a separate taxpayer and electricity
# customer, so a branch record against the head office (or another branch) loses 60% and
# cannot reach review; a differing legal form (有限公司 vs 股份有限公司) is a small doubt.
BRANCH_PENALTY = 0.60
LEGAL_FORM_PENALTY = 0.05

# Township agreement: same township, same county (first 6 digits of the code), elsewhere.
SAME_TOWNSHIP, SAME_COUNTY = 1.0, 0.5

# Blocking on character pairs of the core (see _bigrams). Pairs carried by more than
# COMMON_BIGRAM_CAP entities ("科技", "贸易") say little and cost much, so they are skipped,
# except that the MIN_BIGRAMS rarest pairs of a query are always counted so that a name made
# only of common pairs still finds candidates. Counting stops after POSTING_BUDGET postings;
# the SHORTLIST entities sharing the most pairs are scored, plus up to TOWNSHIP_SHORTLIST
# same-township entities that share at least one.
COMMON_BIGRAM_CAP = 5_000
MIN_BIGRAMS = 2
POSTING_BUDGET = 20_000
SHORTLIST = 50
TOWNSHIP_SHORTLIST = 50


@dataclass(frozen=True, slots=True)
class RegisteredEntity:
    uscc: str | None
    registration_number: str | None
    name: str
    address: str
    township_code: str
    status: str
    former_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    entity: RegisteredEntity
    score: float
    explanation: dict[str, float]


class NameParts(Protocol):
    """What the index reads of `names.NormalisedName` (so tests can inject a stand-in)."""

    @property
    def core(self) -> str: ...
    @property
    def legal_form(self) -> str: ...
    @property
    def branch(self) -> str: ...


class EntityIndex:
    def __init__(
        self,
        normalise_name: Callable[[str], NameParts] | None = None,
        normalise_address: Callable[[str], str] | None = None,
    ) -> None:
        if normalise_name is None or normalise_address is None:
            from services.matcher.domain import names

            normalise_name = normalise_name or names.normalise_name
            normalise_address = normalise_address or names.normalise_address
        self._normalise_name = normalise_name
        self._normalise_address = normalise_address
        self._by_uscc: dict[str, int] = {}
        self._by_registration: dict[str, int] = {}
        self._postings: dict[str, array] = {}
        self._free: list[int] = []
        # One row per id; a removed id holds None / "" until reused.
        self._entity: list[RegisteredEntity | None] = []
        self._core: list[str] = []
        self._former_cores: list[tuple[str, ...]] = []  # mostly the shared empty tuple
        self._branch: list[str] = []
        self._legal_form: list[str] = []
        self._address: list[str] = []

    def __len__(self) -> int:
        return len(self._entity) - len(self._free)

    def by_uscc(self, code: str) -> RegisteredEntity | None:
        i = self._by_uscc.get(code)
        return None if i is None else self._entity[i]

    def by_registration_number(self, number: str) -> RegisteredEntity | None:
        i = self._by_registration.get(number)
        return None if i is None else self._entity[i]

    def upsert(self, entity: RegisteredEntity) -> None:
        """Add, or replace the entity holding the same USCC or registration number.

        A replacement keeps its id, so a rename only moves the bigrams that changed.
        """
        if not (entity.uscc or entity.registration_number):
            raise ValueError(f"entity {entity.name!r} has neither USCC nor registration number")
        by_uscc = self._by_uscc.get(entity.uscc or "")
        by_registration = self._by_registration.get(entity.registration_number or "")
        if by_uscc is not None and by_registration not in (None, by_uscc):
            self._drop(by_registration)  # both codes now name this one entity
        held = by_uscc if by_uscc is not None else by_registration

        name = self._normalise_name(entity.name)
        former = {self._normalise_name(f).core for f in entity.former_names} - {name.core, ""}
        # Interned: a few legal forms and branch names repeat across 600,000 rows.
        row = (
            entity,
            name.core,
            tuple(sorted(former)),
            sys.intern(name.branch),
            sys.intern(name.legal_form),
            self._normalise_address(entity.address),
        )
        if held is not None:
            i = held
            old_grams = self._grams_of(i)
            self._unmap_codes(i)
        else:
            i = self._free.pop() if self._free else len(self._entity)
            old_grams = set()
        self._put(i, row)
        if entity.uscc:
            self._by_uscc[entity.uscc] = i
        if entity.registration_number:
            self._by_registration[entity.registration_number] = i
        new_grams = self._grams_of(i)
        self._unpost(i, old_grams - new_grams)
        for g in new_grams - old_grams:
            posting = self._postings.get(g)
            if posting is None:
                self._postings[g] = array("I", (i,))
            else:
                posting.append(i)

    def remove(self, key: str) -> None:
        """Forget the entity under this USCC or registration number; unknown keys are ignored
        so that a replayed deregistration is harmless."""
        i = self._by_uscc.get(key, self._by_registration.get(key))
        if i is not None:
            self._drop(i)

    def candidates(
        self, name: str, address: str = "", township_code: str | None = None, limit: int = 5
    ) -> list[Candidate]:
        """The `limit` best-scoring entities for a record's name and address, best first."""
        query = self._normalise_name(name)
        ids = self._shortlist(_bigrams(query.core), township_code)
        if not ids:
            return []
        address = self._normalise_address(address) if address else ""
        scored = (self._score(i, query, address, township_code) for i in ids)
        return heapq.nlargest(limit, scored, key=lambda c: c.score)

    def _shortlist(self, grams: set[str], township_code: str | None) -> list[int]:
        postings = sorted((p for g in grams if (p := self._postings.get(g))), key=len)
        hits: Counter[int] = Counter()
        visited = 0
        for n, posting in enumerate(postings):
            if n >= MIN_BIGRAMS and (len(posting) > COMMON_BIGRAM_CAP or visited >= POSTING_BUDGET):
                break
            hits.update(posting)
            visited += len(posting)
        best = [i for i, _ in hits.most_common(SHORTLIST)]
        if township_code:
            chosen = set(best)
            local = (i for i in hits if i not in chosen and self._entity[i].township_code == township_code)
            best += heapq.nlargest(TOWNSHIP_SHORTLIST, local, key=hits.__getitem__)
        return best

    def _score(self, i: int, query: NameParts, address: str, township_code: str | None) -> Candidate:
        entity = self._entity[i]
        parts = {"name": max(_name_similarity(query.core, core) for core in (self._core[i], *self._former_cores[i]))}
        weights = {"name": W_NAME}
        if address and self._address[i]:
            parts["address"] = fuzz.ratio(address, self._address[i]) / 100
            weights["address"] = W_ADDRESS
        if township_code and entity.township_code:
            parts["township"] = _township_agreement(township_code, entity.township_code)
            weights["township"] = W_TOWNSHIP
        score = sum(parts[k] * w for k, w in weights.items()) / sum(weights.values())

        # Exact, not fuzzy: "榕城分公司" and "普宁分公司" are alike as strings but are different taxpayers.
        parts["branch"] = float(query.branch == self._branch[i])
        score *= 1 - BRANCH_PENALTY * (1 - parts["branch"])
        if query.legal_form and self._legal_form[i]:
            parts["legal_form"] = float(query.legal_form == self._legal_form[i])
            score *= 1 - LEGAL_FORM_PENALTY * (1 - parts["legal_form"])
        return Candidate(entity, score, {k: round(v, 3) for k, v in parts.items()})

    def _put(self, i: int, row: tuple) -> None:
        columns = (self._entity, self._core, self._former_cores, self._branch, self._legal_form, self._address)
        for column, value in zip(columns, row):
            if i == len(column):
                column.append(value)
            else:
                column[i] = value

    def _grams_of(self, i: int) -> set[str]:
        return _bigrams(self._core[i]).union(*map(_bigrams, self._former_cores[i]))

    def _drop(self, i: int) -> None:
        self._unmap_codes(i)
        self._unpost(i, self._grams_of(i))
        self._put(i, (None, "", (), "", "", ""))
        self._free.append(i)

    def _unmap_codes(self, i: int) -> None:
        entity = self._entity[i]
        if entity.uscc and self._by_uscc.get(entity.uscc) == i:
            del self._by_uscc[entity.uscc]
        if entity.registration_number and self._by_registration.get(entity.registration_number) == i:
            del self._by_registration[entity.registration_number]

    def _unpost(self, i: int, grams: set[str]) -> None:
        for g in grams:
            posting = self._postings[g]
            posting.remove(i)
            if not posting:
                del self._postings[g]


def _bigrams(core: str) -> set[str]:
    """Blocking keys of a core: adjacent and one-gap character pairs.

    A typo in a 4-character core like "兴春科技" ("兴晨科技") breaks both adjacent pairs around it,
    often leaving only the too-common "科技"; the gapped pair "兴_科" survives it. A
    one-character core is its own key so that it stays findable.
    """
    if len(core) < 2:
        return {core} if core else set()
    return {core[i : i + 2] for i in range(len(core) - 1)} | {f"{core[i]}_{core[i + 2]}" for i in range(len(core) - 2)}


def _name_similarity(a: str, b: str) -> float:
    """Character-level: Chinese names have no word boundaries to tokenise on."""
    score = fuzz.ratio(a, b)
    if min(len(a), len(b)) <= SHORT_CORE:
        score = max(score, PARTIAL_DISCOUNT * fuzz.partial_ratio(a, b))
    return score / 100


def _township_agreement(a: str, b: str) -> float:
    if a == b:
        return SAME_TOWNSHIP
    return SAME_COUNTY if a[:6] == b[:6] else 0.0
