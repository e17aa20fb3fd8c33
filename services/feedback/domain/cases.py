"""A township's case (闭环): its states, who may do what to it, and what each act changes.

A case is an anomaly alert or a match case. It moves 待签收 → 已签收 → 核查中 → 已办结 → 已复核;
a supervisor may 退回 a resolution (back to 核查中, with a reason); 转办 hands it to another
township, which (or whose county) accepts or refuses. Nothing goes backwards except by those
explicit acts, so a case's history is the list of its acts and can be rebuilt from them.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from shared.contracts import CaseState, DispositionEffect, FeedbackAction, SourceKey
from shared.working_days import LOCAL_TZ, WorkingCalendar

from services.feedback.domain.dispositions import Deadlines, Dispositions


class CaseKind(enum.StrEnum):
    ALERT = "alert"
    MATCH_CASE = "match_case"


class Refusal(enum.StrEnum):
    """How an API says no: the act is not allowed to this person, or not in this state, or malformed."""

    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID = "invalid"


class TransitionRefused(ValueError):
    def __init__(self, code: str, message_zh: str, refusal: Refusal = Refusal.CONFLICT) -> None:
        super().__init__(code)
        self.code = code
        self.message_zh = message_zh
        self.refusal = refusal


@dataclass(frozen=True)
class Actor:
    """Who acts: a township's officer (or its lead, who may assign), or a county or city supervisor."""

    role: str  # "township" or "supervisor"
    code: str  # township code; a supervisor's division or city code
    person: str | None = None  # the named person; None for a system's API key
    leads_township: bool = False

    def oversees(self, township_code: str) -> bool:
        if self.role != "supervisor":
            return False
        prefix = self.code[:4] if self.code.endswith("00") else self.code
        return township_code.startswith(prefix)


@dataclass(frozen=True)
class Case:
    case_id: uuid.UUID
    kind: CaseKind
    township_code: str
    state: CaseState
    assignee: str | None = None
    disposition: str | None = None
    transfer_to: str | None = None
    state_before_transfer: CaseState | None = None
    also_townships: tuple[str, ...] = ()  # an alert's jurisdiction question (属地不一致): they see it too

    def visible_to(self, actor: Actor) -> bool:
        codes = {self.township_code, *self.also_townships} | ({self.transfer_to} if self.transfer_to else set())
        if actor.role == "township":
            return actor.code in codes
        return any(actor.oversees(code) for code in codes)


@dataclass(frozen=True)
class ActRequest:
    action: FeedbackAction
    note: str = ""
    disposition: str | None = None
    assignee: str | None = None
    to_township: str | None = None
    not_linked: tuple[SourceKey, ...] = ()  # 非同一主体 on an alert: which of its records' keys (none said: all)


S, A = CaseState, FeedbackAction
# working on a case from 待签收 acknowledges it implicitly (the service layer stamps the time)
_OPEN = (S.PENDING, S.ACKNOWLEDGED, S.VERIFYING)

# action → (states it applies in, who: "township" (the case's), "lead" (its lead or a supervisor),
# "supervisor" (over the case's township), "receiver" (the receiving township or its supervisor))
_RULES: dict[FeedbackAction, tuple[tuple[CaseState, ...], str]] = {
    A.ACKNOWLEDGE: ((S.PENDING,), "township"),
    A.VERIFY: ((S.PENDING, S.ACKNOWLEDGED), "township"),
    A.ADD_EVIDENCE: (_OPEN, "township"),
    A.RESOLVE: (_OPEN, "township"),
    A.LINK: (_OPEN, "township"),
    A.NOT_REGISTERED: (_OPEN, "township"),
    A.SPLIT: (_OPEN, "township"),
    A.NOT_SAME_ENTITY: (_OPEN, "township"),
    A.ASSIGN: (_OPEN, "lead"),
    A.TRANSFER: (_OPEN, "township"),
    A.REVIEW: ((S.RESOLVED,), "supervisor"),
    A.RETURN: ((S.RESOLVED,), "supervisor"),
    A.ACCEPT_TRANSFER: ((S.TRANSFERRING,), "receiver"),
    A.REFUSE_TRANSFER: ((S.TRANSFERRING,), "receiver"),
}

