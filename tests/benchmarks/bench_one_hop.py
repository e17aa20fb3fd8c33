"""The ceiling one plain Python hop sets on this machine and broker: the yardstick of issue 14's ratio.

    PYTHONPATH=. .venv/bin/python -m tests.benchmarks.bench_one_hop [--messages 50000] [--batch 500] [--brokers 1]

One process does what every service does per event, and nothing else: consume a batch with aiokafka (its own
consumer group, manual commits), parse each message's JSON, stamp it as a derived event and serialise it again,
republish every message with an idempotent `acks=all` producer, wait for the acknowledgements, commit the
batch's offsets. No database, no validation, no outbox. The messages are copies of a real event (by default one
`record-matched` event the platform published in the same run, else the sample below), each with its own
event id, spread by key over as many partitions as the platform's hot topics.

bench_pipeline runs it against its own broker after the throughput phase and prints the pipeline's rows/s
divided by this hop's msgs/s; run alone, it starts a platform's infrastructure (broker, PostgreSQL) without
the services. Results are recorded in docs/benchmarks/pipeline.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from deploy.local.platform import LocalPlatform
from deploy.topics import ensure_topics
from shared import topics
from shared.messaging.connection import KafkaConnection
from shared.topics import TopicSpec
from tests.benchmarks.bench_alerting_live import _server_pids
from tests.benchmarks.bench_matcher import _cpu_seconds

SOURCE, SINK = "bench.one-hop.in", "bench.one-hop.out"

# A record-matched event of the demo month's shape (a power record linked by its code, 1.2 kB), valid against the
# contract (tests/unit/test_bench_one_hop.py), for when no real one is at hand: the benchmark prefers the
# platform's own (`sample_event`; 1.3 kB in the demo month).
SAMPLE = orjson.dumps({
    "event_id": "8f0e5f1e-6a0e-5c55-9a0f-3b8e8d1d2f10", "event_type": "record-matched", "schema_version": 1,
    "occurred_at": "2026-12-03T09:30:00.123456+00:00", "producer": "matcher",
    "correlation_id": "0b7f4a4e-1d9e-4d5c-8c5e-52c1c1f5d0a3", "causation_id": "2d1c7d0b-9a43-5c7e-b1c8-7f2a3e9c4b55",
    "payload": {
        "record": {
            "record_id": "0b7f4a4e-1d9e-4d5c-8c5e-52c1c1f5d0a3", "version": 1, "department": "power_supply",
            "kind": "power_usage", "source_key": "4452021234567890", "period": "2026-10",
            "township_code": "445202001", "uscc": "91445202MA4X0C1L5B",
            "received_at": "2026-12-03T09:29:59.876543+00:00",
            "data": {"power_account": "4452021234567890", "uscc": "91445202MA4X0C1L5B",
                     "account_name": "揭阳市榕城区示例五金制品有限公司", "address": "揭阳市榕城区示例街道工业路88号",
                     "township_code": "445202001", "period": "2026-10", "kwh": 18342.5, "meters": 1},
            "pii_hashes": {}, "is_correction": False,
        },
        "uscc": "91445202MA4X0C1L5B", "entity_name": "揭阳市榕城区示例五金制品有限公司",
        "entity_township_code": "445202001", "method": "exact_uscc", "score": 1.0,
        "explanation": {"code": 1.0, "name": 1.0, "township": 1.0}, "share": 1.0, "cases": [],
    },
})


def broker_cpu_seconds(platform: LocalPlatform) -> float:
    """CPU seconds the platform's brokers have used so far."""
    return _cpu_seconds({"kafka": _server_pids(platform)["kafka"]})["kafka"]


def copies(template: bytes, n: int) -> list[tuple[bytes, bytes]]:
    """(key, value) of `n` copies of an event, each with its own event id and keyed by it (so they spread over
    every partition, as entity keys do); everything else as in `template`."""
    event = orjson.loads(template)
    out = []
    for i in range(n):
        event["event_id"] = str(uuid.UUID(int=i + 1))
        value = orjson.dumps(event)
        out.append((event["event_id"].encode(), value))
    return out


