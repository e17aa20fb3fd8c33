"""In-memory index of the registered entities, for the exact and fuzzy stages of the cascade.

A city holds ~600,000 entities, so the index keeps one flat row per entity (parallel lists, int
ids) and blocks fuzzy look-ups on character bigrams of the normalised name core: only the
entities sharing the query's rarest bigrams are ever scored with rapidfuzz. The postings are
int arrays counted with numpy: a query visits up to 20,000 of them, which a Python loop
counts in about a millisecond.
"""

from __future__ import annotations

import heapq
import re
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from services.matcher.domain.names import sound_alike

# A candidate's evidence, in bits: log2 of how much likelier what the record says is if the
# candidate is its entity than if it is another one (Fellegi–Sunter match weights). Evidence
# adds up across the parts of the comparison, and a part that cannot be compared (no address,
# no region in the name) adds nothing. The score is the candidate's share of the odds among
# all scored candidates and NO_ENTITY_BITS for "none of them" (see `candidates`), so two alike
# candidates split it and neither is linked. The values started from agreement rates measured
# on labelled records and were then set for precision first (docs/benchmarks/matching-quality.md).
#
# The name, by how the record's core relates to the entity's:
# - identical;
# - the trade name kept: the first TRADE_NAME characters (the trade name, 字号, has two or three,
#   and comes first) agree, and the record has one slip after them ("宏盛塑制品" for 宏盛塑料制品)
#   or stops short (简称 "宏盛塑料"): the business stays recognisable;
# - one slip elsewhere in a core of at least MIN_SLIP_CORE characters, of the kind typing Chinese
#   makes: a character of the same pinyin (the input method offered both: 宏盛/鸿盛) or two
#   characters swapped. On the labelled records, a tax record whose best candidate in its own
#   township was such a slip away belonged to it 99.4% of the time; 9 bits keep auto-link
#   precision at 99.85–99.90% over three seeds (10 bits: 99.78–99.86%);
# - any other slip (a character mistyped, added or dropped): weaker evidence than it looks, as
#   trade names are drawn from a few hundred lucky characters and one apart is often another
#   business (宏盛贸易, 宏达贸易): such a record belonged to that candidate ~55% of the time;
# - two slips; anything else.
IDENTICAL_BITS = 20.0
TRADE_NAME_KEPT_BITS = 14.0
INPUT_SLIP_BITS = 9.0
ONE_SLIP_BITS = 5.0
TWO_SLIPS_BITS = -5.0
OTHER_NAME_BITS = -15.0
TRADE_NAME = 3
MIN_SLIP_CORE = 4
# Where: same township, same county (first 6 digits of the code), elsewhere.
SAME_TOWNSHIP, SAME_COUNTY = 1.0, 0.5
TOWNSHIP_BITS = {SAME_TOWNSHIP: 6.0, SAME_COUNTY: -2.5, 0.0: -7.0}
# The address within the township: the same place is strong evidence; another place in the
# same township counts against. In another township the address differs anyway, which the
# township part has counted already.
SAME_PLACE = 0.9
SAME_PLACE_BITS = 6.0
OTHER_PLACE_BITS = -3.0
# The region of the record's name against the entity's: written the same ("揭阳市" for "揭阳市")
# is evidence, as near-twin names differ there ("揭阳市宏盛…" and "普宁市宏盛…" are two
# businesses); placing the business in another county than the entity's region and township
# is nearly a veto; anything else (揭阳市 for 普宁市, no region) is neither.
SAME_REGION, OTHER_REGION, OTHER_COUNTY = 1.0, 0.5, 0.0
REGION_BITS = {SAME_REGION: 2.0, OTHER_REGION: -1.0, OTHER_COUNTY: -10.0}
# The legal form the record's name gives, against the one the entity is registered with
# (有限公司 vs 股份有限公司, a company vs an individual business): different businesses more
# often than a clerk's slip. A record without one says nothing: clerks leave it out.
LEGAL_FORM_AGREES_BITS = 0.5
LEGAL_FORM_DIFFERS_BITS = -5.0
# A branch (分公司) is a separate taxpayer and electricity customer: a branch record against
# the head office (or another branch) never links and is not worth a township's review.
BRANCH_DIFFERS_BITS = -20.0
# A candidate whose name leaves it NEGLIGIBLE_BITS behind the best candidate even with every other
# part the record gives agreeing (`_most_other_bits`) holds under a millionth of the best one's
# odds: it is not weighed (most of a shortlist, once a good candidate is found).
NEGLIGIBLE_BITS = 20.0
# How much evidence makes a candidate as likely as "the business is none of these": one that
# merely shares a name with the record must not be linked when the registry may lack the business.
NO_ENTITY_BITS = 11.0

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
# How many candidates a township officer is shown with a record that was not linked.
SHOWN_CANDIDATES = 5