_STATE_REFUSALS = {
    S.RESOLVED: ("already_resolved", "该事项已办结，等待复核"),
    S.REVIEWED: ("already_reviewed", "该事项已复核，流程已结束"),
    S.TRANSFERRING: ("transfer_pending", "该事项正在转办，等待接收方确认"),
}

_NEEDS_NOTE = {
    A.RESOLVE: "办结时须填写核查处理情况",
    A.RETURN: "退回时须说明理由",
    A.TRANSFER: "转办时须说明不属本辖区的理由",
    A.REFUSE_TRANSFER: "拒绝转办时须说明理由",
    A.LINK: "请填写核实情况说明",
    A.NOT_REGISTERED: "请填写核实情况说明",
    A.SPLIT: "请填写核实情况说明",
    A.NOT_SAME_ENTITY: "请填写核实情况说明",
}


def _allowed(who: str, case: Case, actor: Actor) -> bool:
    if who == "township":
        return actor.role == "township" and actor.code == case.township_code
    if who == "lead":
        return (actor.role == "township" and actor.code == case.township_code and actor.leads_township) \
            or actor.oversees(case.township_code)
    if who == "supervisor":
        return actor.oversees(case.township_code)
    assert case.transfer_to is not None
    return (actor.role == "township" and actor.code == case.transfer_to) or actor.oversees(case.transfer_to)


def act(case: Case, actor: Actor, request: ActRequest, dispositions: Dispositions,
        officers: frozenset[str] = frozenset(), townships: frozenset[str] = frozenset()) -> Case:
    """The case after `request`, or TransitionRefused with a stable code and a Chinese reason.

    `officers` are the people of the case's township (an assignee must be one); `townships` the
    codes a case may be transferred to."""
    action = request.action
    if action.decides_match and case.kind is CaseKind.ALERT:
        raise TransitionRefused("wrong_kind", "预警事项不能作关联、无登记或分户决定", Refusal.INVALID)
    states, who = _RULES[action]
    if not _allowed(who, case, actor):
        raise TransitionRefused("not_allowed", {
            "lead": "只有乡镇（街道）负责人或上级督查人员可以指派",
            "supervisor": "只有县（区）或市级督查人员可以复核或退回",
            "receiver": "只有接收转办的乡镇（街道）或其县（区）可以接收或拒绝",
        }.get(who, "只有该事项所属乡镇（街道）可以办理"), Refusal.FORBIDDEN)
    if case.state not in states:
        if action in (A.ACKNOWLEDGE, A.VERIFY) and case.state in (S.ACKNOWLEDGED, S.VERIFYING):
            raise TransitionRefused("already_acknowledged", "该事项已签收" if action is A.ACKNOWLEDGE else "该事项已在核查中")
        code, message = _STATE_REFUSALS.get(case.state, ("not_resolved", "该事项尚未办结，不能复核或退回"))
        raise TransitionRefused(code, message)
    if action in _NEEDS_NOTE and not request.note.strip():
        raise TransitionRefused("note_required", _NEEDS_NOTE[action], Refusal.INVALID)

    if action is A.ACKNOWLEDGE:
        return dataclasses.replace(case, state=S.ACKNOWLEDGED)
    if action in (A.VERIFY, A.ADD_EVIDENCE):  # evidence gathered on site: the verification has begun
        return dataclasses.replace(case, state=S.VERIFYING)
    if action is A.ASSIGN:
        if not request.assignee or request.assignee not in officers:
            raise TransitionRefused("assignee_unknown", "被指派人须为本乡镇（街道）的工作人员", Refusal.INVALID)
        return dataclasses.replace(case, assignee=request.assignee)
    if action is A.RESOLVE:
        disposition = dispositions.get(request.disposition)
        if disposition is None or case.kind.value not in disposition.applies_to:
            raise TransitionRefused("disposition_invalid", "请从处置结果清单中选择：" + "、".join(
                d.label_zh for d in dispositions.for_kind(case.kind.value)), Refusal.INVALID)
        if disposition.effect is DispositionEffect.JURISDICTION and (
                not request.to_township or request.to_township not in townships or request.to_township == case.township_code):
            raise TransitionRefused("township_invalid", "不属本辖区时须选择该主体实际所属的乡镇（街道）", Refusal.INVALID)
        return dataclasses.replace(case, state=S.RESOLVED, disposition=disposition.id)
    if action.decides_match:
        return dataclasses.replace(case, state=S.RESOLVED, disposition=action.value)
    if action is A.REVIEW:
        return dataclasses.replace(case, state=S.REVIEWED)
    if action is A.RETURN:
        return dataclasses.replace(case, state=S.VERIFYING, disposition=None)
    if action is A.TRANSFER:
        to = request.to_township
        if not to or to not in townships or to == case.township_code:
            raise TransitionRefused("township_invalid", "请选择另一个有效的乡镇（街道）作为转办对象", Refusal.INVALID)
        return dataclasses.replace(case, state=S.TRANSFERRING, transfer_to=to, state_before_transfer=case.state)
    if action is A.ACCEPT_TRANSFER:
        assert case.transfer_to is not None
        return dataclasses.replace(case, township_code=case.transfer_to, state=S.PENDING, assignee=None,
                                   transfer_to=None, state_before_transfer=None)
    assert action is A.REFUSE_TRANSFER
    return dataclasses.replace(case, state=case.state_before_transfer or S.PENDING, transfer_to=None,
                               state_before_transfer=None)


