"""Unit of work with a transactional outbox, and the relay that moves the outbox to Kafka.

The relay publishes with its own producer (shared/messaging/producer.py): it only moves bytes
already encoded, so FastStream's per-message pipeline would be pure overhead on the busiest path
of every service.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter

import orjson

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import Event
from shared.db.engine import driver_connection
from shared.messaging import codec
from shared.messaging.errors import is_transient
from shared.messaging.producer import OutboxProducer
from shared.observability import OUTBOX_PENDING, OUTBOX_PUBLISHED, TRANSIENT_ERRORS

log = logging.getLogger(__name__)
# How often the relay counts its outbox for the pending gauge. Counting a queue table reads every
# dead row its deletes left behind until vacuum: once per idle moment, it was the busiest
# statement of a loaded matcher's database.
PENDING_REFRESH_SECONDS = 10.0


class UnitOfWork:
    """One database transaction; events emitted here are published only if it commits."""

    def __init__(self, session: AsyncSession, outbox: sa.Table) -> None:
        self.session = session
        self._outbox = outbox
        self._rows: list[tuple] = []
        self.emitted = 0

    def emit(self, event: Event, *, key: str | None, topic: str | None = None) -> None:
        """Queue `event` for `topic` (default: the event type's own topic), keyed for ordering."""
        self._rows.append(
            (
                topic or event.topic,
                key.encode() if key is not None else None,
                codec.encode(event),
                orjson.dumps(codec.headers(event)).decode(),
            )
        )
        self.emitted += 1

    async def flush(self) -> None:
        """COPY the queued events into the outbox: every service writes every event it causes here."""
        if self._rows:
            await (await driver_connection(self.session)).copy_records_to_table(
                self._outbox.name,
                schema_name=self._outbox.schema,
                columns=["topic", "key", "value", "headers"],
                records=self._rows,
            )
            self._rows = []


class OutboxRelay:
    """Publishes committed outbox rows in order, deleting them once Kafka acknowledged (acks=all).

    Several instances may relay the same table: `FOR UPDATE SKIP LOCKED` gives each its own
    rows. A crash between publish and delete republishes those rows; consumers drop them by
    event id.
    """

    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker,
        outbox: sa.Table,
        producer: OutboxProducer,
        batch_size: int,
        idle_poll_seconds: float,
    ) -> None:
        self._service = service
        self._sessions = sessions
        self._outbox = outbox
        self._producer = producer
        self._batch_size = batch_size
        self._idle_poll = idle_poll_seconds
        self._wake = asyncio.Event()
        self._counted_at = -PENDING_REFRESH_SECONDS
        table = f"{outbox.schema}.{outbox.name}"
        # `= ANY(ARRAY(…))`, not `IN (…)`: the ids are fetched once and deleted through the primary
        # key; with IN the planner may hash-join the whole table, every batch, under a backlog
        self._take = f"""
            WITH taken AS (
                DELETE FROM {table} WHERE id = ANY(ARRAY(
                    SELECT id FROM {table} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
                )) RETURNING id, topic, key, value, headers
            )
            SELECT topic, key, value, headers FROM taken ORDER BY id
        """

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            await self._relay_forever()
        finally:
            await self._producer.close()

    async def _relay_forever(self) -> None:
        backoff = self._idle_poll
        while True:
            try:
                await self._report_pending()
                relayed = await self.relay_once()
                backoff = self._idle_poll
            except Exception as exc:
                if is_transient(exc):
                    TRANSIENT_ERRORS.labels(self._service, "outbox_relay").inc()
                else:
                    log.exception("outbox relay failed; retrying")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if relayed < self._batch_size:  # caught up: the next take waits for a commit
                await self._idle()

    async def _report_pending(self) -> None:
        if time.monotonic() - self._counted_at < PENDING_REFRESH_SECONDS:
            return
        self._counted_at = time.monotonic()
        async with self._sessions() as session:
            pending = await session.scalar(sa.select(sa.func.count()).select_from(self._outbox))
        OUTBOX_PENDING.labels(self._service).set(pending or 0)

    async def _idle(self) -> None:
        """Until a commit wakes the relay, or the poll interval (commits of other replicas)."""
        try:
            await asyncio.wait_for(self._wake.wait(), self._idle_poll)
        except TimeoutError:
            pass
        self._wake.clear()

    async def relay_once(self) -> int:
        """Take the oldest rows, publish them, and commit their deletion only once all are acked:
        one statement per batch (DELETE … RETURNING); a failed publish rolls the deletion back."""
        async with self._sessions() as session, session.begin():
            connection = await driver_connection(session)
            rows = await connection.fetch(self._take, self._batch_size)
            if not rows:
                return 0
            await self._producer.send_all(rows)  # (topic, key, value, headers): the engine decodes JSON
        for topic, n in Counter(row[0] for row in rows).items():
            OUTBOX_PUBLISHED.labels(self._service, topic).inc(n)
        return len(rows)