@dataclass(frozen=True, slots=True)
class RegisteredEntity:
    uscc: str | None
    registration_number: str | None
    name: str
    address: str
    township_code: str
    status: str
    former_names: tuple[str, ...] = ()
    name_hash: str | None = None  # the keyed hash of a name that is a person's (`name` is then masked)


@dataclass(frozen=True, slots=True)
class Candidate:
    entity: RegisteredEntity
    score: float  # its share of the odds among the scored candidates and "none of them"
    explanation: dict[str, float]
    evidence_bits: float = 0.0  # the evidence for it, in bits (the parts' weights added up)


class NameParts(Protocol):
    """What the index reads of `names.NormalisedName` (so tests can inject a stand-in)."""

    @property
    def core(self) -> str: ...
    @property
    def legal_form(self) -> str: ...
    @property
    def registered_form(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def county(self) -> str: ...


class EntityIndex:
    def __init__(
        self,
        normalise_name: Callable[[str], NameParts] | None = None,
        normalise_address: Callable[[str], str] | None = None,
    ) -> None:
        if normalise_name is None or normalise_address is None:
            from services.matcher.domain import names

            normalise_name = normalise_name or names.normalise_name
            normalise_address = normalise_address or names.normalise_place
        self._normalise_name = normalise_name
        self._normalise_address = normalise_address
        self._by_uscc: dict[str, int] = {}
        self._by_registration: dict[str, int] = {}
        self._by_legacy_taxpayer_id: dict[str, int] = {}
        self._by_name_hash: dict[str, list[int]] = {}  # people's names repeat: 张伟 is many people
        self._postings: dict[str, array] = {}
        self._township_numbers: dict[str, int] = {}  # township code → its number in `_township` (from 1)
        self._free: list[int] = []
        # One row per id; a removed id holds None / "" until reused.
        self._entity: list[RegisteredEntity | None] = []
        self._core: list[str] = []
        self._former_cores: list[tuple[str, ...]] = []  # mostly the shared empty tuple
        self._branch: list[str] = []
        self._registered_form: list[str] = []
        self._region: list[str] = []
        self._county: list[str] = []  # the county its name's region names, "" if none
        self._address: list[str] = []
        self._township = array("I")  # its township's number, 0 for a removed id

    def __len__(self) -> int:
        return len(self._entity) - len(self._free)

    def by_uscc(self, code: str) -> RegisteredEntity | None:
        i = self._by_uscc.get(code)
        return None if i is None else self._entity[i]

    def by_registration_number(self, number: str) -> RegisteredEntity | None:
        i = self._by_registration.get(number)
        return None if i is None else self._entity[i]

    def by_legacy_taxpayer_id(self, taxpayer_id: str) -> RegisteredEntity | None:
        """A pre-2015 taxpayer id (division code + organisation code) is characters 3–17 of the USCC."""
        i = self._by_legacy_taxpayer_id.get(taxpayer_id)
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
            sys.intern(name.registered_form),
            sys.intern(name.region),
            sys.intern(name.county),
            self._normalise_address(entity.address),
            self._township_number(entity.township_code),
        )
        if held is not None:
            i = held
            old_grams = self._grams_of(i)
            self._unmap(i)
        else:
            i = self._free.pop() if self._free else len(self._entity)
            old_grams = set()
        self._put(i, row)
        self._map(i)
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
        self, name: str, address: str = "", township_code: str | None = None, limit: int = SHOWN_CANDIDATES,
        name_hash: str | None = None,
    ) -> list[Candidate]:
        """The `limit` best entities for a record's name and address, best first; each scored by
        its share of the odds among all shortlisted entities and "none of them". `name_hash`: the
        record's name is a person's, masked in `name` and known by its keyed hash only."""
        if name_hash:
            return self._by_person_name(name_hash, address, township_code, limit)
        query = self._normalise_name(name)
        return self._scored(self._shortlist(_bigrams(query.core), township_code), query, address, township_code, limit)

    def _by_person_name(self, name_hash: str, address: str, township_code: str | None, limit: int) -> list[Candidate]:
        """For a record whose name is a person's: the entities registered under the same name (equal
        keyed hashes), weighed like `candidates` with the name identical and the rest (township,
        address) telling them apart — a common name alone links nobody."""
        ids = self._by_name_hash.get(name_hash, [])
        named = [(IDENTICAL_BITS, self._core[i], i) for i in ids]
        return self._scored(ids, _NO_NAME, address, township_code, limit, named=named, name_hash=name_hash)

    def candidates_among(
        self, usccs: list[str], name: str, address: str = "", township_code: str | None = None,
        name_hash: str | None = None,
    ) -> list[Candidate]:
        """The registered entities among `usccs`, best first, scored like `candidates` but among
        themselves: for a record whose code points at them but cannot be trusted on its own."""
        ids = list(dict.fromkeys(i for code in usccs if (i := self._by_uscc.get(code)) is not None))
        if name_hash:  # a person's name: equal keyed hashes or nothing
            named = sorted(((IDENTICAL_BITS if self._entity[i].name_hash == name_hash else OTHER_NAME_BITS,
                             self._core[i], i) for i in ids), key=lambda n: n[0], reverse=True)
            return self._scored(ids, _NO_NAME, address, township_code, len(ids), named=named, name_hash=name_hash)
        return self._scored(ids, self._normalise_name(name), address, township_code, len(ids))

    def _scored(
        self, ids: list[int], query: NameParts, address: str, township_code: str | None, limit: int,
        named: list[tuple[float, str, int]] | None = None, name_hash: str | None = None,
    ) -> list[Candidate]:
        """`named`: the name's evidence per id when it is already known (else judged from the cores);
        `name_hash`: the names were compared as keyed hashes, not as text."""
        if not ids:
            return []
        place = self._normalise_address(address) if address else ""
        most_other = _most_other_bits(query, place, township_code)
        weighed: list[tuple[float, int, str, dict[str, float]]] = []
        top = -float("inf")
        for name_bits, core, i in named if named is not None else self._named(ids, query.core):
            if name_bits + most_other < top - NEGLIGIBLE_BITS:
                break  # and so are all after it
            weighed.append(self._weigh(i, name_bits, core, query, place, township_code))
            top = max(top, weighed[-1][0])
        top = max(w[0] for w in weighed)  # odds relative to the best, to stay in float range
        total = 2 ** (NO_ENTITY_BITS - top) + sum(2 ** (w[0] - top) for w in weighed)
        return [
            Candidate(self._entity[i], 2 ** (bits - top) / total,
                      {"name": float(self._entity[i].name_hash == name_hash), **parts} if name_hash
                      else _explain(query.core, core, parts), bits)
            for bits, i, core, parts in heapq.nlargest(limit, weighed, key=lambda w: w[0])
        ]

    def _shortlist(self, grams: set[str], township_code: str | None) -> list[int]:
        """The SHORTLIST entities sharing the most keys with the query, then up to TOWNSHIP_SHORTLIST
        more of its township; ties go to the older entity (the lower id)."""
        postings = sorted((p for g in grams if (p := self._postings.get(g))), key=len)
        counted = []
        visited = 0
        for n, posting in enumerate(postings):
            if n >= MIN_BIGRAMS and (len(posting) > COMMON_BIGRAM_CAP or visited >= POSTING_BUDGET):
                break
            counted.append(np.frombuffer(posting, dtype=np.uint32))
            visited += len(posting)
        if not counted:
            return []
        hits = np.concatenate(counted)  # a copy: the postings stay untouched (and resizable)
        hits.sort()
        first = np.flatnonzero(np.concatenate(([True], hits[1:] != hits[:-1])))
        ids = hits[first].astype(np.int64)
        # shared keys first, then the lower id: one sortable number per entity
        rank = (np.diff(first, append=len(hits)) << 32) - ids
        best = _top(rank, SHORTLIST)
        chosen = ids[best].tolist()
        if township_code and (number := self._township_numbers.get(township_code)):
            local = np.frombuffer(self._township, dtype=np.uint32)[ids] == number
            local[best] = False
            (others,) = np.nonzero(local)
            chosen += ids[others[_top(rank[others], TOWNSHIP_SHORTLIST)]].tolist()
        return chosen

    def _named(self, ids: list[int], query_core: str) -> list[tuple[float, str, int]]:
        """(the name's evidence, the core it was judged on, id), best first (stable: equal names keep
        the shortlist's order). Most of a shortlist only shares a character pair or two with the query:
        the slips of all are counted in one rapidfuzz call and only the near ones judged one by one."""
        cores = [self._core[i] for i in ids]
        all_slips = process.cdist([query_core], cores, scorer=OSA.distance, score_cutoff=2, dtype=np.int32)[0].tolist()
        head = query_core[:TRADE_NAME]
        named = []
        for i, core, slips in zip(ids, cores, all_slips):
            bits = _name_bits(query_core, core, slips) if slips <= 2 or core.startswith(head) else OTHER_NAME_BITS
            if former := self._former_cores[i]:  # judged on the nearest of its names, current or former
                bits, core = max(
                    (bits, core), *((_name_bits(query_core, f, OSA.distance(query_core, f, score_cutoff=2)), f) for f in former)
                )
            named.append((bits, core, i))
        named.sort(key=lambda n: n[0], reverse=True)
        return named

    def _weigh(
        self, i: int, bits: float, core: str, query: NameParts, place: str, township_code: str | None
    ) -> tuple[float, int, str, dict[str, float]]:
        """(evidence in bits, id, the core the name was judged on, the other parts of the comparison),
        from the name's evidence `bits`."""
        entity = self._entity[i]
        parts = {}
        if township_code and entity.township_code:
            parts["township"] = _township_agreement(township_code, entity.township_code)
            bits += TOWNSHIP_BITS[parts["township"]]
        if place and self._address[i]:
            parts["address"] = _place_similarity(place, self._address[i])
            if parts["address"] >= SAME_PLACE:
                bits += SAME_PLACE_BITS
            elif parts.get("township") == SAME_TOWNSHIP:
                bits += OTHER_PLACE_BITS
        if query.region:
            parts["region"] = self._region_agreement(i, query)
            bits += REGION_BITS[parts["region"]]
        if query.legal_form:
            parts["legal_form"] = float(query.legal_form == self._registered_form[i])
            bits += LEGAL_FORM_AGREES_BITS if parts["legal_form"] else LEGAL_FORM_DIFFERS_BITS
        # Exact, not fuzzy: "榕城分公司" and "普宁分公司" are alike as strings but are different taxpayers.
        parts["branch"] = float(query.branch == self._branch[i])
        bits += 0.0 if parts["branch"] else BRANCH_DIFFERS_BITS
        return bits, i, core, parts

    def _region_agreement(self, i: int, query: NameParts) -> float:
        if query.region == self._region[i]:
            return SAME_REGION
        if query.county and query.county not in (self._county[i], self._entity[i].township_code[:6]):
            return OTHER_COUNTY
        return OTHER_REGION

    def _put(self, i: int, row: tuple) -> None:
        columns = (
            self._entity, self._core, self._former_cores, self._branch,
            self._registered_form, self._region, self._county, self._address, self._township,
        )
        for column, value in zip(columns, row):
            if i == len(column):
                column.append(value)
            else:
                column[i] = value

    def _township_number(self, township_code: str) -> int:
        return self._township_numbers.setdefault(township_code, len(self._township_numbers) + 1)

    def _grams_of(self, i: int) -> set[str]:
        return _bigrams(self._core[i]).union(*map(_bigrams, self._former_cores[i]))

    def _drop(self, i: int) -> None:
        self._unmap(i)
        self._unpost(i, self._grams_of(i))
        self._put(i, (None, "", (), "", "", "", "", "", 0))
        self._free.append(i)

    def _map(self, i: int) -> None:
        entity = self._entity[i]
        if entity.uscc:
            self._by_uscc[entity.uscc] = i
            self._by_legacy_taxpayer_id[entity.uscc[2:17]] = i
        if entity.registration_number:
            self._by_registration[entity.registration_number] = i
        if entity.name_hash:
            self._by_name_hash.setdefault(entity.name_hash, []).append(i)

    def _unmap(self, i: int) -> None:
        entity = self._entity[i]
        if entity.uscc and self._by_uscc.get(entity.uscc) == i:
            del self._by_uscc[entity.uscc]
        if entity.uscc and self._by_legacy_taxpayer_id.get(entity.uscc[2:17]) == i:
            del self._by_legacy_taxpayer_id[entity.uscc[2:17]]
        if entity.registration_number and self._by_registration.get(entity.registration_number) == i:
            del self._by_registration[entity.registration_number]
        if entity.name_hash and i in (same := self._by_name_hash.get(entity.name_hash, [])):
            same.remove(i)
            if not same:
                del self._by_name_hash[entity.name_hash]

    def _unpost(self, i: int, grams: set[str]) -> None:
        for g in grams:
            posting = self._postings[g]
            posting.remove(i)
            if not posting:
                del self._postings[g]


