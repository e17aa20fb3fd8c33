"""Matcher benchmark: the running service over real Kafka with a Jieyang-sized registry.

    .venv/bin/python -m tests.benchmarks.bench_matcher [--entities 600000] [--records 200000] [--instances 1 2]

The registry (demo city, deploy/local/demo_data.py) is staged straight into the matcher's table;
each instance loads it into its in-memory index on its first batch ("index ready" below). Then
`--records` record-imported events — 90 % carrying a registered USCC (exact stage), 10 % without a
code, by a name written the way departments write it (fuzzy stage) — are produced as fast as
the broker takes them, and the clock stops when every one has its outcome (record-matched or
match-failed, acks=all) in the topics' end offsets. Only the broker, PostgreSQL and the matcher
instances run. Results: docs/benchmarks/matcher.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from random import Random
import tempfile

import asyncpg
import confluent_kafka
from aiokafka import AIOKafkaConsumer, TopicPartition

from deploy.local.demo_data import DemoConfig, registrations
from deploy.local.platform import LocalPlatform
from shared import topics
from shared.contracts import ImportedRecord, RecordImported
from shared.messaging import codec
from shared.messaging.connection import KafkaConnection

FUZZY_SHARE = 0.10


def _stage_registry(platform: LocalPlatform, entities: int) -> list[dict]:
    rows = list(registrations(DemoConfig(entities=entities)))

    async def copy():
        connection = await asyncpg.connect(platform.database_url.replace("+asyncpg", ""))
        try:
            await connection.copy_records_to_table(
                "entities", schema_name="matcher",
                columns=["uscc", "name", "township_code", "status", "record_version", "address"],
                records=[(r["uscc"], r["name"], r["township_code"], r["status"], 1, r["address"]) for r in rows],
            )
        finally:
            await connection.close()

    asyncio.run(copy())
    return rows


def _as_written(name: str, r: Random) -> str:
    """How a tax or power department writes a registered name: region prefix or legal form dropped."""
    for prefix in ("广东省", "揭阳市"):
        name = name.removeprefix(prefix) if r.random() < 0.5 else name
    return name.removesuffix("有限公司") if r.random() < 0.3 else name


def _events(entities: list[dict], n: int, period: str, seed: int = 1) -> list[tuple[bytes, bytes]]:
    r = Random(seed)
    received = datetime.now(UTC)
    out = []
    for i in range(n):
        entity = entities[r.randrange(len(entities))]
        fuzzy = r.random() < FUZZY_SHARE
        account = f"BM{seed}{i:09d}"
        data = {"power_account": account, "account_name": _as_written(entity["name"], r) if fuzzy else "",
                "township_code": entity["township_code"], "period": period, "kwh": 100.0 + i % 900}
        if not fuzzy:
            data["uscc"] = entity["uscc"]
        record = ImportedRecord(
            record_id=uuid.uuid4(), version=1, department="power_supply", kind="power_usage", source_key=account,
            period=period, township_code=entity["township_code"], uscc=data.get("uscc"), received_at=received, data=data,
        )
        event = RecordImported.create(record, producer="bench", correlation_id=record.record_id)
        out.append((account.encode(), codec.encode(event)))
    return out


def _produce(kafka: KafkaConnection, events: list[tuple[bytes, bytes]]) -> None:
    producer = confluent_kafka.Producer({**kafka.librdkafka(), "acks": "all", "linger.ms": 20,
                                         "enable.idempotence": True, "queue.buffering.max.messages": 1_000_000})
    for key, value in events:
        while True:
            try:
                producer.produce(topics.RECORD_IMPORTED, value, key=key, headers={"event_type": "record-imported"})
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)


class Outcomes:
    """record-matched + match-failed, counted by end offsets (what acks=all made durable)."""

    def __init__(self, kafka: KafkaConnection) -> None:
        self._kafka = kafka

    async def wait_for(self, target: int, timeout: float = 1800) -> float:
        consumer = AIOKafkaConsumer(**self._kafka.aiokafka(), enable_auto_commit=False)
        partitions = [TopicPartition(t, p) for t in (topics.RECORD_MATCHED, topics.MATCH_FAILED)
                      for p in range(topics.HOT_PARTITIONS)]
        started = time.perf_counter()
        await consumer.start()
        try:
            while (done := sum((await consumer.end_offsets(partitions)).values())) < target:
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"{done} of {target} outcomes after {timeout:.0f}s")
                await asyncio.sleep(0.1)
        finally:
            await consumer.stop()
        return time.perf_counter() - started


def _rss_mib(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(field)


def _cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds (user + system, all threads) used so far by each group of processes."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for group, members in pids.items():
        total = 0
        for pid in members:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a PostgreSQL backend that ended: its time is lost to the count
                continue
            total += int(fields[11]) + int(fields[12])
        used[group] = total / tick
    return used


def _server_pids() -> dict[str, list[int]]:
    """The broker's and PostgreSQL's processes (the postmaster and its backends), by command line."""
    groups: dict[str, list[int]] = {"kafka": [], "postgres": []}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"kafka.Kafka" in command:
                groups["kafka"].append(int(entry.name))
            elif command.startswith(b"postgres") or b"/bin/postgres" in command:
                groups["postgres"].append(int(entry.name))
    return groups


def run(entities: int, records: int, instances: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bizpulse-bench-") as run_dir:
        platform = LocalPlatform.on_free_ports(Path(run_dir))
        try:
            platform.start_infrastructure()
            started = time.perf_counter()
            registry = _stage_registry(platform, entities)
            staged = time.perf_counter() - started
            platform.start_services(("matcher",))
            processes = [platform.services["matcher"]] + [platform.start_instance("matcher") for _ in range(instances - 1)]
            outcomes = Outcomes(platform.kafka.admin)
            # one record per partition warms every instance up: each loads the registry into its index
            warm = _events(registry, topics.HOT_PARTITIONS * 8, "2026-09", seed=2)
            started = time.perf_counter()
            _produce(platform.kafka.admin, warm)
            asyncio.run(outcomes.wait_for(len(warm)))
            index_ready = time.perf_counter() - started
            events = _events(registry, records, "2026-10")
            pids = {"matcher": [p.pid for p in processes], **_server_pids()}
            cpu_before = _cpu_seconds(pids)
            started = time.perf_counter()
            _produce(platform.kafka.admin, events)
            produced = time.perf_counter() - started
            asyncio.run(outcomes.wait_for(len(warm) + records))
            elapsed = time.perf_counter() - started
            cpu = _cpu_seconds(pids)
            return {
                "entities": entities, "records": records, "instances": instances,
                "registry_staged_s": round(staged, 1), "index_ready_s": round(index_ready, 1),
                "produced_s": round(produced, 1), "all_outcomes_s": round(elapsed, 1),
                "records_per_s": round(records / elapsed),
                "rss_mib_per_instance": [round(_rss_mib(p.pid)) for p in processes],
                # the benchmark's own producer and end-offset polling are left out
                "cpu_us_per_record": {g: round((cpu[g] - cpu_before[g]) / records * 1e6) for g in cpu},
            }
        finally:
            platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=600_000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    for n in args.instances:
        print(run(args.entities, args.records, n), flush=True)


if __name__ == "__main__":
    main()
