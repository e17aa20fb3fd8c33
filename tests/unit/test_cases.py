"""The case state machine: every act in every state, who may do it, and the Chinese reason when not."""

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from shared.contracts import CaseState as S
from shared.contracts import FeedbackAction as A
from shared.contracts import SourceKey
from shared.working_days import WorkingCalendar

from services.feedback.domain.cases import (
    ActRequest,
    Actor,
    Case,
    CaseKind,
    Refusal,
    TransitionRefused,
    act,
    allowed_actions,
    deadlines,
    holder,
    unlinked_sources,
)
from services.feedback.domain.dispositions import CasePolicyError, Deadlines, Dispositions, load_policy, parse_policy
from services.feedback.domain.photos import PhotoRefused, inspect

HOME, OTHER, ELSEWHERE = "445202001", "445202002", "445281001"  # two townships of 榕城区, one of 普宁市
OFFICER = Actor("township", HOME, "zhang")
LEAD = Actor("township", HOME, "li", leads_township=True)
NEIGHBOUR = Actor("township", OTHER, "wang")
COUNTY = Actor("supervisor", "445202", "chen")
CITY = Actor("supervisor", "445200", "zhao")
FAR_COUNTY = Actor("supervisor", "445281", "sun")
POLICY = load_policy()
DISPOSITIONS = Dispositions(POLICY.dispositions)
TOWNSHIPS = frozenset({HOME, OTHER, ELSEWHERE})


def case(state=S.PENDING, kind=CaseKind.ALERT, **more) -> Case:
    return Case(uuid.uuid4(), kind, HOME, state, **more)


def do(c: Case, actor: Actor, action: A, **request) -> Case:
    return act(c, actor, ActRequest(action, **request), DISPOSITIONS, officers=frozenset({"zhang"}), townships=TOWNSHIPS)


def refused(c: Case, actor: Actor, action: A, **request) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as caught:
        do(c, actor, action, **request)
    return caught.value


def test_the_whole_way_from_pending_to_reviewed():
    c = do(case(), OFFICER, A.ACKNOWLEDGE)
    assert c.state is S.ACKNOWLEDGED
    c = do(c, OFFICER, A.VERIFY)
    assert c.state is S.VERIFYING
    c = do(c, OFFICER, A.RESOLVE, note="现场核实，企业已补充申报", disposition="confirmed_rectified")
    assert (c.state, c.disposition) == (S.RESOLVED, "confirmed_rectified")
    c = do(c, COUNTY, A.REVIEW)
    assert c.state is S.REVIEWED
    assert holder(c) == "closed"


def test_a_return_sends_the_resolution_back_to_verification_with_its_reason():
    resolved = do(case(S.VERIFYING), OFFICER, A.RESOLVE, note="已整改", disposition="confirmed_rectified")
    assert refused(resolved, COUNTY, A.RETURN).code == "note_required"
    back = do(resolved, CITY, A.RETURN, note="照片不能证明已整改")
    assert (back.state, back.disposition) == (S.VERIFYING, None)
    again = do(back, OFFICER, A.RESOLVE, note="补充照片", disposition="confirmed_rectified")
    assert again.state is S.RESOLVED


@pytest.mark.parametrize("action", [A.VERIFY, A.RESOLVE])
def test_working_on_a_pending_case_takes_it_on(action):
    c = do(case(), OFFICER, action, note="已核实", disposition="false_positive")
    assert c.state in (S.VERIFYING, S.RESOLVED)


@pytest.mark.parametrize("state, action, code", [
    (S.ACKNOWLEDGED, A.ACKNOWLEDGE, "already_acknowledged"),
    (S.VERIFYING, A.ACKNOWLEDGE, "already_acknowledged"),
    (S.VERIFYING, A.VERIFY, "already_acknowledged"),
    (S.RESOLVED, A.ACKNOWLEDGE, "already_resolved"),
    (S.RESOLVED, A.RESOLVE, "already_resolved"),
    (S.RESOLVED, A.TRANSFER, "already_resolved"),
    (S.REVIEWED, A.RESOLVE, "already_reviewed"),
    (S.REVIEWED, A.RETURN, "already_reviewed"),
    (S.TRANSFERRING, A.RESOLVE, "transfer_pending"),
    (S.PENDING, A.REVIEW, "not_resolved"),
    (S.VERIFYING, A.RETURN, "not_resolved"),
])
def test_nothing_goes_backwards_or_repeats(state, action, code):
    actor = COUNTY if action in (A.REVIEW, A.RETURN) else OFFICER
    c = case(state, transfer_to=OTHER if state is S.TRANSFERRING else None)
    error = refused(c, actor, action, note="说明", disposition="confirmed_rectified", to_township=OTHER)
    assert (error.code, error.refusal) == (code, Refusal.CONFLICT)
    assert error.message_zh


