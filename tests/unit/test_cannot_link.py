"""非同一主体: a township verified that a department's source key is not some entities; no stage of
the cascade links that key to them again, until the township explicitly links it."""

import uuid
from datetime import UTC, datetime

import pytest

from services.matcher.domain.decision import Thresholds
from services.matcher.domain.index import EntityIndex, RegisteredEntity
from services.matcher.domain.matching import (
    LearnedLink, Linked, Unlinked, allowed, link, refused_after, without,
)
from shared import uscc
from shared.contracts import FeedbackAction, ImportedRecord, MatchFailureReason, MatchMethod

A = FeedbackAction


def _code(n: int) -> str:
    body = f"91445202{n:09d}"
    return body + uscc.check_character(body)


def _entity(n: int, name: str, registration_number: str | None = None) -> RegisteredEntity:
    return RegisteredEntity(uscc=_code(n), registration_number=registration_number, name=name, address="",
                            township_code="445202001", status="active")


HENGFA = _entity(1, "揭阳市恒发五金制品有限公司", registration_number="445202000012345")
HENGFA_BRANCH = _entity(2, "揭阳市恒发五金制品有限公司揭东分公司")
HONGSHENG = _entity(3, "揭阳市宏盛塑料制品有限公司")
HONGSHENG_HOMOPHONE = _entity(4, "揭阳市鸿盛塑料制品有限公司")  # 宏/鸿: the input method offers both
XINXING = _entity(5, "揭阳市新兴塑料有限公司")
ALL = (HENGFA, HENGFA_BRANCH, HONGSHENG, HONGSHENG_HOMOPHONE, XINXING)


def _index(*entities: RegisteredEntity) -> EntityIndex:
    index = EntityIndex()
    for entity in entities:
        index.upsert(entity)
    return index


@pytest.fixture(scope="module")
def index() -> EntityIndex:
    return _index(*ALL)


def _record(name: str = "陈某某", code: str | None = None, **data) -> ImportedRecord:
    return ImportedRecord(
        record_id=uuid.uuid4(), version=1, department="power_supply", kind="power_usage", source_key="0300999",
        period="2026-10", township_code="445202001", uscc=code, received_at=datetime.now(UTC),
        data={"account_name": name, **data},
    )


def _shown(decision) -> set[str]:
    return {c.entity.uscc for c in decision.candidates}


def test_an_exact_code_the_key_was_verified_not_to_be_is_not_linked(index):
    assert link(_record(code=HENGFA.uscc), index, Thresholds()).entity == HENGFA
    decision = link(_record(code=HENGFA.uscc), index, Thresholds(), refused=frozenset({HENGFA.uscc}))
    assert isinstance(decision, Unlinked) and HENGFA.uscc not in _shown(decision)
    assert f"统一社会信用代码 {HENGFA.uscc} 经乡镇（街道）核实并非其主体" in decision.message_zh
    # the code says nothing any more: the name decides, here another registered business's
    named = link(_record("揭阳市新兴塑料有限公司", code=HENGFA.uscc), index, Thresholds(), refused=frozenset({HENGFA.uscc}))
    assert isinstance(named, Linked) and named.entity == XINXING and named.method is MatchMethod.FUZZY_NAME


def test_a_fuzzy_candidate_refused_is_not_linked_and_the_others_stay_candidates(index):
    record = _record("揭阳市恒发五金制品有限公司")
    assert link(record, index, Thresholds()).entity == HENGFA
    decision = link(record, index, Thresholds(), refused=frozenset({HENGFA.uscc}))
    assert isinstance(decision, Unlinked) and decision.reason is MatchFailureReason.LOW_CONFIDENCE
    assert _shown(decision) == {HENGFA_BRANCH.uscc}  # the branch is still there for the township to judge


def test_taking_a_refused_entity_out_is_matching_as_if_it_were_not_registered(index):
    """Its share of the odds goes back to the others and to "none of them", so a near sibling with
    strong enough evidence is linked; the same as an index without the refused entity."""
    name = "揭阳市宏盛塑料制品有限公司"
    refused = frozenset({HONGSHENG.uscc})
    kept = without(index.candidates(name, "", "445202001"), refused)
    alone = _index(*(e for e in ALL if e is not HONGSHENG)).candidates(name, "", "445202001")
    assert [(c.entity, pytest.approx(c.score)) for c in kept] == [(c.entity, c.score) for c in alone]
    decision = link(_record(name), index, Thresholds(), refused=refused)
    assert isinstance(decision, Linked) and decision.entity == HONGSHENG_HOMOPHONE