def hop(value: bytes, producer: str = "one-hop") -> bytes:
    """What the hop does to one message: parse, derive the next event from it, serialise."""
    event = orjson.loads(value)
    event["causation_id"], event["producer"] = event["event_id"], producer
    event["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_OID, event["event_id"]))
    return orjson.dumps(event)


def ratio(pipeline_rows_per_second: float, hop_messages_per_second: float) -> float:
    """Issue 14's machine-independent figure: the pipeline's rate as a share of one plain hop's, in %."""
    if hop_messages_per_second <= 0:
        raise ValueError("the one-hop rate must be positive")
    return round(100 * pipeline_rows_per_second / hop_messages_per_second, 1)


async def sample_event(kafka: KafkaConnection, topic: str = topics.RECORD_MATCHED) -> bytes | None:
    """The first event of `topic` (a real one the platform published), or None when it has none."""
    consumer = AIOKafkaConsumer(topic, **kafka.aiokafka(), group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000, max_records=1)
        return next((m.value for messages in batch.values() for m in messages), None)
    finally:
        await consumer.stop()


async def _load(kafka: KafkaConnection, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(**kafka.aiokafka(), acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(SOURCE, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _run_hop(kafka: KafkaConnection, n: int, batch: int, broker_cpu) -> dict:
    """Consume `n` messages from SOURCE batch by batch, republish each to SINK, commit. Timed (wall, this
    process's CPU and the brokers') from the first batch on: joining the group and the cold broker's first
    offsets topic are not the hop's cost."""
    consumer = AIOKafkaConsumer(SOURCE, **kafka.aiokafka(), group_id=f"bench-one-hop-{uuid.uuid4()}",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=batch)
    producer = AIOKafkaProducer(**kafka.aiokafka(), acks="all", enable_idempotence=True, linger_ms=5)
    await consumer.start()
    await producer.start()
    moved = done = 0
    started = cpu_before = broker_before = None
    try:
        while done < n:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=batch)
            if started is None and fetched:
                started, cpu_before, broker_before = time.perf_counter(), time.process_time(), broker_cpu()
            futures = []
            offsets = {}
            for partition, messages in fetched.items():
                for message in messages:
                    value = hop(message.value)
                    moved += len(value)
                    futures.append(await producer.send(SINK, value, key=message.key))
                offsets[partition] = messages[-1].offset + 1
            await asyncio.gather(*futures)
            if offsets:
                await consumer.commit(offsets)
            done += len(futures)
        return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu_before,
                "broker_cpu": broker_cpu() - broker_before, "bytes": moved}
    finally:
        await producer.stop()
        await consumer.stop()


async def one_hop(kafka: KafkaConnection, template: bytes, n: int = 50_000, batch: int = 500,
                  partitions: int = topics.HOT_PARTITIONS, broker_cpu=None) -> dict:
    """Load `n` copies of `template` (untimed), then time one hop over them: msgs/s, and CPU µs per message of
    this process (the hop) and, when `broker_cpu` (a callable returning the brokers' CPU seconds) is given, of
    the brokers. The topics are this benchmark's own, with the platform's partitioning and the brokers'
    replication factor."""
    await ensure_topics(kafka, [TopicSpec(SOURCE, partitions), TopicSpec(SINK, partitions)])
    await _load(kafka, copies(template, n))
    timed = await _run_hop(kafka, n, batch, broker_cpu or (lambda: 0.0))
    result = {"messages": n, "bytes_per_message": round(timed["bytes"] / n), "batch": batch,
              "seconds": round(timed["seconds"], 2), "msgs_per_second": round(n / timed["seconds"]),
              "cpu_us_per_message_hop": round(timed["cpu"] / n * 1e6)}
    if broker_cpu:
        result["cpu_us_per_message_kafka"] = round(timed["broker_cpu"] / n * 1e6)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500, help="max records a batch (the services' default)")
    parser.add_argument("--brokers", type=int, choices=(1, 3), default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bizpulse-one-hop-") as run_dir:
        platform = LocalPlatform.on_free_ports(Path(run_dir), args.brokers)
        try:
            platform.start_infrastructure()
            print("one hop:", asyncio.run(one_hop(platform.kafka.admin, SAMPLE, args.messages, args.batch,
                                                  broker_cpu=lambda: broker_cpu_seconds(platform))))
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
