"""Transport: record-imported in; record-matched or match-failed out (through the outbox)."""

from __future__ import annotations

import time

from shared import topics
from shared.contracts import (
    Candidate as CandidateOut,
    MatchFailed,
    MatchFailedPayload,
    RecordImported,
    RecordMatched,
    RecordMatchedPayload,
)
from shared.messaging.outbox import UnitOfWork
from shared.records import KINDS

from services.matcher.domain.decision import Thresholds
from services.matcher.domain.index import EntityIndex, RegisteredEntity
from services.matcher.domain.matching import Linked, link
from services.matcher.storage import repository
from services.matcher.telemetry import DECISION_SECONDS, OUTCOMES, REGISTRY_SIZE, SCORES

PRODUCER = "matcher"


class MatcherHandlers:
    """Holds this instance's in-memory index. Registrations may arrive on partitions another
    instance owns, so before each batch the index catches up with every write to the shared
    registry table (by its change sequence)."""

    def __init__(self, thresholds: Thresholds, index: EntityIndex | None = None) -> None:
        self._thresholds = thresholds
        self._index = index or EntityIndex()
        self._seen = 0

    async def on_record_imported(self, events: list[RecordImported], uow: UnitOfWork) -> None:
        await self._catch_up(uow)
        # the registry is keyed by USCC; entities known only by their old registration number are not linkable yet
        registrations = [(_entity(e), e.payload.version) for e in events if e.payload.kind == "registration" and e.payload.uscc]
        await repository.upsert_entities(uow.session, registrations)
        for entity, _ in registrations:
            self._index.upsert(entity)
        REGISTRY_SIZE.set(len(self._index))
        for event in events:
            if event.payload.kind != "registration":
                self._decide(event, uow)

    async def _catch_up(self, uow: UnitOfWork) -> None:
        changed, self._seen = await repository.changed_since(uow.session, self._seen)
        for entity in changed:
            self._index.upsert(entity)

    def _decide(self, event: RecordImported, uow: UnitOfWork) -> None:
        record = event.payload
        started = time.perf_counter()
        decision = link(record, self._index, self._thresholds)
        DECISION_SECONDS.labels("matched" if isinstance(decision, Linked) else "failed").observe(
            time.perf_counter() - started
        )
        if isinstance(decision, Linked):
            matched = RecordMatched.create(
                RecordMatchedPayload(
                    record=record,
                    uscc=decision.entity.uscc,
                    entity_name=decision.entity.name,
                    entity_township_code=decision.entity.township_code,
                    method=decision.method,
                    score=round(decision.score, 4),
                    explanation=decision.explanation,
                ),
                producer=PRODUCER,
                correlation_id=event.correlation_id,
                cause=event,
            )
            uow.emit(matched, key=decision.entity.uscc)
            OUTCOMES.labels("matched", decision.method).inc()
            SCORES.labels(decision.method).observe(decision.score)
            return
        failed = MatchFailed.create(
            MatchFailedPayload(
                record=record,
                reason=decision.reason,
                township_code=record.township_code,
                message_zh=decision.message_zh,
                candidates=[
                    CandidateOut(
                        uscc=c.entity.uscc, name=c.entity.name, score=round(c.score, 4), explanation=c.explanation
                    )
                    for c in decision.candidates[:5]
                    if c.entity.uscc
                ],
            ),
            producer=PRODUCER,
            correlation_id=event.correlation_id,
            cause=event,
        )
        key = f"{record.department}:{record.source_key}"
        uow.emit(failed, key=key)
        uow.emit(failed, key=key, topic=topics.township_alerts(record.township_code))
        OUTCOMES.labels("failed", decision.reason).inc()


def _entity(event: RecordImported) -> RegisteredEntity:
    r = KINDS["registration"].read(event.payload.data)
    return RegisteredEntity(
        uscc=r.uscc, registration_number=r.registration_number, name=r.name, address=r.address,
        township_code=r.township_code, status=r.status, former_names=(r.former_name,) if r.former_name else (),
    )
