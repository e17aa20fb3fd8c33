"""Learned links in the cascade, and the township's decision as the feedback service checks it."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.feedback.domain.cases import TransitionRefused
from services.feedback.domain.match_cases import CaseStatus, decide
from services.matcher.domain.decision import Thresholds
from services.matcher.domain.index import EntityIndex, RegisteredEntity
from services.matcher.domain.matching import LearnedLink, Linked, Shared, Unlinked, link
from shared import uscc
from shared.contracts import FeedbackAction, FeedbackPayload, ImportedRecord, MatchDecision, MatchFailureReason, MatchMethod

FIRST = RegisteredEntity(uscc="91350100M000100Y43", registration_number=None, name="揭阳市恒发五金制品有限公司",
                         address="", township_code="445202001", status="active")
SECOND = RegisteredEntity(uscc="91110000600037341L", registration_number=None, name="揭阳市新兴塑料有限公司",
                          address="", township_code="445202001", status="active")


@pytest.fixture(scope="module")
def index():
    idx = EntityIndex()
    idx.upsert(FIRST)
    idx.upsert(SECOND)
    return idx


def _record(uscc=None, name="陈某某"):
    return ImportedRecord(
        record_id=uuid.uuid4(), version=1, department="power_supply", kind="power_usage", source_key="0300999",
        period="2026-10", township_code="445202001", uscc=uscc, received_at=datetime.now(UTC),
        data={"account_name": name},
    )


def test_a_learned_link_beats_the_fuzzy_stage_but_not_an_exact_code(index):
    learned = LearnedLink(FeedbackAction.LINK, (FIRST.uscc,))
    decision = link(_record(name="揭阳市新兴塑料有限公司"), index, Thresholds(), learned)
    assert isinstance(decision, Linked) and decision.entity == FIRST and decision.method is MatchMethod.LEARNED
    exact = link(_record(uscc=SECOND.uscc), index, Thresholds(), learned)
    assert exact.entity == SECOND and exact.method is MatchMethod.EXACT_USCC


def test_a_learned_link_repairs_an_unregistered_code(index):
    decision = link(_record(uscc="91440000MA00000000"), index, Thresholds(), LearnedLink(FeedbackAction.LINK, (SECOND.uscc,)))
    assert isinstance(decision, Linked) and decision.entity == SECOND


def test_a_split_meter_links_every_sharer_with_its_share(index):
    decision = link(_record(), index, Thresholds(), LearnedLink(FeedbackAction.SPLIT, (FIRST.uscc, SECOND.uscc), (0.4, 0.6)))
    assert isinstance(decision, Shared)
    assert [(p.entity, p.share) for p in decision.parts] == [(FIRST, 0.4), (SECOND, 0.6)]


def test_confirmed_unregistered_is_final_and_a_vanished_entity_goes_back(index):
    confirmed = link(_record(), index, Thresholds(), LearnedLink(FeedbackAction.NOT_REGISTERED, ()))
    assert isinstance(confirmed, Unlinked) and confirmed.reason is MatchFailureReason.CONFIRMED_UNREGISTERED
    unknown = link(_record(), index, Thresholds(), LearnedLink(FeedbackAction.LINK, ("91440000MA00000000",)))
    assert isinstance(unknown, Unlinked) and unknown.reason is MatchFailureReason.CODE_NOT_REGISTERED
    assert "91440000MA00000000" in unknown.message_zh


def _decide(action, usccs=(), shares=None, note="现场核实", status=CaseStatus.OPEN):
    return decide(status, action, "power_supply", "0300999", list(usccs), shares, note)


def test_the_township_decision_is_checked_before_it_is_published():
    assert _decide(FeedbackAction.LINK, [FIRST.uscc.lower()]).usccs == [FIRST.uscc]  # normalised
    assert _decide(FeedbackAction.SPLIT, [FIRST.uscc, SECOND.uscc]).shares == [0.5, 0.5]  # equal by default
    assert _decide(FeedbackAction.NOT_REGISTERED).usccs == []
    wrong_check = FIRST.uscc[:17] + ("0" if uscc.check_character(FIRST.uscc[:17]) != "0" else "1")
    for kwargs, code in [
        ({"action": FeedbackAction.LINK, "usccs": [wrong_check]}, "uscc_invalid"),
        ({"action": FeedbackAction.LINK, "usccs": [FIRST.uscc, SECOND.uscc]}, "usccs_count"),
        ({"action": FeedbackAction.NOT_REGISTERED, "usccs": [FIRST.uscc]}, "usccs_count"),
        ({"action": FeedbackAction.SPLIT, "usccs": [FIRST.uscc, FIRST.uscc]}, "uscc_repeated"),
        ({"action": FeedbackAction.SPLIT, "usccs": [FIRST.uscc, SECOND.uscc], "shares": [0.5, 0.6]}, "shares_invalid"),
        # NaN passes every comparison; once published, every consumer would dead-letter the decision
        ({"action": FeedbackAction.SPLIT, "usccs": [FIRST.uscc, SECOND.uscc], "shares": [float("nan")] * 2}, "shares_invalid"),
        ({"action": FeedbackAction.SPLIT, "usccs": [FIRST.uscc, SECOND.uscc], "shares": [float("inf"), 0.5]}, "shares_invalid"),
        ({"action": FeedbackAction.LINK, "usccs": [FIRST.uscc], "note": "  "}, "note_required"),
        ({"action": FeedbackAction.LINK, "usccs": [FIRST.uscc], "status": CaseStatus.DECIDED}, "already_decided"),
    ]:
        with pytest.raises(TransitionRefused) as refused:
            _decide(**kwargs)
        assert refused.value.code == code, kwargs


def test_the_contract_carries_a_decision_exactly_with_decision_actions():
    common = dict(feedback_id=uuid.uuid4(), alert_id=uuid.uuid4(), township_code="445202001", actor="t",
                  submitted_at=datetime.now(UTC))
    decision = MatchDecision(department="power_supply", source_key="k", usccs=[FIRST.uscc])
    assert FeedbackPayload(**common, action=FeedbackAction.LINK, match=decision).match == decision
    with pytest.raises(ValidationError):
        FeedbackPayload(**common, action=FeedbackAction.LINK)
    with pytest.raises(ValidationError):
        FeedbackPayload(**common, action=FeedbackAction.RESOLVE, match=decision)
    with pytest.raises(ValidationError):
        FeedbackPayload(**common, action=FeedbackAction.SPLIT, match=decision.model_copy(update={"shares": [1.0]}))
    with pytest.raises(ValidationError):  # no event can carry a number JSON cannot
        MatchDecision(department="power_supply", source_key="k", usccs=[FIRST.uscc, SECOND.uscc], shares=[float("nan")] * 2)


def test_the_plans_cases_a_link_or_a_failure_reveals():
    from services.matcher.domain import cases
    from shared.contracts import MatchCase

    power = _record(name="陈某某")
    by_code = Linked(FIRST, MatchMethod.EXACT_USCC, 1.0, {})
    assert cases.of_link(power, by_code, False, cases.EntitySources(power_accounts=1, tax_registered=True)) == [
        MatchCase.METER_UNDER_ANOTHER_NAME]
    own_name = _record(name="揭阳市恒发五金制品有限公司")
    assert cases.of_link(own_name, by_code, True, cases.EntitySources(power_accounts=3, tax_registered=False)) == [
        MatchCase.POWER_WITHOUT_TAX_REGISTRATION, MatchCase.SEVERAL_METERS, MatchCase.SHARED_METER]
    fuzzy = Linked(FIRST, MatchMethod.FUZZY_NAME, 0.95, {})
    assert cases.of_link(power, fuzzy, False, cases.EntitySources(1, True)) == []  # a fuzzy link agreed on the name
    assert cases.of_failure("tax_payment", MatchFailureReason.CODE_NOT_REGISTERED) == [MatchCase.TAXPAYER_WITHOUT_REGISTRATION]
    assert cases.of_failure("power_usage", MatchFailureReason.NO_CANDIDATE) == [MatchCase.POWER_WITHOUT_REGISTRATION]
    assert cases.of_failure("power_usage", MatchFailureReason.AMBIGUOUS) == []  # which business is unknown, not whether


def test_a_legacy_taxpayer_id_links_exactly_by_its_organisation_code(index):
    tax = ImportedRecord(
        record_id=uuid.uuid4(), version=1, department="tax", kind="tax_payment", source_key=FIRST.uscc[2:17],
        period="2026-10", township_code="445202001", uscc=None, received_at=datetime.now(UTC),
        data={"taxpayer_id": FIRST.uscc[2:17], "taxpayer_name": "恒发五金"},
    )
    decision = link(tax, index, Thresholds())
    assert isinstance(decision, Linked) and decision.entity == FIRST and decision.method is MatchMethod.LEGACY_TAXPAYER_ID
    index.remove(FIRST.uscc)
    try:
        assert index.by_legacy_taxpayer_id(FIRST.uscc[2:17]) is None  # forgotten with its entity
    finally:
        index.upsert(FIRST)