@pytest.mark.parametrize("actor, action", [
    (NEIGHBOUR, A.ACKNOWLEDGE),  # another township's case
    (COUNTY, A.ACKNOWLEDGE),  # supervisors review; townships work
    (OFFICER, A.REVIEW),  # a township cannot pass its own work
    (FAR_COUNTY, A.REVIEW),  # another county's supervisor
    (OFFICER, A.ASSIGN),  # only the lead assigns
])
def test_who_may_act(actor, action):
    state = S.RESOLVED if action is A.REVIEW else S.PENDING
    error = refused(case(state), actor, action, assignee="zhang")
    assert (error.code, error.refusal) == ("not_allowed", Refusal.FORBIDDEN)
    assert "只有" in error.message_zh


def test_a_lead_or_a_supervisor_assigns_to_an_officer_of_the_township():
    assert do(case(), LEAD, A.ASSIGN, assignee="zhang").assignee == "zhang"
    assert do(case(S.VERIFYING), COUNTY, A.ASSIGN, assignee="zhang").assignee == "zhang"
    assert refused(case(), LEAD, A.ASSIGN, assignee="stranger").code == "assignee_unknown"


def test_a_resolution_needs_a_note_and_a_disposition_from_the_list_for_its_kind():
    c = case(S.VERIFYING)
    assert refused(c, OFFICER, A.RESOLVE, disposition="confirmed_rectified").code == "note_required"
    error = refused(c, OFFICER, A.RESOLVE, note="已核实", disposition="looks_fine")
    assert error.code == "disposition_invalid" and "属实-已整改" in error.message_zh
    match_case = case(S.VERIFYING, kind=CaseKind.MATCH_CASE)
    assert refused(match_case, OFFICER, A.RESOLVE, note="x", disposition="false_positive").code == "disposition_invalid"
    assert refused(match_case, OFFICER, A.RESOLVE, note="x", disposition="not_same_entity").code == "disposition_invalid"
    assert do(match_case, OFFICER, A.NOT_SAME_ENTITY, note="x").disposition == "not_same_entity"


def test_not_in_this_jurisdiction_names_the_township_the_entity_belongs_to():
    c = case(S.VERIFYING)
    assert refused(c, OFFICER, A.RESOLVE, note="实际在邻镇", disposition="not_jurisdiction").code == "township_invalid"
    assert do(c, OFFICER, A.RESOLVE, note="实际在邻镇", disposition="not_jurisdiction", to_township=OTHER).state is S.RESOLVED


def test_match_decisions_resolve_match_cases_only():
    assert do(case(kind=CaseKind.MATCH_CASE), OFFICER, A.LINK, note="x").state is S.RESOLVED
    assert refused(case(), OFFICER, A.LINK, note="x").code == "wrong_kind"


def test_a_transfer_is_accepted_by_the_receiving_township_or_its_county():
    moving = do(case(S.ACKNOWLEDGED), OFFICER, A.TRANSFER, note="企业实际在邻镇经营", to_township=OTHER)
    assert (moving.state, moving.transfer_to, holder(moving)) == (S.TRANSFERRING, OTHER, f"township:{OTHER}")
    assert moving.visible_to(NEIGHBOUR) and moving.visible_to(OFFICER)
    assert refused(moving, OFFICER, A.ACCEPT_TRANSFER).code == "not_allowed"
    taken = do(moving, NEIGHBOUR, A.ACCEPT_TRANSFER)
    assert (taken.township_code, taken.state, taken.transfer_to) == (OTHER, S.PENDING, None)
    assert not taken.visible_to(OFFICER)
    assert do(moving, COUNTY, A.ACCEPT_TRANSFER).township_code == OTHER


def test_a_refused_transfer_comes_back_as_it_was():
    moving = do(case(S.VERIFYING), OFFICER, A.TRANSFER, note="不属本镇", to_township=OTHER)
    assert refused(moving, NEIGHBOUR, A.REFUSE_TRANSFER).code == "note_required"
    back = do(moving, NEIGHBOUR, A.REFUSE_TRANSFER, note="企业注册地与经营地均在原镇")
    assert (back.township_code, back.state, back.transfer_to) == (HOME, S.VERIFYING, None)


@pytest.mark.parametrize("to", [None, HOME, "445299999"])
def test_a_transfer_needs_another_known_township(to):
    assert refused(case(), OFFICER, A.TRANSFER, note="x", to_township=to).code == "township_invalid"


def test_the_acts_offered_are_the_ones_that_would_be_accepted():
    assert allowed_actions(case(), OFFICER) == [A.ACKNOWLEDGE, A.VERIFY, A.ADD_EVIDENCE, A.RESOLVE, A.TRANSFER]
    assert A.ASSIGN in allowed_actions(case(), LEAD)
    assert allowed_actions(case(S.RESOLVED), COUNTY) == [A.REVIEW, A.RETURN]
    assert allowed_actions(case(S.RESOLVED), OFFICER) == []
    assert allowed_actions(case(), NEIGHBOUR) == []


def test_deadlines_count_working_days_over_national_day():
    received = datetime(2026, 9, 29, 2, tzinfo=UTC)  # Tuesday 29 September, 10:00 in China
    acknowledge, resolve = deadlines(received, Deadlines(acknowledge_working_days=3, resolve_working_days=10),
                                     WorkingCalendar.china())
    # 30 Sep is a working day; 1–7 Oct are 国庆 holidays; 10 Oct (Saturday) is an adjusted working day
    assert acknowledge == date(2026, 10, 9)
    assert resolve == date(2026, 10, 19)


