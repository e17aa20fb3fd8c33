"""One consumer shape for every service: batch in, idempotent apply, dead letters, commit after.

A service is one consumer group; its single consumer reads all the topics it subscribes to.
Per batch: every message is decoded (an undecodable one is dead-lettered at once: no retry can
fix it); the valid ones are applied in one transaction together with their event ids in the
inbox, so a redelivered event is skipped. If applying fails for a reason of the message's own,
the batch is split and each event gets bounded retries with backoff before it is dead-lettered
with the reason. If the database or broker is down nothing is dead-lettered: the batch waits and
retries. Offsets are committed only after all of this (at-least-once + inbox = effectively once).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from aiokafka import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from pydantic import ValidationError
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.contracts import Event
from shared.db.engine import driver_connection
from shared.messaging import codec
from shared.messaging.errors import is_transient
from shared.messaging.outbox import OutboxRelay, UnitOfWork
from shared.text import printable
from shared.observability import BATCH_SECONDS, CONSUMER_LAG, DEAD_LETTERS, EVENTS_HANDLED, TRANSIENT_ERRORS
from shared.topics import consumer_group, dead_letter

log = logging.getLogger(__name__)

Handler = Callable[[list[Any], UnitOfWork], Awaitable[None]]
MAX_TRANSIENT_BACKOFF = 5.0
# A dead letter must always be writable: a message near the broker's limit (1 MiB) cannot be
# copied whole with its headers, so past this size only its head is kept, with its size and hash.
DEAD_LETTER_MAX_BYTES = 512 * 1024
DEAD_LETTER_HEAD_BYTES = 64 * 1024


class Decoded(Protocol):
    event_id: uuid.UUID


@dataclass(frozen=True)
class Subscription:
    """What a service consumes from one topic, how a message becomes an event, how a batch is applied.

    `decode` raises codec.DecodeError for a message no retry can fix; the default reads the
    platform's own envelope (`envelope(EventType)`); intake topics bring their own format.
    """

    topic: str
    decode: Callable[[ConsumerRecord], Decoded]
    handler: Handler


def envelope(*events: type[Event]) -> Callable[[ConsumerRecord], Event]:
    """A decoder for the event types a subscription takes (a topic may carry several, such as an
    alert and its resolution); any other type is dead-lettered as one the service does not handle."""
    accepts = {event.type_name(): event for event in events}
    return lambda record: codec.decode(record.value, accepts)


@dataclass(frozen=True)
class _Item:
    record: ConsumerRecord
    event: Decoded


@dataclass(frozen=True)
class _Failed:
    record: ConsumerRecord
    code: str
    detail: str
    attempts: int


class EventConsumer:
    def __init__(
        self,
        *,
        service: str,
        subscriptions: Sequence[Subscription],
        sessions: async_sessionmaker,
        outbox: sa.Table,
        processed: sa.Table,
        broker: KafkaBroker,
        relay: OutboxRelay,
        batch_size: int,
        batch_timeout_ms: int,
        max_attempts: int,
        retry_backoff: float,
        after_commit: Callable[[set[str]], Awaitable[None]] | None = None,  # the topics of what a batch applied
    ) -> None:
        self._service = service
        self._subs: Mapping[str, Subscription] = {s.topic: s for s in subscriptions}
        self._sessions = sessions
        self._outbox = outbox
        # the inbox: one array statement per batch, returning the ids not seen before
        self._remember = (
            f"INSERT INTO {processed.schema}.{processed.name} (event_id, topic)"
            " SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING RETURNING event_id"
        )
        self._broker = broker
        self._relay = relay
        self._after_commit = after_commit
        self._max_attempts = max_attempts
        self._backoff = retry_backoff
        broker.subscriber(
            *self._subs,
            group_id=consumer_group(service),
            batch=True,
            max_records=batch_size,
            batch_timeout_ms=batch_timeout_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_raw_values,
            title=f"{service}-consumer",
        )(self._on_batch)

    async def _on_batch(self, message: KafkaMessage) -> None:
        records: Sequence[ConsumerRecord] = message.raw_message
        started = time.perf_counter()
        decoded: list[_Item] = []
        failed: list[_Failed] = []
        for record in records:
            try:
                decoded.append(_Item(record, self._subs[record.topic].decode(record)))
            except codec.DecodeError as exc:
                failed.append(_Failed(record, exc.code, str(exc), 1))
            except Exception as exc:  # a decoder's own fault must not stop the partition either
                log.exception("decoding %s[%d]@%d failed", record.topic, record.partition, record.offset)
                failed.append(_Failed(record, "undecodable", f"{type(exc).__name__}: {exc}", 1))
        if decoded:
            failed += await self._apply_isolating_failures(decoded)
        for item in failed:
            await self._dead_letter(item)
        BATCH_SECONDS.labels(self._service).observe(time.perf_counter() - started)
        self._record_lag(message, records)

    async def _apply_isolating_failures(self, batch: list[_Item]) -> list[_Failed]:
        if len(batch) > 1:
            try:
                await self._apply_waiting_out_outages(batch)
                return []
            except Exception:
                log.warning("batch of %d failed; applying its events one by one", len(batch), exc_info=True)
        failed = []
        for item in batch:
            if failure := await self._apply_one_with_retries(item):
                failed.append(failure)
        return failed

    async def _apply_one_with_retries(self, item: _Item) -> _Failed | None:
        for attempt in range(1, self._max_attempts + 1):
            try:
                await self._apply_waiting_out_outages([item])
                return None
            except ValidationError as exc:  # the event's content is wrong: no retry can fix it
                return _Failed(item.record, "invalid_payload", _first_line(exc), attempt)
            except Exception as exc:
                if attempt == self._max_attempts:
                    log.error("event %s failed %d times: %r", item.event.event_id, attempt, exc)
                    return _Failed(item.record, "handler_failed", f"{type(exc).__name__}: {exc}", attempt)
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        return None

    async def _apply_waiting_out_outages(self, batch: list[_Item]) -> None:
        backoff = self._backoff
        while True:
            try:
                await self._apply(batch)
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                TRANSIENT_ERRORS.labels(self._service, "consume").inc()
                log.warning("infrastructure unavailable (%r); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_TRANSIENT_BACKOFF)

    async def _apply(self, batch: list[_Item]) -> None:
        async with self._sessions() as session, session.begin():
            connection = await driver_connection(session)
            inserted = await connection.fetch(
                self._remember, [i.event.event_id for i in batch], [i.record.topic for i in batch]
            )
            fresh_ids = {row[0] for row in inserted}
            by_topic: dict[str, list[Decoded]] = {}
            for item in batch:
                if item.event.event_id in fresh_ids:
                    fresh_ids.discard(item.event.event_id)  # a second copy in the same batch is a duplicate
                    by_topic.setdefault(item.record.topic, []).append(item.event)
            uow = UnitOfWork(session, self._outbox)
            for topic, events in by_topic.items():
                await self._subs[topic].handler(events, uow)
            await uow.flush()
        if by_topic and self._after_commit:
            try:
                await self._after_commit(set(by_topic))
            except Exception:  # the batch is committed: never apply it again for this (read_cache's max_age)
                log.warning("after-commit hook of %s failed", self._service, exc_info=True)
        for topic in {i.record.topic for i in batch}:
            applied = len(by_topic.get(topic, ()))
            EVENTS_HANDLED.labels(self._service, topic, "applied").inc(applied)
            EVENTS_HANDLED.labels(self._service, topic, "duplicate").inc(
                sum(i.record.topic == topic for i in batch) - applied
            )
        if uow.emitted:
            self._relay.wake()

    async def _dead_letter(self, item: _Failed) -> None:
        record = item.record
        value, headers = dead_letter_message(record, item.code, item.detail, item.attempts, self._service)
        backoff = self._backoff
        while True:  # the dead letter is the message's only copy once the offset is committed
            try:
                await self._broker.publish(value, dead_letter(record.topic), key=record.key, headers=headers)
                break
            except Exception as exc:
                TRANSIENT_ERRORS.labels(self._service, "dead_letter").inc()
                log.error("cannot write the dead letter of %s[%d]@%d (%r); retrying in %.1fs",
                          record.topic, record.partition, record.offset, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_TRANSIENT_BACKOFF)
        DEAD_LETTERS.labels(self._service, record.topic, item.code).inc()
        EVENTS_HANDLED.labels(self._service, record.topic, "dead_lettered").inc()
        log.warning(
            "dead-lettered %s[%d]@%d: %s (%s)", record.topic, record.partition, record.offset, item.code, item.detail
        )

    def _record_lag(self, message: KafkaMessage, records: Sequence[ConsumerRecord]) -> None:
        last: dict[TopicPartition, int] = {}
        for record in records:
            last[TopicPartition(record.topic, record.partition)] = record.offset
        for tp, offset in last.items():
            highwater = message.consumer.highwater(tp)
            if highwater is not None:
                CONSUMER_LAG.labels(self._service, tp.topic, str(tp.partition)).set(max(highwater - offset - 1, 0))


def dead_letter_message(
    record: ConsumerRecord, code: str, detail: str, attempts: int, service: str
) -> tuple[bytes, dict[str, str]]:
    """The dead letter's value and headers: the original and why it failed, where it came from.
    A value too large to copy is cut to its head, and the headers say so, with its size and hash."""
    value = record.value or b""
    headers = {
        "dlq_original_topic": record.topic,
        "dlq_original_partition": str(record.partition),
        "dlq_original_offset": str(record.offset),
        "dlq_error_code": code,
        "dlq_error": printable(detail)[:2000],
        "dlq_attempts": str(attempts),
        "dlq_service": service,
        "dlq_failed_at": datetime.now(UTC).isoformat(),
    }
    if len(value) + len(record.key or b"") > DEAD_LETTER_MAX_BYTES:
        headers |= {
            "dlq_truncated": "true",
            "dlq_original_size": str(len(value)),
            "dlq_original_sha256": hashlib.sha256(value).hexdigest(),
        }
        value = value[:DEAD_LETTER_HEAD_BYTES]
    return value, headers


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:2000]


async def _raw_values(message: Any) -> list[bytes | None]:
    """Skip FastStream's JSON decoding: a malformed value must reach our dead-letter path."""
    return [record.value for record in message.raw_message]