def allowed_actions(case: Case, actor: Actor) -> list[FeedbackAction]:
    """What `actor` may do to the case now (a page shows these buttons, and only these)."""
    return [action for action, (states, who) in _RULES.items()
            if case.state in states and _allowed(who, case, actor)
            and not (action.decides_match and case.kind is CaseKind.ALERT)]


def holder(case: Case) -> str:
    """Who the clock is charged to: the township working on it, the receiver deciding a transfer,
    the supervisors reviewing a resolution; nobody once reviewed."""
    if case.state is S.TRANSFERRING:
        return f"township:{case.transfer_to}"
    if case.state is S.RESOLVED:
        return f"county:{case.township_code[:6]}"
    if case.state is S.REVIEWED:
        return "closed"
    return f"township:{case.township_code}"


def deadlines(received_at: datetime, time_allowed: Deadlines, calendar: WorkingCalendar) -> tuple[date | None, date | None]:
    """签收 and 办结 deadlines in working days of the official calendar, counted from the day (in
    China) the township received the case; None where that year's calendar is not published yet."""
    day = received_at.astimezone(LOCAL_TZ).date()
    return (calendar.deadline(day, time_allowed.acknowledge_working_days),
            calendar.deadline(day, time_allowed.resolve_working_days))


def unlinked_sources(evidence: Mapping | None, chosen: tuple[SourceKey, ...] = ()) -> list[SourceKey]:
    """The department keys a 非同一主体 finding on an alert names to the matcher: those the officer
    chose among the alert's records (all of them when none is chosen), as its evidence packet says
    they were linked. An alert whose packet does not say (raised before the matcher's explanation
    was kept) cannot be resolved so: nothing would reach the matcher."""
    links = (evidence or {}).get("links") or []
    known = list(dict.fromkeys(SourceKey(department=k["department"], source_key=k["source_key"]) for k in links))
    if not known:
        raise TransitionRefused("no_sources", "该预警未记录其数据的关联来源，无法认定非同一主体；请按“数据错误”处理")
    if strangers := [c for c in chosen if c not in known]:
        raise TransitionRefused("source_not_in_alert", f"所选记录（{strangers[0].department} {strangers[0].source_key}）不属于该预警",
                                Refusal.INVALID)
    return list(dict.fromkeys(chosen)) or known
