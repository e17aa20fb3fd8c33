"""The matching cascade on a small registry: each stage, and the reasons it gives when it cannot link."""

import uuid
from datetime import UTC, datetime

import pytest

from services.matcher.domain.decision import Thresholds
from services.matcher.domain.index import EntityIndex, RegisteredEntity
from services.matcher.domain.matching import Linked, Unlinked, link, shown, significant
from shared import uscc
from shared.contracts import ImportedRecord, MatchFailureReason, MatchMethod


def _record(uscc, **data):
    return ImportedRecord(
        record_id=uuid.uuid4(), version=1, department="power_supply", kind="power_usage", source_key="0300123456",
        period="2026-10", township_code="445202001", uscc=uscc, received_at=datetime.now(UTC), data=data,
    )


REGISTERED = RegisteredEntity(
    uscc="91350100M000100Y43", registration_number="110108000000016", name="揭阳市恒发五金制品有限公司",
    address="榕城区榕华大道12号", township_code="445202001", status="active",
)
OTHER = RegisteredEntity(
    uscc="91110000600037341L", registration_number=None, name="揭阳市新兴塑料有限公司",
    address="揭东区曲溪镇工业路3号", township_code="445203001", status="active",
)


@pytest.fixture(scope="module")
def index():
    idx = EntityIndex()
    idx.upsert(REGISTERED)
    idx.upsert(OTHER)
    return idx


def test_exact_code_links_with_full_score(index):
    decision = link(_record(REGISTERED.uscc), index, Thresholds())
    assert isinstance(decision, Linked)
    assert (decision.method, decision.score, decision.entity) == (MatchMethod.EXACT_USCC, 1.0, REGISTERED)


def test_old_registration_number_links_when_there_is_no_code(index):
    decision = link(_record(None, registration_number="110108000000016"), index, Thresholds())
    assert isinstance(decision, Linked) and decision.method is MatchMethod.REGISTRATION_NUMBER


def test_fuzzy_name_links_a_record_without_code_and_explains_the_score(index):
    record = _record(None, account_name="揭陽市恒發五金製品有限公司", address="榕城区榕华大道12号")
    decision = link(record, index, Thresholds())
    assert isinstance(decision, Linked), decision
    assert decision.method is MatchMethod.FUZZY_NAME and decision.entity == REGISTERED
    assert "name" in decision.explanation and decision.score >= Thresholds().auto_link


def test_a_registered_code_wins_over_a_similar_name(index):
    decision = link(_record(OTHER.uscc, account_name=REGISTERED.name), index, Thresholds())
    assert isinstance(decision, Linked) and decision.entity == OTHER


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (_record(None), MatchFailureReason.NO_NAME),
        (_record("91445202MA4W123466", account_name="某某商行"), MatchFailureReason.CODE_NOT_REGISTERED),
        (_record(None, account_name="汕头市潮南区完全无关贸易有限公司"), MatchFailureReason.NO_CANDIDATE),
    ],
)
def test_unlinkable_records_say_why_in_chinese(index, record, reason):
    decision = link(record, index, Thresholds())
    assert isinstance(decision, Unlinked)
    assert decision.reason is reason or (reason is MatchFailureReason.NO_CANDIDATE and decision.reason is MatchFailureReason.LOW_CONFIDENCE)
    assert "请核实" in decision.message_zh


def test_review_cases_carry_their_candidates_for_the_township(index):
    decision = link(_record(None, account_name="恒发五金"), index, Thresholds(auto_link=1.0, review=0.3))
    assert isinstance(decision, Unlinked) and decision.candidates
    assert decision.candidates[0].entity == REGISTERED


def _mistyped(code: str, position: int = 17) -> str:
    """`code` with the character at `position` replaced so that the check fails."""
    return next(c for ch in uscc.ALPHABET if not uscc.is_valid(c := code[:position] + ch + code[position + 1 :]))


def test_a_mistyped_check_character_is_corrected_when_the_name_agrees(index):
    decision = link(_record(_mistyped(REGISTERED.uscc), account_name=REGISTERED.name), index, Thresholds())
    assert isinstance(decision, Linked), decision
    assert (decision.method, decision.entity) == (MatchMethod.CORRECTED_USCC, REGISTERED)
    assert decision.explanation["uscc"] == round(17 / 18, 3) and decision.explanation["name"] == 1.0


def test_a_mistyped_code_is_not_linked_on_the_code_alone(index):
    decision = link(_record(_mistyped(REGISTERED.uscc), account_name="揭阳市新兴塑料有限公司"), index, Thresholds())
    assert isinstance(decision, Unlinked) and decision.reason is MatchFailureReason.INVALID_CODE
    assert "校验位" in decision.message_zh and "请核实" in decision.message_zh
    # the entity the code points at, and the one the name points at, both shown
    assert {c.entity for c in decision.candidates} == {REGISTERED, OTHER}


def test_a_code_outside_the_alphabet_is_routed_as_invalid_not_a_crash(index):
    decision = link(_record("91350100M000100YIO", account_name=REGISTERED.name), index, Thresholds())
    assert isinstance(decision, Unlinked) and decision.reason is MatchFailureReason.INVALID_CODE
    assert decision.candidates[0].entity == REGISTERED  # found by its name


def test_a_slip_in_the_first_17_characters_is_found_by_the_name_not_by_the_check(index):
    """The slipped code's first 17 characters are another registered code's: the name decides."""
    neighbour_first17 = REGISTERED.uscc[:16] + ("1" if REGISTERED.uscc[16] != "1" else "2")
    neighbour = RegisteredEntity(
        uscc=neighbour_first17 + uscc.check_character(neighbour_first17), registration_number=None,
        name="揭阳市鸿运电器有限公司", address="榕城区新阳路8号", township_code="445202001", status="active",
    )
    local = EntityIndex()
    for entity in (REGISTERED, OTHER, neighbour):
        local.upsert(entity)
    slipped = neighbour_first17 + REGISTERED.uscc[17]  # the 17th character mistyped, the check as written
    assert not uscc.is_valid(slipped)
    decision = link(_record(slipped, account_name=REGISTERED.name), local, Thresholds())
    assert isinstance(decision, Linked) and decision.entity == REGISTERED, decision


def test_a_weak_candidate_shows_its_score_and_evidence_not_zero(index):
    """Before: candidates went out as round(score, 4), so every weak one said 0.0 while its
    explanation showed a similar name; a township could not tell a near miss from noise."""
    # the name 80 % alike, in another county: so weak that round(score, 4) made it 0.0
    decision = link(_record(None, account_name="揭阳市新兴塑料贸易有限公司", address="榕城区某路1号"), index, Thresholds())
    assert isinstance(decision, Unlinked)
    (candidate,) = [c for c in shown(decision.candidates) if c.uscc == OTHER.uscc]
    assert 0 < candidate.score < 0.00005  # a real probability, small, but not zero
    assert candidate.score == float(f"{decision.candidates[0].score:.3g}")
    assert candidate.explanation["name"] >= 0.8 and candidate.evidence_bits is not None
    assert candidate.evidence_bits == round(decision.candidates[0].evidence_bits, 2) < 11  # below "none of them"


@pytest.mark.parametrize(("score", "expected"), [(0.0000213456, 0.0000213), (0.98765, 0.988), (1.0, 1.0), (0.0, 0.0)])
def test_scores_keep_three_significant_digits(score, expected):
    assert significant(score) == expected