def test_the_shipped_policy_and_a_broken_one():
    assert [d.label_zh for d in DISPOSITIONS.for_kind("alert")][:2] == ["属实-已整改", "属实-已移交部门"]
    broken = "version: x\ndefault_deadlines: {acknowledge_working_days: 3, resolve_working_days: 20}\n" \
             "escalation: {city_after_working_days: 5}\ndispositions:\n" \
             "  - {id: a, label_zh: 甲, applies_to: [alert], effect: confirmed}\n" \
             "  - {id: a, label_zh: 乙, applies_to: [alert], effect: confirmed}\n"
    with pytest.raises(CasePolicyError) as error:
        parse_policy(broken, "case_policy.yaml")
    assert (error.value.line, error.value.field) == (6, "dispositions[1].id")
    unsized = broken.replace("id: a, label_zh: 乙, applies_to: [alert], effect: confirmed",
                             "id: b, label_zh: 乙, applies_to: [alert], effect: suppress")
    with pytest.raises(CasePolicyError, match="suppress_months"):
        parse_policy(unsized, "case_policy.yaml")


def _image(kind: str, size=(1200, 900)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 60)).save(buffer, kind)
    return buffer.getvalue()


def test_a_photo_is_judged_by_its_content():
    photo = inspect(_image("JPEG"), max_bytes=1 << 20)
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 1200, 900)
    with Image.open(io.BytesIO(photo.thumbnail)) as thumb:
        assert max(thumb.size) == 320
    assert inspect(_image("PNG"), max_bytes=1 << 20).content_type == "image/png"


@pytest.mark.parametrize("content, code", [
    (b"", "photo_empty"),
    (b"%PDF-1.7 not a photo at all", "not_an_image"),
    (_image("JPEG")[:200], "not_an_image"),  # a dropped upload, cut short
    (_image("GIF", (10, 10)), "photo_type"),
    (_image("JPEG", (3000, 3000)), "photo_too_large"),
])
def test_what_is_not_a_photo_is_refused_with_a_reason(content, code):
    with pytest.raises(PhotoRefused) as error:
        inspect(content, max_bytes=100_000)
    assert error.value.code == code and error.value.message_zh


def test_an_overdue_case_is_told_to_the_county_then_after_working_days_to_the_city():
    from services.feedback.domain.escalation import escalation

    calendar = WorkingCalendar.china()

    def when(today, escalated=None, on=None, state=S.VERIFYING):
        return escalation(state, date(2026, 9, 25), date(2026, 9, 30), escalated, on, today, calendar, 5)

    assert when(date(2026, 9, 30)) is None  # due today: not late yet
    county = when(date(2026, 10, 1))
    assert (county.level, county.deadline, county.due) == ("county", "resolve", date(2026, 9, 30))
    assert "办结时限" in county.message_zh("恒发五金") and "县（区）" in county.message_zh("恒发五金")
    # five working days after 1 October (国庆 until the 7th, Saturday the 10th worked): 8–13 October
    assert when(date(2026, 10, 13), "county", date(2026, 10, 1)) is None
    assert when(date(2026, 10, 14), "county", date(2026, 10, 1)).level == "city"
    assert when(date(2026, 12, 1), "city", date(2026, 10, 15)) is None  # each level told once
    assert when(date(2026, 12, 1), state=S.RESOLVED) is None
    pending = when(date(2026, 9, 28), state=S.PENDING)
    assert (pending.deadline, pending.due) == ("acknowledge", date(2026, 9, 25))


def test_a_jurisdiction_question_is_seen_by_both_townships_and_worked_by_the_entitys():
    question = case(also_townships=(OTHER,))
    assert question.visible_to(NEIGHBOUR) and question.visible_to(OFFICER)
    assert allowed_actions(question, NEIGHBOUR) == []
    assert not case().visible_to(NEIGHBOUR)


def test_not_the_same_entity_names_the_alerts_record_keys_the_officer_chose():
    def link(department, key):
        return {"department": department, "source_key": key, "kind": "k", "period": "2026-10", "method": "fuzzy_name",
                "score": 0.9, "record_id": str(uuid.uuid4())}
    evidence = {"links": [link("power_supply", "P1"), link("tax", "T1"), link("power_supply", "P1")]}
    power, tax = SourceKey(department="power_supply", source_key="P1"), SourceKey(department="tax", source_key="T1")
    assert unlinked_sources(evidence) == [power, tax]  # none chosen: every key, once
    assert unlinked_sources(evidence, (power,)) == [power]
    with pytest.raises(TransitionRefused) as stranger:
        unlinked_sources(evidence, (SourceKey(department="tax", source_key="T9"),))
    assert stranger.value.code == "source_not_in_alert" and "T9" in stranger.value.message_zh
    for unexplained in (None, {"links": []}):  # an alert raised before links were kept: nothing to tell the matcher
        with pytest.raises(TransitionRefused) as refused:
            unlinked_sources(unexplained)
        assert refused.value.code == "no_sources" and "数据错误" in refused.value.message_zh
