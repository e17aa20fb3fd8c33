"""Transport: record-matched, submission-assessed and feedback-submitted in; anomaly-detected and
anomaly-resolved out (through the outbox), to all and to the townships concerned."""

from __future__ import annotations

from collections import defaultdict

from shared.contracts import (
    CaseState,
    DispositionEffect,
    Event,
    FeedbackAction,
    FeedbackSubmitted,
    RecordMatched,
    SubmissionAssessed,
)
from shared.messaging.outbox import UnitOfWork
from shared.records import KINDS, RegistrationStatus

from services.alerting import judging
from services.alerting.domain.ruleset import RuleSet
from services.alerting.domain.silences import silence_for
from services.alerting.publishing import publish
from services.alerting.storage import repository

# alerting's view of a case's handling (deadlines, digests), from the state feedback publishes
_STATUS_OF = {CaseState.PENDING: "open", CaseState.ACKNOWLEDGED: "acknowledged", CaseState.VERIFYING: "acknowledged",
              CaseState.TRANSFERRING: "acknowledged", CaseState.RESOLVED: "resolved", CaseState.REVIEWED: "resolved"}
_STATUS_AFTER = {FeedbackAction.ACKNOWLEDGE: "acknowledged", FeedbackAction.RESOLVE: "resolved"}  # events without a state
_FIGURES = {"power_usage": ("kwh", repository.POWER_KIND), "tax_payment": ("amount", repository.TAX_KIND)}


def _fact(event: RecordMatched) -> dict | None:
    """The figure a record gives the rules, by its share of the entity (多户一表)."""
    record = event.payload.record
    if record.kind in _FIGURES:
        field, kind = _FIGURES[record.kind]
        value = float(getattr(KINDS[record.kind].read(record.data), field))
    elif record.kind == "finance_indicator" and record.data.get("indicator") == "net_profit":
        kind, value = repository.NET_PROFIT, float(KINDS[record.kind].read(record.data).value)
    else:
        return None
    return {
        "record_id": record.record_id,
        "version": record.version,
        "uscc": event.payload.uscc,
        "period": record.period,
        "kind": kind,
        "value": value * event.payload.share,
        "entity_name": event.payload.entity_name,
        "township_code": event.payload.entity_township_code,
        "record_township_code": record.township_code,
        "link": {"department": record.department, "kind": record.kind, "source_key": record.source_key,
                 "method": event.payload.method.value, "score": event.payload.score,
                 "explanation": event.payload.explanation},
    }


def _entity(event: RecordMatched) -> dict:
    record = event.payload.record
    registration = KINDS["registration"].read(record.data)
    ended = registration.status in (RegistrationStatus.DEREGISTERED, RegistrationStatus.REVOKED)
    return {
        "uscc": event.payload.uscc,
        "version": record.version,
        "name": registration.name,
        "township_code": registration.township_code,
        "industry_code": registration.industry_code,
        "status": str(registration.status),
        "status_since": (registration.event_date or record.received_at.date()) if ended else None,
    }


class AlertingHandlers:
    def __init__(self, ruleset: RuleSet) -> None:
        self._ruleset = ruleset

    async def on_record_matched(self, events: list[RecordMatched], uow: UnitOfWork) -> None:
        registrations = [e for e in events if e.payload.record.kind == "registration"]
        rows = [(event, fact) for event in events if (fact := _fact(event)) is not None]
        await repository.upsert_entities(uow.session, [_entity(e) for e in registrations])
        dropped, changed = await repository.upsert_facts(uow.session, [fact for _, fact in rows])
        touched: defaultdict[str, set[str]] = defaultdict(set)
        causes: dict[str, Event] = {}
        by_record = {fact["record_id"]: event for event, fact in rows}
        for record_id, uscc, period in dropped:  # a correction linked elsewhere: the entity it left is judged again
            touched[uscc].add(period)
            causes.setdefault(uscc, by_record[record_id])
        for event, fact in rows:
            touched[fact["uscc"]].add(fact["period"])
            causes[fact["uscc"]] = event
        for event in registrations:  # an alert's cause is a figure's record where there is one
            causes.setdefault(event.payload.uscc, event)
        changes = await judging.rejudge(uow.session, self._ruleset, touched, {e.payload.uscc for e in registrations})
        await publish(changes, uow, causes.get)
        await repository.note_changes(uow.session, changed)

    async def on_submission_assessed(self, events: list[SubmissionAssessed], uow: UnitOfWork) -> None:
        """A period closes for a department when its data arrived or its deadline passed: absence
        rules may judge it from then on."""
        for event in events:
            p = event.payload
            missing = judging.CLOSING_STATUSES.get(p.status)
            if missing is None or judging.DEPARTMENTS_JUDGED.get(p.department) != p.kind:
                continue
            if await repository.save_closure(uow.session, p.period, p.department, missing):
                await judging.close_period(uow.session, p.period, event)

    async def on_feedback_submitted(self, events: list[FeedbackSubmitted], uow: UnitOfWork) -> None:
        for event in events:
            p = event.payload
            if p.kind == "match_case" or p.action.decides_match:  # match cases are the matcher's
                continue
            status = _STATUS_OF[p.state] if p.state is not None else _STATUS_AFTER.get(p.action)
            if status is not None:
                await repository.advance_alert_status(uow.session, p.alert_id, status)
            if p.action is FeedbackAction.RETURN:
                await repository.record_finding(uow.session, p.alert_id, None)
            elif p.action is FeedbackAction.RESOLVE and p.effect is not None:
                await self._act_on_finding(uow, event)

    async def _act_on_finding(self, uow: UnitOfWork, event: FeedbackSubmitted) -> None:
        """What the township found changes what alerting believes: a 误报 silences the rule for the
        entity until the policy's date; a moved-out or deregistered entity is no longer judged; an
        entity of another township has its later alerts routed there."""
        p = event.payload
        await repository.record_finding(uow.session, p.alert_id, p.effect)
        silence = silence_for(p, event.event_id)
        if silence is not None:
            await repository.add_silence_once(uow.session, silence)
        if p.effect is DispositionEffect.JURISDICTION and p.uscc and p.to_township:
            await repository.move_entity(uow.session, p.uscc, p.to_township)
