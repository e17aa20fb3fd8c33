"""Service layer of case handling: one act on one case, under the case's row lock, recorded and
published in the same transaction (outbox), replayable without a second effect.

Every route that changes a case (the worklist's acts, a match decision, a photo) comes through
`perform`, so the state machine, the history and the events cannot disagree.
"""

from __future__ import annotations

import calendar
import functools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from shared import ids, topics
from shared.contracts import (
    CaseState,
    DispositionEffect,
    Evidence,
    FeedbackAction,
    FeedbackPayload,
    FeedbackSubmitted,
    MatchDecision,
)
from shared.messaging.outbox import UnitOfWork
from shared.reference import TOWNSHIPS
from shared.service import Service
from shared.working_days import WorkingCalendar

from services.feedback.domain import cases as domain
from services.feedback.domain.cases import ActRequest, Actor, Case, CaseKind, Refusal, TransitionRefused
from services.feedback.domain.dispositions import CasePolicy, Deadlines, Dispositions
from services.feedback.storage import casework, repository
from services.feedback.storage.tables import outbox
from services.feedback.telemetry import FEEDBACK

PRODUCER = "feedback"
_ACT_NAMESPACE = uuid.UUID("0b7f3c52-6a8e-5d21-9f43-2c8e1d7a9b60")


T = TypeVar("T")
Answer = Callable[[AsyncSession, Mapping[str, Any]], Awaitable[T]]
"""Builds a route's reply from the case row after the act (joined as `storage.casework.get_case` reads it)."""


@dataclass(frozen=True)
class Performed(Generic[T]):
    applied: bool  # False: a replay of an act already applied, nothing happened again
    answer: T | None  # what `answer` built, in the act's transaction


class CaseNotFound(LookupError):
    """Absent, or another township's: the same answer, so existence is not disclosed."""


@dataclass(frozen=True)
class Caller:
    actor: Actor
    actor_id: str  # as recorded and published: the principal, with the person's name when there is one
    device: str  # the browser or system the request came from
    idempotency_key: str | None  # the client's key for this act: a retry over a bad network is the same act


def act_id(case_id: uuid.UUID, caller: Caller) -> uuid.UUID:
    """The act's id: the same retried act has the same id, so it is applied once."""
    if caller.idempotency_key is None:
        return uuid.uuid4()
    return ids.uuid5(_ACT_NAMESPACE, f"{case_id}|{caller.actor_id}|{caller.idempotency_key}")


