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
from shared.messaging.producer import OutboxProducer, PublishFailed, Refused
from shared.observability import OUTBOX_PENDING, OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED, TRANSIENT_ERRORS

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
    event id. A row the broker refuses for good (too large, unknown topic, invalid) is moved to
    the outbox's dead letters with the reason in the same transaction, and the relay goes on; a
    failure that may pass (broker down, timeout) rolls the batch back and the relay waits.
    """

    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker,
        outbox: sa.Table,
        dead_letters: sa.Table,
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
        self._dead_letters = f"{dead_letters.schema}.{dead_letters.name}"
        self._bury = (
            f"INSERT INTO {self._dead_letters} (topic, key, value, headers, error_code, error)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
        )

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
            except PublishFailed as exc:
                OUTBOX_PUBLISH_FAILURES.labels(self._service, exc.code, "transient").inc()
                log.warning("outbox relay: the broker did not take the batch (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except Exception as exc:
                if is_transient(exc):
                    TRANSIENT_ERRORS.labels(self._service, "outbox_relay").inc()
                    log.warning("outbox relay: infrastructure unavailable (%r); retrying in %.1fs", exc, backoff)
                else:
                    log.exception("outbox relay failed; retrying in %.1fs", backoff)
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
        """Take the oldest rows, publish them, and commit their deletion only once every one is
        acknowledged or refused for good: one statement per batch (DELETE … RETURNING) and one
        per refused row; a failure that may pass rolls the deletion back."""
        async with self._sessions() as session, session.begin():
            connection = await driver_connection(session)
            rows = await connection.fetch(self._take, self._batch_size)
            if not rows:
                return 0
            refused = await self._producer.send_all(rows)  # (topic, key, value, headers): the engine decodes JSON
            if refused:
                await connection.executemany(self._bury, [_dead_letter(rows[r.position], r) for r in refused])
        for r in refused:
            topic, key, value, headers = rows[r.position]
            OUTBOX_PUBLISH_FAILURES.labels(self._service, r.code, "permanent").inc()
            log.error(
                "outbox relay: event %s (%s, %d bytes) for %s refused for good: %s (%s); moved to %s",
                headers.get("event_id"), headers.get("event_type"), len(value), topic, r.code, r.detail,
                self._dead_letters,
            )
        delivered = Counter(row[0] for row in rows)
        delivered.subtract(rows[r.position][0] for r in refused)
        for topic, n in delivered.items():
            if n:
                OUTBOX_PUBLISHED.labels(self._service, topic).inc(n)
        return len(rows)


def _dead_letter(row, refused: Refused) -> tuple:
    topic, key, value, headers = row
    return topic, key, value, orjson.dumps(headers).decode(), refused.code, refused.detail


class OutboxDeadLetters:
    """What an operator does with the events the broker refused for good: read them, and once the
    cause is fixed (a topic created, an ACL granted), put them back at the end of the outbox."""

    def __init__(self, outbox: sa.Table, dead_letters: sa.Table) -> None:
        self._outbox = outbox
        self._dead = dead_letters

    async def listed(self, session: AsyncSession) -> list:
        d = self._dead
        query = sa.select(d.c.id, d.c.failed_at, d.c.topic, sa.func.length(d.c.value).label("size"), d.c.error_code, d.c.error)
        return list((await session.execute(query.order_by(d.c.id))).all())

    async def requeue(self, session: AsyncSession, ids: list[int] | None) -> int:
        """`ids`: which ones; None for all. Returns how many were moved, in their order."""
        statement = sa.text(
            f"WITH moved AS (DELETE FROM {self._dead.schema}.{self._dead.name} WHERE CAST(:every AS boolean)"
            " OR id = ANY(CAST(:ids AS bigint[])) RETURNING id, topic, key, value, headers)"
            f" INSERT INTO {self._outbox.schema}.{self._outbox.name} (topic, key, value, headers)"
            " SELECT topic, key, value, headers FROM moved ORDER BY id"
        )
        return (await session.execute(statement, {"every": ids is None, "ids": ids or []})).rowcount