class _NoName:
    """The name parts of a record known only by its name's keyed hash: nothing to compare but the hash."""

    core = legal_form = registered_form = branch = region = county = ""


_NO_NAME = _NoName()


def _bigrams(core: str) -> set[str]:
    """Blocking keys of a core: adjacent character pairs in either order, and one-gap pairs.

    A typo in a 4-character core like "兴春科技" ("兴晨科技") breaks both adjacent pairs around it,
    often leaving only the too-common "科技"; the gapped pair "兴_科" survives it. Two characters
    swapped ("春兴科技") keep their pair when it is taken in either order. A one-character core is
    its own key so that it stays findable.
    """
    if len(core) < 2:
        return {core} if core else set()
    adjacent = {min(a, b) + max(a, b) for a, b in zip(core, core[1:])}
    return adjacent | {f"{core[i]}_{core[i + 2]}" for i in range(len(core) - 2)}


def _explain(query_core: str, core: str, parts: dict[str, float]) -> dict[str, float]:
    """The parts of a shown candidate's score; the name as its character similarity (Chinese names
    have no word boundaries to tokenise on), computed only for the few candidates shown."""
    return {"name": round(fuzz.ratio(query_core, core) / 100, 3), **{k: round(v, 3) for k, v in parts.items()}}


def _top(rank: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k highest ranks, highest first."""
    if len(rank) > k:
        positions = np.argpartition(-rank, k - 1)[:k]
        return positions[np.argsort(-rank[positions])]
    return np.argsort(-rank)


def _name_bits(query: str, core: str, slips: int) -> float:
    """Evidence of a record's core against an entity's (see the levels above); `slips`: their OSA
    distance, or 3 for any more."""
    if query == core:
        return IDENTICAL_BITS
    if len(query) >= TRADE_NAME and query[:TRADE_NAME] == core[:TRADE_NAME]:
        if core.startswith(query) or (slips == 1 and len(query) <= len(core)):
            return TRADE_NAME_KEPT_BITS
    if min(len(query), len(core)) >= MIN_SLIP_CORE and slips <= 2:
        if slips == 2:
            return TWO_SLIPS_BITS
        return INPUT_SLIP_BITS if _input_slip(query, core) else ONE_SLIP_BITS
    return OTHER_NAME_BITS


def _most_other_bits(query: NameParts, place: str, township_code: str | None) -> float:
    """The most evidence the parts other than the name can add for this record: only the parts it gives."""
    return (
        (max(TOWNSHIP_BITS.values()) if township_code else 0.0)
        + (SAME_PLACE_BITS if place else 0.0)
        + (max(REGION_BITS.values()) if query.region else 0.0)
        + (LEGAL_FORM_AGREES_BITS if query.legal_form else 0.0)
    )


def _input_slip(query: str, core: str) -> bool:
    """One slip apart (`_name_bits`) by a homophone or by two adjacent characters swapped."""
    if len(query) != len(core):
        return False
    k = next(k for k, (a, b) in enumerate(zip(query, core)) if a != b)
    if query[k + 1 :] == core[k + 1 :]:  # one character replaced
        return sound_alike(query[k], core[k])
    return True  # else, one slip and one length: two adjacent characters swapped


_NUMBERS = re.compile(r"\d+")


def _place_similarity(a: str, b: str) -> float:
    """Character similarity, halved when the house numbers differ: 广达路2号 is not 广达路72号."""
    similarity = fuzz.ratio(a, b) / 100
    return similarity if _NUMBERS.findall(a) == _NUMBERS.findall(b) else similarity / 2


def _township_agreement(a: str, b: str) -> float:
    if a == b:
        return SAME_TOWNSHIP
    return SAME_COUNTY if a[:6] == b[:6] else 0.0
