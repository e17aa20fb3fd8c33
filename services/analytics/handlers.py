"""Transport: every event of the flow in, read models out."""

from __future__ import annotations

from itertools import groupby

from shared.contracts import (
    AlertDeadlinePassed,
    AnomalyDetected,
    AnomalyResolved,
    AnomalyUpdated,
    FeedbackAction,
    FeedbackSubmitted,
    ImportedRecord,
    MatchFailed,
    RecordImported,
    RecordMatched,
    SubmissionAssessed,
)
from shared.messaging.outbox import UnitOfWork
from shared.records import KINDS, record_name
from shared.reference import entity_type
from shared.records.kinds import RegistrationEvent, RegistrationStatus

from services.analytics.domain.alerts import month_of
from services.analytics.domain.months import known_at_month_end, section
from services.analytics.domain.overview import (
    ALERT_ACKNOWLEDGED,
    ALERT_OPEN,
    ALERT_RESOLVED,
    MATCH_FAILED,
    MATCH_OK,
    MATCH_PENDING,
)
from services.analytics.storage import repository


def _record_row(record: ImportedRecord, match_rank: int, uscc: str | None = None) -> dict:
    return {
        "record_id": record.record_id,
        "department": record.department,
        "kind": record.kind,
        "township_code": record.township_code,
        "period": record.period,
        "uscc": uscc or record.uscc,
        "version": record.version,
        "match_rank": match_rank,
        "source_key": record.source_key,
        "record_name": record_name(record.data) or None,
    }


async def on_record_imported(events: list[RecordImported], uow: UnitOfWork) -> None:
    entities = []
    for e in events:
        if e.payload.kind == "registration":
            reg = KINDS["registration"].read(e.payload.data)
            entities.append(
                {
                    "entity_key": e.payload.source_key,
                    "name": reg.name,
                    "township_code": reg.township_code,
                    "status": reg.status,
                    "industry_code": reg.industry_code,
                    "industry_section": section(reg.industry_code),
                    "entity_type": entity_type(reg.uscc),
                    "registered_capital": float(reg.registered_capital) if reg.registered_capital is not None else None,
                    "version": e.payload.version,
                    "established_on": reg.established_on
                    or (reg.event_date if reg.event is RegistrationEvent.ESTABLISHMENT else None),
                    "ended_on": reg.event_date if reg.status is not RegistrationStatus.ACTIVE else None,
                }
            )
    await repository.upsert_entities(uow.session, entities)
    await repository.follow_registrations(uow.session, [e["entity_key"] for e in entities])
    await repository.upsert_records(uow.session, [_record_row(e.payload, MATCH_PENDING) for e in events])


# the monthly figures: the kind's field read through its typed model, as alerting reads them
FIGURES = {"power_usage": ("kwh", "kwh"), "tax_payment": ("amount", "tax")}


def _figure(record: ImportedRecord, uscc: str, share: float, township_code: str, entity_name: str) -> dict | None:
    """The record's figure for the entity (by its share of a shared meter, 多户一表); "" as `uscc`: linked to none."""
    if record.kind not in FIGURES or not record.period:
        return None
    field, measure = FIGURES[record.kind]
    value = float(getattr(KINDS[record.kind].read(record.data), field)) * share
    return {
        "record_id": record.record_id, "uscc": uscc, "period": record.period, "measure": measure,
        "version": record.version, "value": value if uscc else None,
        "known": known_at_month_end(record.period, record.received_at),
        "township_code": township_code, "entity_name": entity_name,
    }


async def on_record_matched(events: list[RecordMatched], uow: UnitOfWork) -> None:
    await repository.upsert_records(
        uow.session, [_record_row(e.payload.record, MATCH_OK, e.payload.uscc) for e in events]
    )
    figures = [
        f for e in events
        if (f := _figure(e.payload.record, e.payload.uscc, e.payload.share, e.payload.entity_township_code, e.payload.entity_name))
    ]
    await repository.upsert_figures(uow.session, figures)


async def on_match_failed(events: list[MatchFailed], uow: UnitOfWork) -> None:
    await repository.upsert_records(uow.session, [_record_row(e.payload.record, MATCH_FAILED) for e in events])
    # a version that links to no entity takes its figure from the entities older versions were linked to
    await repository.upsert_figures(
        uow.session, [f for e in events if (f := _figure(e.payload.record, "", 1.0, "", ""))]
    )


async def on_anomaly(
    events: list[AnomalyDetected | AnomalyUpdated | AnomalyResolved | AlertDeadlinePassed], uow: UnitOfWork
) -> None:
    """In order: a detection, a change of its figures, a withdrawal, a detection again, a run of one kind
    at a time (one statement each). A passed deadline is feedback's to escalate; here it marks the alert
    overdue (经济管理监管分析 counts them). Every column is only filled or raised, so a redelivered event
    changes nothing."""
    for kind, run in groupby(events, type):
        if kind is AlertDeadlinePassed:
            await repository.upsert_alerts(uow.session, [{
                "alert_id": p.alert_id, "township_code": p.township_code, "rule": p.rule, "uscc": p.uscc,
                "period": p.period, "month": month_of(p.period), "severity": p.severity, "status_rank": ALERT_OPEN, "overdue": True,
            } for e in run for p in [e.payload]])
        elif kind is AnomalyResolved:
            await repository.withdraw_alerts(uow.session, [{"alert_id": e.payload.alert_id, "withdrawn_at": e.occurred_at} for e in run])
        elif kind is AnomalyUpdated:
            await repository.restate_alerts(uow.session, [{
                "alert_id": p.alert_id, "message_zh": p.message_zh, "facts": dict(p.facts),
                "evidence_months": [m.model_dump() for m in p.evidence.months],
            } for e in run for p in [e.payload]])
        else:
            await repository.upsert_alerts(uow.session, [{
                "alert_id": p.alert_id,
                "township_code": p.township_code,
                "rule": p.rule,
                "message_zh": p.message_zh,
                "uscc": p.uscc,
                "period": p.period,
                "month": month_of(p.period),
                "status_rank": ALERT_OPEN,
                "detected_at": e.occurred_at,
                "entity_name": p.entity_name,
                "severity": p.severity,
                "facts": dict(p.facts),
                "evidence_months": [m.model_dump() for m in p.evidence.months] if p.evidence else None,
            } for e in run for p in [e.payload]])


async def on_feedback_submitted(events: list[FeedbackSubmitted], uow: UnitOfWork) -> None:
    rows = []
    for e in events:
        p = e.payload
        if p.kind == "match_case" or p.action not in (FeedbackAction.ACKNOWLEDGE, FeedbackAction.RESOLVE):
            continue  # a match case's outcome arrives as record-matched / match-failed; other acts change no figure here
        acknowledged = p.action is FeedbackAction.ACKNOWLEDGE
        row = {
            "alert_id": p.alert_id,
            "township_code": p.township_code,
            "status_rank": ALERT_ACKNOWLEDGED if acknowledged else ALERT_RESOLVED,
            "acknowledged_at" if acknowledged else "resolved_at": p.submitted_at,
        }
        if not acknowledged and p.disposition:
            row["disposition"] = p.disposition  # what the township found (feedback's closed list)
            row["effect"] = p.effect.value if p.effect else None
        rows.append(row)
    await repository.upsert_alerts(uow.session, rows)


async def on_submission_assessed(events: list[SubmissionAssessed], uow: UnitOfWork) -> None:
    rows = [e.payload.model_dump() | {"assessed_at": e.occurred_at} for e in events]
    await repository.upsert_submissions(uow.session, rows)