@dataclass(frozen=True)
class Casework:
    service: Service
    policy: CasePolicy
    officers_of: Callable[[str], frozenset[str]]  # the people of a township an assignee may be
    townships: frozenset[str] = frozenset(TOWNSHIPS)  # where a case may be transferred

    @functools.cached_property
    def dispositions(self) -> Dispositions:
        return Dispositions(self.policy.dispositions)

    async def perform(
        self, case_id: uuid.UUID, caller: Caller, request: ActRequest, *,
        evidence: tuple[dict, Evidence] | None = None,
        check: Callable[[AsyncSession], Awaitable[MatchDecision | None]] | None = None,
        answer: Answer[T] | None = None,
    ) -> Performed[T]:
        """Apply the act; `applied` is False when it is a replay of one already applied (nothing
        happens again).

        `check` runs under the case's lock before the state machine, for what only the route knows
        (room for another photo; a match decision, validated and returned to publish); `evidence`
        is stored with the act. `answer` builds the reply from the case as it stands after the act
        (a replay: as it stands now), in the act's own transaction, still under the lock: the
        reply shows exactly this act's effect, without a second transaction to read it back."""
        async with self.service.sessions() as session, session.begin():
            row = await casework.get_case(session, case_id, for_update=True)
            case = casework.case_of(row) if row is not None else None
            if case is None or not case.visible_to(caller.actor):
                raise CaseNotFound(case_id)
            feedback_id = act_id(case_id, caller)
            if caller.idempotency_key is not None and await casework.act_recorded(session, feedback_id):
                return Performed(False, await answer(session, row) if answer is not None else None)
            if row["withdrawn_at"] is not None:
                raise TransitionRefused("alert_withdrawn", "数据已更正，该预警已自动撤销，无需处理")
            match = await check(session) if check is not None else None
            after = domain.act(case, caller.actor, request, self.dispositions,
                               officers=self.officers_of(case.township_code), townships=self.townships)
            now = datetime.now(UTC)
            finding = self._finding(row, after, request, now)
            feedback = FeedbackPayload(
                feedback_id=feedback_id, alert_id=case_id, action=request.action, township_code=after.township_code,
                actor=caller.actor_id, note=request.note, submitted_at=now, match=match, kind=case.kind.value,
                state=after.state, disposition=after.disposition if request.action is FeedbackAction.RESOLVE else None,
                assignee=request.assignee if request.action is FeedbackAction.ASSIGN else None,
                to_township=after.transfer_to if request.action is FeedbackAction.TRANSFER else finding.pop("to_township", None),
                evidence=evidence[1] if evidence else None, device=caller.device[:300],
                **finding,
            )
            if evidence is not None:
                await casework.add_evidence(session, evidence[0])
            if match is not None:
                await repository.record_match_decision(session, feedback)
            updated = await casework.record_act(session, feedback, self._changes(row, case, after, request.action, now),
                                                domain.holder(after))
            uow = UnitOfWork(session, outbox)
            event = FeedbackSubmitted.create(feedback, producer=PRODUCER, correlation_id=case_id)
            uow.emit(event, key=str(case_id))
            for township in dict.fromkeys((case.township_code, after.township_code, after.transfer_to or case.transfer_to)):
                if township:  # the townships' own systems follow every change of their cases
                    uow.emit(event, key=str(case_id), topic=topics.township_alerts(township))
            await uow.flush()
            reply = await answer(session, {**row, **updated}) if answer is not None else None
        self.service.relay.wake()
        FEEDBACK.labels(request.action).inc()
        return Performed(True, reply)

    def _finding(self, row: dict, after: Case, request: ActRequest, now: datetime) -> dict:
        """What a resolution tells the services that act on it: the disposition's effect, and the
        alert it is about (rule, entity, period, records)."""
        if request.action is not FeedbackAction.RESOLVE:
            return {}
        disposition = self.dispositions.get(after.disposition)
        assert disposition is not None  # the state machine accepted it
        finding: dict = {"effect": disposition.effect}
        if disposition.suppress_months is not None:
            finding["suppress_until"] = _months_after(now, disposition.suppress_months)
        if disposition.effect is DispositionEffect.JURISDICTION:
            finding["to_township"] = request.to_township
        if after.kind is CaseKind.ALERT:
            finding |= {"rule": row["subject"], "uscc": row["uscc"], "period": row["period"],
                        "record_ids": row["record_ids"] or []}
            if disposition.effect is DispositionEffect.CANNOT_LINK:
                finding["sources"] = domain.unlinked_sources(row["evidence"], request.not_linked)
        return finding

    def _changes(self, row: dict, before: Case, after: Case, action: FeedbackAction, now: datetime) -> dict:
        """The case's columns after the act: the state machine's fields, and the clock's stamps."""
        changes = {
            "township_code": after.township_code, "state": after.state.value, "assignee": after.assignee,
            "disposition": after.disposition, "transfer_to": after.transfer_to,
            "state_before_transfer": after.state_before_transfer.value if after.state_before_transfer else None,
        }
        if row["acknowledged_at"] is None and after.state not in (CaseState.PENDING, CaseState.TRANSFERRING):
            changes["acknowledged_at"] = now  # working on it acknowledges it
        if after.state is CaseState.RESOLVED and before.state is not CaseState.RESOLVED:
            changes["resolved_at"] = now
        if action is FeedbackAction.RETURN:
            changes["resolved_at"] = None
        if action is FeedbackAction.ACCEPT_TRANSFER:  # the receiving township gets the whole time afresh
            acknowledge_due, resolve_due = domain.deadlines(now, Deadlines(
                acknowledge_working_days=row["acknowledge_working_days"], resolve_working_days=row["resolve_working_days"],
            ), WorkingCalendar.china())
            changes |= {"acknowledge_due": acknowledge_due, "resolve_due": resolve_due, "acknowledged_at": None,
                        "escalation": None, "escalated_at": None}
        return changes


def _months_after(moment: datetime, months: int) -> datetime:
    """The same day `months` calendar months later (the month's last day when it is shorter)."""
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def caller_refusal_status(refused: TransitionRefused) -> int:
    return {Refusal.FORBIDDEN: 403, Refusal.CONFLICT: 409, Refusal.INVALID: 422}[refused.refusal]
