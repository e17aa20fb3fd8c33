"""Transport: record-imported and the townships' decisions (feedback-submitted) in; record-matched or
match-failed out (through the outbox)."""

from __future__ import annotations

import time
from collections import Counter

from shared import topics
from shared.contracts import (
    DispositionEffect,
    Event,
    FeedbackAction,
    FeedbackSubmitted,
    ImportedRecord,
    MatchFailed,
    MatchFailureReason,
    MatchFailedPayload,
    MatchMethod,
    RecordImported,
    RecordMatched,
    RecordMatchedPayload,
    derived_event_id,
)
from shared.messaging.outbox import UnitOfWork
from shared.records import KINDS
from shared.service.runtime import freeze_heap

from services.matcher.domain import cases
from services.matcher.domain.decision import Thresholds
from services.matcher.domain.index import EntityIndex, RegisteredEntity
from services.matcher.domain.matching import (
    NOTHING_KNOWN, Known, LearnedLink, Linked, Shared, Unlinked, link, refused_after, shown, significant,
)
from services.matcher.storage import repository
from services.matcher.telemetry import CASES, LEARNED, OUTCOMES, REGISTRY_SIZE, decision_seconds_of, score_of

PRODUCER = "matcher"
_BULK_LOAD = 10_000
_CATCH_UP_PAGE = 5_000


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
        registrations = [(e, _entity(e)) for e in events if e.payload.kind == "registration" and e.payload.uscc]
        await repository.upsert_entities(uow.session, [(entity, e.payload.version) for e, entity in registrations])
        for _, entity in registrations:
            self._index.upsert(entity)
        REGISTRY_SIZE.set(len(self._index))
        records = [e for e in events if e.payload.kind != "registration"]
        known = await repository.known_for(uow.session, (_key(e.payload) for e in records))
        decided = [(event, self._decide(event.payload, known.get(_key(event.payload), NOTHING_KNOWN))) for event in records]
        held = [event for event, decision in decided if _for_review(decision)]
        if held:  # a township may have just decided some of these keys: look again under their locks
            await repository.lock_source_keys(uow.session, (_key(e.payload) for e in held))
            known = await repository.known_for(uow.session, (_key(e.payload) for e in held))
            decided = [
                (event, self._decide(event.payload, known[_key(event.payload)]))
                if _for_review(decision) and _key(event.payload) in known else (event, decision)
                for event, decision in decided
            ]
            await repository.hold_pending(uow.session, [e.payload for e, d in decided if _for_review(d)])
        # a registration is its own entity's record: who judges entity-months (alerting) learns the
        # registry's facts (industry, status, deregistration) from the same stream as the figures
        registered = [(e.payload, Linked(entity, MatchMethod.EXACT_USCC, 1.0, {"uscc": 1.0}), e) for e, entity in registrations]
        await self._emit_all(registered + [(event.payload, decision, event) for event, decision in decided], uow)

    async def on_feedback_submitted(self, events: list[FeedbackSubmitted], uow: UnitOfWork) -> None:
        """A township's decision for a source key: learned for every later record of that key, and
        applied now to the records waiting for it.

        not_same_entity (非同一主体) adds its entities to the key's cannot-link constraint and leaves
        the key's other decisions as they are; the held records are matched again at once without
        those entities (most go back for review, with the refused no longer among the candidates).
        A later link or split naming a refused entity lifts the constraint for it. An alert resolved as
        非同一主体 does the same for each source key of the alert's records and the alert's entity."""
        await self._catch_up(uow)
        for event in events:
            feedback = event.payload
            if feedback.effect is DispositionEffect.CANNOT_LINK and feedback.uscc:  # an alert's 非同一主体
                for source in feedback.sources:
                    await self._refuse(event, (source.department, source.source_key), [feedback.uscc], uow)
                continue
            if not feedback.action.decides_match:
                continue
            key = (feedback.match.department, feedback.match.source_key)
            if feedback.action is FeedbackAction.NOT_SAME_ENTITY:
                await self._refuse(event, key, feedback.match.usccs, uow)
                continue
            await repository.lock_source_keys(uow.session, [key])
            known = (await repository.known_for(uow.session, [key])).get(key, NOTHING_KNOWN)
            learned = LearnedLink(feedback.action, tuple(feedback.match.usccs), tuple(feedback.match.shares))
            # a decision naming an unregistered USCC goes back to the township; its records stay held
            accepted = all(self._index.by_uscc(uscc) for uscc in learned.usccs)
            refused = known.refused
            if accepted:
                await repository.save_learned(uow.session, feedback)
                refused = refused_after(known.refused, feedback.action, learned.usccs)
                await repository.save_refused(uow.session, feedback, key, known.refused, refused)
            LEARNED.labels(feedback.action if accepted else "refused").inc()
            pending = await repository.pending_of(uow.session, key, release=accepted)
            await self._emit_all([(record, self._decide(record, Known(learned, refused)), event) for record in pending], uow)

    async def _refuse(self, event: FeedbackSubmitted, key: tuple[str, str], usccs: list[str], uow: UnitOfWork) -> None:
        """A 非同一主体 finding for one source key: its records are never linked to `usccs` again, and
        the ones held for review are matched again at once without them."""
        await repository.lock_source_keys(uow.session, [key])
        known = (await repository.known_for(uow.session, [key])).get(key, NOTHING_KNOWN)
        refused = refused_after(known.refused, FeedbackAction.NOT_SAME_ENTITY, usccs)
        await repository.save_refused(uow.session, event.payload, key, known.refused, refused)
        LEARNED.labels(FeedbackAction.NOT_SAME_ENTITY).inc()
        pending = await repository.pending_of(uow.session, key, release=True)
        decided = [(record, self._decide(record, Known(known.learned, refused)), event) for record in pending]
        await repository.hold_pending(uow.session, [record for record, d, _ in decided if _for_review(d)])
        await self._emit_all(decided, uow)

    async def _catch_up(self, uow: UnitOfWork) -> None:
        loaded = 0
        while True:
            changed, self._seen = await repository.changed_since(uow.session, self._seen, _CATCH_UP_PAGE)
            for entity in changed:
                self._index.upsert(entity)
            loaded += len(changed)
            if len(changed) < _CATCH_UP_PAGE:
                break
        if loaded >= _BULK_LOAD:  # the index just loaded: long-lived from here on
            freeze_heap()

    def _decide(self, record: ImportedRecord, known: Known) -> Decision:
        started = time.perf_counter()
        decision = link(record, self._index, self._thresholds, known.learned, known.refused)
        decision_seconds_of("failed" if isinstance(decision, Unlinked) else "matched").observe(
            time.perf_counter() - started
        )
        return decision

    async def _emit_all(self, decided: list[tuple[ImportedRecord, Decision, Event]], uow: UnitOfWork) -> None:
        """`cause` (the third): the record-imported event, or the feedback that resolved a held record.
        Links are noted first, so a record's cases count the links of its own batch."""
        links = [(r, part) for r, decision, _ in decided if not isinstance(decision, Unlinked) for part in decision.parts]
        await repository.note_sources(
            uow.session,
            ((part.entity.uscc, r.department, r.source_key, f) for r, part in links if (f := cases.family(r.kind))),
        )
        sources = await repository.sources_of(uow.session, (p.entity.uscc for r, p in links if r.kind in cases.POWER_KINDS))
        outcomes: Counter[tuple[str, str]] = Counter()  # counted per batch: a metric update per record costs
        found: Counter[str] = Counter()
        for record, decision, cause in decided:
            if isinstance(decision, Unlinked):
                self._emit_failed(record, decision, cause, uow, outcomes, found)
            else:
                self._emit_linked(record, decision, cause, uow, sources, outcomes, found)
        for labels, n in outcomes.items():
            OUTCOMES.labels(*labels).inc(n)
        for case, n in found.items():
            CASES.labels(case).inc(n)

    def _emit_linked(
        self, record: ImportedRecord, decision: Linked | Shared, cause: Event, uow: UnitOfWork,
        sources: dict[str, cases.EntitySources], outcomes: Counter, found_cases: Counter,
    ) -> None:
        for part in decision.parts:
            found = cases.of_link(record, part, isinstance(decision, Shared), sources.get(part.entity.uscc, cases.EntitySources()))
            # one event per record and entity, whatever caused it: the same decision twice has one id
            what = f"record-matched:{record.record_id}:{record.version}:{part.entity.uscc}"
            matched = RecordMatched.create(
                RecordMatchedPayload(
                    record=record,
                    uscc=part.entity.uscc,
                    entity_name=part.entity.name,
                    entity_township_code=part.entity.township_code,
                    method=part.method,
                    score=significant(part.score),
                    explanation=part.explanation,
                    share=part.share,
                    cases=found,
                ),
                producer=PRODUCER,
                correlation_id=record.record_id,
                cause=cause,
                event_id=derived_event_id(cause.event_id, what),
            )
            uow.emit(matched, key=part.entity.uscc)
            outcomes["matched", part.method] += 1
            score_of(part.method).observe(part.score)
            found_cases.update(found)

    def _emit_failed(
        self, record: ImportedRecord, decision: Unlinked, cause: Event, uow: UnitOfWork, outcomes: Counter,
        found_cases: Counter,
    ) -> None:
        found = cases.of_failure(record.kind, decision.reason)
        failed = MatchFailed.create(
            MatchFailedPayload(
                record=record,
                reason=decision.reason,
                township_code=record.township_code,
                message_zh=decision.message_zh,
                candidates=shown(decision.candidates),
                cases=found,
            ),
            producer=PRODUCER,
            correlation_id=record.record_id,
            cause=cause,
            event_id=derived_event_id(cause.event_id, f"match-failed:{record.record_id}:{record.version}"),
        )
        key = f"{record.department}:{record.source_key}"
        uow.emit(failed, key=key)
        if _for_review(decision):
            uow.emit(failed, key=key, topic=topics.township_alerts(record.township_code))
        outcomes["failed", decision.reason] += 1
        found_cases.update(found)


Decision = Linked | Shared | Unlinked


def _key(record: ImportedRecord) -> repository.SourceKey:
    return (record.department, record.source_key)


def _for_review(decision: Decision) -> bool:
    """Sent to the township: everything unlinked except what a township already confirmed."""
    return isinstance(decision, Unlinked) and decision.reason is not MatchFailureReason.CONFIRMED_UNREGISTERED


def _entity(event: RecordImported) -> RegisteredEntity:
    r = KINDS["registration"].read(event.payload.data)
    return RegisteredEntity(
        uscc=r.uscc, registration_number=r.registration_number, name=r.name, address=r.address,
        township_code=r.township_code, status=r.status, former_names=(r.former_name,) if r.former_name else (),
        name_hash=event.payload.pii_hashes.get("name"),
    )
