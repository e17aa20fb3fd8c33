"""Three brokers (replication factor 3, min.insync.replicas 2): kill -9 one while records flow, and the pipeline
goes on; at the end every accepted record is classified exactly once, nothing is dead-lettered, and the killed
broker, started again, rejoins and catches up (back in the in-sync replicas of every partition).

This test starts its own three-broker platform; every other test keeps the session's single broker (fast).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from confluent_kafka.admin import ConfigResource, ResourceType

from deploy.kafka_access import admin_client
from deploy.local.platform import LocalPlatform
from deploy.local.processes import SERVICES
from shared import topics
from shared.messaging.connection import KafkaConnection
from tests.integration.harness import (
    Api, TopicReader, applied, db_scalar, entities_with_power, eventually, townships_of,
)

pytestmark = pytest.mark.integration

BROKERS = 3
ENTITIES = 2_000  # 2,000 registrations + 2,000 power records = 4,000 records
BATCH = 100
PAUSE = 0.1  # between batches: the stream lasts long enough for the kill to land in its middle
FLOWING = [topics.RECORD_IMPORTED, topics.RECORD_MATCHED, topics.MATCH_FAILED, topics.SUBMISSION_ASSESSED]


@pytest.fixture(scope="module")
def replicated(tmp_path_factory) -> Iterator[LocalPlatform]:
    platform = LocalPlatform.on_free_ports(Path(tmp_path_factory.mktemp("replicated")), brokers=BROKERS)
    try:
        platform.start_infrastructure()
        platform.start_services()
        print("\nthree-broker platform up: " + ", ".join(f"{k}={v:.1f}s" for k, v in platform.timings.items()))
        yield platform
    finally:
        platform.stop()


def _partitions(kafka: KafkaConnection) -> dict[tuple[str, int], tuple[int, list[int], list[int]]]:
    """(topic, partition) → (leader, replicas, in-sync replicas) of every topic, the internal ones included."""
    metadata = admin_client(kafka).list_topics(timeout=30)
    return {
        (name, p.id): (p.leader, sorted(p.replicas), sorted(p.isrs))
        for name, topic in metadata.topics.items()
        for p in topic.partitions.values()
    }


async def _topic_config(kafka: KafkaConnection, topic: str, key: str) -> str:
    client = admin_client(kafka)  # kept referenced until the answer is in: its futures die with it
    (future,) = client.describe_configs([ConfigResource(ResourceType.TOPIC, topic)]).values()
    return (await asyncio.wrap_future(future))[key].value


def _busiest_leader(kafka: KafkaConnection) -> int:
    """The broker leading most partitions of the topics the records flow through: the one whose loss hurts most."""
    leaders = collections.Counter(leader for (name, _), (leader, _, _) in _partitions(kafka).items() if name in FLOWING)
    return leaders.most_common(1)[0][0]


async def _dead_letters(kafka: KafkaConnection) -> dict[str, int]:
    """Messages in each dead-letter topic that holds any."""
    consumer = AIOKafkaConsumer(**kafka.aiokafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        dlqs = [t for t in await consumer.topics() if t.endswith(".dlq")]
        partitions = [TopicPartition(t, p) for t in dlqs for p in consumer.partitions_for_topic(t) or ()]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    counts = collections.Counter({tp.topic: offset for tp, offset in ends.items() if offset})
    return dict(counts)


async def test_kill_9_one_of_three_brokers_mid_stream_loses_and_doubles_nothing(replicated):
    platform = replicated
    kafka = platform.kafka.admin
    api = Api(platform)
    township = townships_of("445224")[0]
    registrations, power = entities_with_power(township, ENTITIES, name="副本", account="FO")
    accepted = 0
    posted, killed = asyncio.Event(), asyncio.Event()

    # the platform's topics are replicated as configured
    partitions = _partitions(kafka)
    assert all(len(replicas) == BROKERS for _, replicas, _ in partitions.values()), "every partition on 3 brokers"
    assert {name for name, _ in partitions} >= {*FLOWING, "__consumer_offsets"}
    assert await _topic_config(kafka, topics.RECORD_MATCHED, "min.insync.replicas") == "2"

    async def post(department: str, kind: str, rows: list[dict], kill_after: int | None = None) -> None:
        """Post in batches; after `kill_after` batches, let the broker be killed, and go on once it is."""
        nonlocal accepted
        for number, start in enumerate(range(0, len(rows), BATCH), start=1):
            batch = rows[start : start + BATCH]
            reply = await api.submit(department, kind, batch)
            assert reply.status_code == 200 and reply.json()["accepted"] == len(batch), reply.text
            accepted += len(batch)
            if number == kill_after:
                posted.set()
                await killed.wait()
            await asyncio.sleep(PAUSE)

    try:
        await post("market_regulation", "registration", registrations)
        batches = len(power) // BATCH
        feeding = asyncio.create_task(post("power_supply", "power_usage", power, kill_after=batches // 2))
        await posted.wait()

        async def matching_under_way():  # records of the first half are in every stage of the pipeline
            return (await api.overview_of(township))["matched_records"] >= ENTITIES // 10

        await eventually(matching_under_way, what="power records matched before the kill")
        victim = platform.kafka.node(await asyncio.to_thread(_busiest_leader, kafka))
        victim.kill()  # SIGKILL to its process group: no controlled shutdown, no flush
        killed_at = time.monotonic()
        killed.set()
        matched_at_kill = (await api.overview_of(township))["matched_records"]
        accepted_at_kill = accepted
        await feeding
        fed_after_kill = time.monotonic() - killed_at

        async def all_matched():
            row = await api.overview_of(township)
            return row if row["matched_records"] >= ENTITIES else None

        await eventually(all_matched, timeout=120, what="every power record matched with a broker down")
        settled_after_kill = time.monotonic() - killed_at
        await asyncio.sleep(2)  # let any redelivered duplicates arrive, so that doubling would show
        row = await api.overview_of(township)
        print(f"\nbroker {victim.node_id} killed after {accepted_at_kill} of {2 * ENTITIES} records were accepted "
              f"and {matched_at_kill} of {ENTITIES} power records matched; feeding ended {fed_after_kill:.1f}s "
              f"and every record settled {settled_after_kill:.1f}s after the kill")
        assert accepted_at_kill < 2 * ENTITIES and matched_at_kill < ENTITIES, "the kill must land mid-stream"

        # nothing lost: every accepted record classified once
        assert accepted == 2 * ENTITIES
        assert row["entities"] == ENTITIES
        assert row["records"] == ENTITIES
        assert row["matched_records"] == ENTITIES
        assert row["unmatched_records"] == 0
        matched = "SELECT count(*) FROM analytics.records WHERE township_code = :t AND match_rank = 2"  # 2: matched
        assert await db_scalar(platform, matched, t=township) == 2 * ENTITIES, "registrations and power records"
        # nothing applied twice: each service applied each event once (a redelivery counts as a duplicate)
        metrics = {name: await api.metrics(name) for name in ("matcher", "alerting", "analytics")}
        assert applied(metrics["matcher"], "matcher", topics.RECORD_IMPORTED) == 2 * ENTITIES
        assert applied(metrics["analytics"], "analytics", topics.RECORD_IMPORTED) == 2 * ENTITIES
        assert applied(metrics["analytics"], "analytics", topics.RECORD_MATCHED) == 2 * ENTITIES
        assert applied(metrics["alerting"], "alerting", topics.RECORD_MATCHED) == 2 * ENTITIES
        # and each record was matched by one decision: one event id per record id on record-matched
        async with TopicReader(kafka, topics.RECORD_MATCHED, group_prefix=None) as reader:
            messages = await reader.read_until(lambda m: len({orjson.loads(r.value)["event_id"] for r in m}) >= 2 * ENTITIES)
        decisions = collections.defaultdict(set)
        for message in messages:
            event = orjson.loads(message.value)
            decisions[event["payload"]["record"]["record_id"]].add(event["event_id"])
        assert len(decisions) == 2 * ENTITIES
        assert all(len(ids) == 1 for ids in decisions.values()), "a record matched twice"
        print(f"record-matched holds {len(messages)} messages for {len(decisions)} records")

        # nothing dead-lettered, nothing left in an outbox
        assert await _dead_letters(kafka) == {}
        for schema in SERVICES:
            assert await db_scalar(platform, f"SELECT count(*) FROM {schema}.outbox_dead_letters") == 0, schema

        async def outboxes_empty():
            counts = [await db_scalar(platform, f"SELECT count(*) FROM {schema}.outbox") for schema in SERVICES]
            return not any(counts)

        await eventually(outboxes_empty, what="every outbox relayed")

        # the killed broker comes back and catches up: in the in-sync replicas of every partition again
        started = time.monotonic()
        await asyncio.to_thread(victim.start)

        def caught_up():
            lagging = {tp: isr for tp, (_, replicas, isr) in _partitions(kafka).items() if isr != replicas}
            return not lagging or None

        await eventually(lambda: asyncio.to_thread(caught_up), timeout=90, interval=1,
                         what=f"broker {victim.node_id} back in every partition's in-sync replicas")
        print(f"broker {victim.node_id} restarted and back in sync in {time.monotonic() - started:.1f}s")
        assert all(victim.node_id in isr for _, _, isr in _partitions(kafka).values())
    finally:
        await api.client.aclose()
