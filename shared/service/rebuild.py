"""Rebuild a read-model service's tables from Kafka: `python -m services.<name> rebuild`.

For a service whose tables are only read models of what it consumes (it publishes nothing: replayed
events would otherwise be published again). The service must be stopped: the rebuild refuses while
its consumer group has members. Then, in this order:

1. the end offsets of every partition it subscribes to are taken: the rebuild stops there;
2. the service's own consumer group is moved back to the earliest offsets. The group, not a fresh one:
   when the rebuild is done its committed offsets are where the replay stopped, so the service resumes
   right behind it and applies nothing twice (and an interrupted rebuild is simply run again);
3. its tables are emptied in one transaction, the inbox (processed event ids) with them, so that every
   event is applied again; the outbox and its dead letters are left alone, as is the migrations' table;
   then the service's `prepare` runs as at a start (analytics: its tables banded by the 规模档 file);
4. the service's own consumer (shared/messaging/consumer.py: same handlers, same inbox, same batches
   and commits) runs until the group's committed offsets reach the end offsets of step 1. A key's
   events are on one partition, read in order, so they are applied in the order the live service did.

An event that was dead-lettered when it was live is dead-lettered again (its `.dlq` gets a second copy).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from shared.service.runtime import Service, ServiceSpec
from shared.topics import consumer_group

PROGRESS_SECONDS = 2.0
# not read models: events this service still has to publish, and those its broker refused
KEPT_TABLES = ("outbox", "outbox_dead_letters")

Offsets = Mapping[tuple[str, int], int]  # (topic, partition) → offset


@dataclass(frozen=True)
class TopicProgress:
    topic: str
    done: int
    total: int


def progress(start: Offsets, end: Offsets, committed: Offsets) -> list[TopicProgress]:
    """Per topic: how many of the messages between `start` and `end` the group has committed."""
    done: dict[str, int] = {}
    total: dict[str, int] = {}
    for (topic, partition), last in end.items():
        first = start[topic, partition]
        reached = min(max(committed.get((topic, partition), first), first), last)
        done[topic] = done.get(topic, 0) + reached - first
        total[topic] = total.get(topic, 0) + last - first
    return [TopicProgress(topic, done[topic], total[topic]) for topic in sorted(total)]


def summary(topics: list[TopicProgress], seconds: float) -> str:
    events = sum(t.total for t in topics)
    lines = [f"  {t.topic}: {t.total} events" for t in topics]
    rate = events / seconds if seconds > 0 else 0.0
    return "\n".join([*lines, f"rebuilt from {events} events in {seconds:.1f} s ({rate:.0f} events/s)"])


async def rebuild(spec: ServiceSpec) -> int:
    service = Service(spec)
    try:
        return await _rebuild(service)
    finally:
        await service.engine.dispose()


async def _rebuild(service: Service) -> int:
    name = service.name
    topics = sorted({s.topic for s in service.spec.subscriptions(service)})
    group = consumer_group(name)
    admin = AdminClient(service.settings.kafka_connection().librdkafka())
    description = await asyncio.wrap_future(admin.describe_consumer_groups([group])[group])
    if description.members:
        print(f"错误[consumer_running]：{name} 服务的消费者仍在运行（消费组 {group} 有 {len(description.members)} 个成员）。"
              f"请先停止该服务的所有实例，再重建（刚被强行终止的实例要等会话超时后才离开消费组）。", file=sys.stderr)
        return 2
    replayed = await asyncio.to_thread(partitions, admin, topics)
    start = await offsets(admin, replayed, OffsetSpec.earliest())
    end = await offsets(admin, replayed, OffsetSpec.latest())
    if deleted := sorted({topic for (topic, _), first in start.items() if first > 0}):
        print(f"警告[events_deleted]：{', '.join(deleted)} 的早期事件已被 Kafka 按保留期删除，重建的数据不完整"
              f"（这些主题应为 retention.ms=-1，见 shared/topics.py 与 python -m deploy.topics）。", file=sys.stderr)
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(t, p, o) for (t, p), o in start.items()])
    await asyncio.wrap_future(admin.alter_consumer_group_offsets([request])[group])
    await _empty(service)
    if service.spec.prepare is not None:  # in line with the service's data files before the replay, as at a start
        await service.spec.prepare(service)
    print(f"{name}: tables emptied; replaying {', '.join(topics)} up to the end offsets taken at start", flush=True)
    started = time.monotonic()
    await service.broker.start()
    try:
        while not _finished(current := progress(start, end, await committed(admin, group))):
            print("  " + ", ".join(f"{t.topic} {t.done}/{t.total}" for t in current), flush=True)
            await asyncio.sleep(PROGRESS_SECONDS)
    finally:
        await service.broker.stop()
    print(summary(current, time.monotonic() - started), flush=True)
    return 0


def _finished(topics: list[TopicProgress]) -> bool:
    return all(t.done == t.total for t in topics)


def partitions(admin: AdminClient, topics: list[str]) -> list[TopicPartition]:
    metadata = admin.list_topics(timeout=30).topics
    return [TopicPartition(t, p) for t in topics for p in sorted(metadata[t].partitions)]


async def offsets(admin: AdminClient, of: list[TopicPartition], spec: OffsetSpec) -> dict[tuple[str, int], int]:
    futures = admin.list_offsets({tp: spec for tp in of})
    return {(tp.topic, tp.partition): (await asyncio.wrap_future(f)).offset for tp, f in futures.items()}


async def committed(admin: AdminClient, group: str) -> dict[tuple[str, int], int]:
    listed = await asyncio.wrap_future(admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group])
    return {(tp.topic, tp.partition): tp.offset for tp in listed.topic_partitions if tp.offset >= 0}


def emptied(metadata: sa.MetaData) -> list[sa.Table]:
    """What a rebuild empties: every table of the service's schema but KEPT_TABLES (the inbox included)."""
    return [t for t in metadata.sorted_tables if t.name not in KEPT_TABLES]


async def _empty(service: Service) -> None:
    async with service.sessions() as session, session.begin():
        await session.execute(sa.text("TRUNCATE " + ", ".join(f"{t.schema}.{t.name}" for t in emptied(service.spec.metadata))))


def command(build: Callable[[], ServiceSpec]) -> Callable[[list[str]], int]:
    """The `rebuild` subcommand of a read-model service (ServiceSpec.commands)."""
    def run(argv: list[str]) -> int:
        parser = argparse.ArgumentParser(prog="rebuild", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.parse_args(argv)
        return asyncio.run(rebuild(build()))
    return run
