"""Two instances of a service share one outbox: their relays must publish it in the order it was
written, or a township could get an alert's withdrawal before the alert. Real PostgreSQL and broker,
two relays in small batches racing over the same rows."""

import asyncio
import uuid

import orjson
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db.engine import session_factory
from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table
from shared.messaging.outbox import OutboxRelay
from shared.messaging.producer import OutboxProducer
from tests.integration.harness import eventually

pytestmark = pytest.mark.integration

EVENTS = 400


async def test_two_instances_relays_publish_one_outbox_in_the_order_it_was_written(platform, kafka):
    schema, topic = f"relays_{uuid.uuid4().hex[:8]}", f"relay-order-{uuid.uuid4().hex[:8]}"
    metadata = sa.MetaData(schema=schema)
    outbox, _ = messaging_tables(metadata)
    outbox_dead_letters_table(metadata)
    engine = create_async_engine(platform.database_url)
    admin = AIOKafkaAdminClient(**kafka.aiokafka())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=platform.kafka.replication_factor)])
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
            await connection.run_sync(metadata.create_all)
            await connection.execute(sa.insert(outbox), [
                {"topic": topic, "key": b"one-entity", "value": orjson.dumps({"n": n}), "headers": {}} for n in range(EVENTS)])
        sessions = session_factory(engine=engine)
        relays = [
            OutboxRelay(service=f"relay-{i}", sessions=sessions, outbox=outbox,
                        dead_letters=metadata.tables[f"{schema}.outbox_dead_letters"],
                        producer=OutboxProducer(kafka, f"relay-order-{i}"), batch_size=7, idle_poll_seconds=0.05)
            for i in range(2)
        ]
        running = [asyncio.create_task(relay.run()) for relay in relays]
        try:
            async def drained():
                async with engine.connect() as connection:
                    return await connection.scalar(sa.select(sa.func.count()).select_from(outbox)) == 0 or None
            await eventually(drained, timeout=60, what="the outbox relayed")
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        consumer = AIOKafkaConsumer(topic, **kafka.aiokafka(), group_id=None, auto_offset_reset="earliest")
        await consumer.start()
        try:
            published: list[int] = []
            while len(published) < EVENTS:
                for records in (await asyncio.wait_for(consumer.getmany(timeout_ms=500), 30)).values():
                    published += [orjson.loads(r.value)["n"] for r in records]
        finally:
            await consumer.stop()
    finally:
        await admin.close()
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await engine.dispose()
    assert published == list(range(EVENTS))