def test_no_constraint_costs_nothing(index):
    candidates = index.candidates("揭阳市恒发五金制品有限公司", "", "445202001")
    assert without(candidates, frozenset()) is candidates
    assert without(candidates, frozenset({XINXING.uscc})) is candidates  # refused but not among them
    learned = LearnedLink(A.LINK, (HENGFA.uscc,))
    assert allowed(learned, frozenset()) is learned and allowed(learned, frozenset({XINXING.uscc})) is learned


def test_no_other_stage_links_a_refused_entity(index):
    refused = frozenset({HENGFA.uscc})
    by_number = _record(registration_number=HENGFA.registration_number)
    assert link(by_number, index, Thresholds()).method is MatchMethod.REGISTRATION_NUMBER
    assert isinstance(link(by_number, index, Thresholds(), refused=refused), Unlinked)
    mistyped = HENGFA.uscc[:17] + ("0" if HENGFA.uscc[17] != "0" else "1")
    corrected = link(_record(HENGFA.name, code=mistyped), index, Thresholds())
    assert corrected.entity == HENGFA and corrected.method is MatchMethod.CORRECTED_USCC
    decision = link(_record(HENGFA.name, code=mistyped), index, Thresholds(), refused=refused)
    assert isinstance(decision, Unlinked) and decision.reason is MatchFailureReason.INVALID_CODE
    assert HENGFA.uscc not in _shown(decision)


def test_a_learned_link_to_a_refused_entity_no_longer_applies(index):
    """An earlier link, then 非同一主体 for the same entity: the later finding wins."""
    learned = LearnedLink(A.LINK, (HENGFA.uscc,))
    assert allowed(learned, frozenset({HENGFA.uscc})) is None
    decision = link(_record("揭阳市恒发五金制品有限公司"), index, Thresholds(), learned, frozenset({HENGFA.uscc}))
    assert isinstance(decision, Unlinked) and HENGFA.uscc not in _shown(decision)
    split = LearnedLink(A.SPLIT, (HENGFA.uscc, XINXING.uscc), (0.5, 0.5))
    assert allowed(split, frozenset({XINXING.uscc})) is None
    # a learned link to another entity stays: a refused code does not stop it
    other = link(_record(code=HENGFA.uscc), index, Thresholds(), LearnedLink(A.LINK, (XINXING.uscc,)),
                 frozenset({HENGFA.uscc}))
    assert isinstance(other, Linked) and other.entity == XINXING and other.method is MatchMethod.LEARNED


def test_the_constraint_is_the_union_of_not_same_entity_lifted_per_code_by_a_later_link(index):
    refused = refused_after(frozenset(), A.NOT_SAME_ENTITY, [HENGFA.uscc, HENGFA_BRANCH.uscc])
    refused = refused_after(refused, A.NOT_SAME_ENTITY, [XINXING.uscc])
    assert refused == {HENGFA.uscc, HENGFA_BRANCH.uscc, XINXING.uscc}
    assert refused_after(refused, A.NOT_REGISTERED, []) == refused
    assert refused_after(refused, A.LINK, [HONGSHENG.uscc]) == refused  # a link to another entity lifts nothing
    lifted = refused_after(refused, A.LINK, [HENGFA.uscc])
    assert lifted == {HENGFA_BRANCH.uscc, XINXING.uscc}
    assert refused_after(lifted, A.SPLIT, [XINXING.uscc, HONGSHENG.uscc]) == {HENGFA_BRANCH.uscc}
    # lifted: the township's link to it applies again, and so does the exact code
    learned = LearnedLink(A.LINK, (HENGFA.uscc,))
    decision = link(_record("揭阳市恒发五金制品有限公司"), index, Thresholds(), learned, lifted)
    assert isinstance(decision, Linked) and decision.entity == HENGFA and decision.method is MatchMethod.LEARNED
    assert link(_record(code=HENGFA.uscc), index, Thresholds(), None, lifted).entity == HENGFA
