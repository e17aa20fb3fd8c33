"""Transport: record-imported in; record-matched or match-failed out (through the outbox)."""

from __future__ import annotations

from shared import topics
from shared.contracts import (
    MatchFailed,
    MatchFailedPayload,
    RecordImported,
    RecordMatched,
    RecordMatchedPayload,
)
from shared.messaging.outbox import UnitOfWork
from shared.records import Registration

from services.matcher.domain.matching import Entity, Linked, link
from services.matcher.storage import repository
from services.matcher.telemetry import OUTCOMES

PRODUCER = "matcher"


async def on_record_imported(events: list[RecordImported], uow: UnitOfWork) -> None:
    # the registry is keyed by USCC; entities known only by their old registration number are not linkable yet
    registrations = [e for e in events if e.payload.kind == "registration" and e.payload.uscc]
    await repository.upsert_entities(uow.session, [(_entity(e), e.payload.version) for e in registrations])
    others = [e for e in events if e.payload.kind != "registration"]
    known = await repository.find_entities(uow.session, (e.payload.uscc for e in others if e.payload.uscc))
    for event in others:
        record = event.payload
        decision = link(record, known.get(record.uscc) if record.uscc else None)
        if isinstance(decision, Linked):
            matched = RecordMatched.create(
                RecordMatchedPayload(
                    record=record,
                    uscc=decision.entity.uscc,
                    entity_name=decision.entity.name,
                    entity_township_code=decision.entity.township_code,
                    method=decision.method,
                    score=decision.score,
                    explanation=decision.explanation,
                ),
                producer=PRODUCER,
                correlation_id=event.correlation_id,
                cause=event,
            )
            uow.emit(matched, key=decision.entity.uscc)
            OUTCOMES.labels("matched", decision.method).inc()
        else:
            failed = MatchFailed.create(
                MatchFailedPayload(
                    record=record, reason=decision.reason, township_code=record.township_code, message_zh=decision.message_zh
                ),
                producer=PRODUCER,
                correlation_id=event.correlation_id,
                cause=event,
            )
            key = f"{record.department}:{record.source_key}"
            uow.emit(failed, key=key)
            uow.emit(failed, key=key, topic=topics.township_alerts(record.township_code))
            OUTCOMES.labels("failed", decision.reason).inc()


def _entity(event: RecordImported) -> Entity:
    registration = Registration.model_validate(event.payload.data)
    return Entity(registration.uscc, registration.name, registration.township_code, registration.status)
