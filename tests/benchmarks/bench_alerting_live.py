"""Alerting's live path over real Kafka and PostgreSQL: record-matched in, alerts on the township topics out.

    .venv/bin/python -m tests.benchmarks.bench_alerting_live [--entities 50000] [--rate 10000] [--instances 1 2]
                                                             [--records N] [--closing]

A seeded city with planted anomalies (planted_anomalies.py) has its fourteen months before the
live month staged straight into alerting's tables (facts, registry, closures, fitted populations),
as the live path would have left them. Then the live month's power and tax records, as the
matcher publishes them (`record-matched`, keyed by entity), are produced onto the record-matched
topic at `--rate` per second (0: as fast as the broker takes them), each produce time stamped by
record id. Alerting instances (real processes) consume them; a plain consumer on every township
topic times each anomaly-detected from the produce time of the record that caused it (its
correlation id) while the load flows. The clock stops when the consumer group has committed every
record and the outbox is empty. Only the broker, PostgreSQL and the alerting instances run.

`--records` feeds only the first N of the live records (0: none). `--closing` leaves the last staged
month open, then closes it for both departments (submission-assessed, as ingest's timeliness
publishes it) and times the judgement of every entity for it, until its alerts are relayed.
Results: docs/benchmarks/alerting-live.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from random import Random

import asyncpg
import confluent_kafka
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from deploy.local.platform import LocalPlatform
from services.alerting.domain.history import POWER, TAX, History
from services.alerting.domain.intervals import fit_populations
from services.alerting.domain.ruleset import DEFAULT_RULESET, load_ruleset
from services.alerting.judging import LOOKBACK_MONTHS
from services.alerting.storage import repository
from shared import topics
from shared.contracts import (
    ImportedRecord,
    MatchMethod,
    RecordMatched,
    RecordMatchedPayload,
    SubmissionAssessed,
    SubmissionPayload,
)
from shared.messaging import codec
from shared.messaging.connection import KafkaConnection
from shared.reference import TOWNSHIPS
from tests.benchmarks.bench_matcher import _cpu_seconds
from tests.benchmarks.planted_anomalies import City, generate

MONTHS = 24  # generated; the live month is the last, the LOOKBACK_MONTHS before it are staged
WARM_UP = 600  # records consumed before the clock starts: every instance has its partitions and connections


def _stage(platform: LocalPlatform, city: City, open_period: str | None) -> float:
    """The months before the live one into alerting's tables, as the live path would have stored them;
    every month closed but `open_period`."""
    live = city.periods[-1]
    staged = city.periods[-1 - LOOKBACK_MONTHS:-1]
    ruleset = load_ruleset(DEFAULT_RULESET)

    async def copy() -> None:
        connection = await asyncpg.connect(platform.database_url.replace("+asyncpg", ""))
        try:
            await connection.copy_records_to_table(
                "entities", schema_name="alerting",
                columns=["uscc", "version", "name", "township_code", "industry_code", "status", "status_since"],
                records=[(e.uscc, 1, e.name, e.township_code, e.industry_code, e.status, e.status_since)
                         for e in (h.entity for h in city.histories)])
            facts = [
                (uuid.uuid4(), 1, h.entity.uscc, period, kind, value, h.entity.name, h.entity.township_code, township)
                for h in city.histories for period in staged if (m := h.months.get(period))
                for kind, value, township in _figures(h, m)
            ] + [(uuid.uuid4(), 1, h.entity.uscc, q, "net_profit", v, h.entity.name, h.entity.township_code, None)
                 for h in city.histories for q, v in h.finance.items() if q < live]
            await connection.copy_records_to_table(
                "facts", schema_name="alerting",
                columns=["record_id", "version", "uscc", "period", "kind", "value", "entity_name", "township_code",
                         "record_township_code"], records=facts)
            await connection.executemany(
                "INSERT INTO alerting.closures VALUES ($1, $2, false)",
                [(p, d) for p in staged if p != open_period for d in sorted(city.closures[p].closed)])
            await connection.execute("ANALYZE alerting.facts; ANALYZE alerting.entities")
        finally:
            await connection.close()
        engine = create_async_engine(platform.database_url)
        try:
            fitted = fit_populations(ruleset, city.histories, staged)
            async with engine.begin() as connection:
                session = AsyncSession(bind=connection)
                for period in staged:
                    await repository.save_population(session, period, ruleset.version, fitted[period])
                await session.flush()
        finally:
            await engine.dispose()

    started = time.perf_counter()
    asyncio.run(copy())
    return time.perf_counter() - started


def _server_pids(platform: LocalPlatform) -> dict[str, list[int]]:
    """This platform's brokers (their process groups) and PostgreSQL (the postmaster and its children,
    which start sessions of their own); other engineers' servers on the shared machine are left out."""
    brokers, postmaster = set(platform.kafka.pids), platform.postgres._proc.pid
    groups: dict[str, list[int]] = {"kafka": [], "postgres": [postmaster]}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent, process_group = map(int, (entry / "stat").read_text().rsplit(")", 1)[1].split()[1:3])
            except (OSError, ValueError):
                continue
            if process_group in brokers:
                groups["kafka"].append(int(entry.name))
            elif parent == postmaster:
                groups["postgres"].append(int(entry.name))
    return groups


def _figures(history: History, month) -> list[tuple[str, float, str | None]]:
    """(kind, value, the record's township) of a month: a power record per township its meters are in."""
    out = []
    if month.kwh is not None:
        townships = sorted(month.power_townships) or [history.entity.township_code]
        out += [(repository.POWER_KIND, month.kwh / len(townships), t) for t in townships]
    if month.tax is not None:
        out.append((repository.TAX_KIND, month.tax, history.entity.township_code))
    return out


def _events(city: City, seed: int = 1) -> list[tuple[bytes, bytes, list, uuid.UUID]]:
    """The live month's records as the matcher publishes them: (key, value, headers, correlation id)."""
    live = city.periods[-1]
    received = datetime.now(UTC)
    out = []
    for h in city.histories:
        month = h.months.get(live)
        if month is None:
            continue
        for n, (kind, value, township) in enumerate(_figures(h, month)):
            if kind == repository.POWER_KIND:
                department, key = POWER, f"PA{h.entity.uscc[-10:]}{n}"
                data = {"power_account": key, "township_code": township, "period": live,
                        "kwh": round(value, 3)}
            else:
                department, key = TAX, h.entity.uscc
                data = {"taxpayer_id": key, "township_code": township, "period": live,
                        "amount": f"{value:.2f}"}
            record = ImportedRecord(record_id=uuid.uuid4(), version=1, department=department, kind=kind, source_key=key,
                                    period=live, township_code=township, uscc=h.entity.uscc, received_at=received, data=data)
            event = RecordMatched.create(
                RecordMatchedPayload(record=record, uscc=h.entity.uscc, entity_name=h.entity.name,
                                     entity_township_code=h.entity.township_code, method=MatchMethod.EXACT_USCC, score=1.0),
                producer="matcher", correlation_id=record.record_id)
            out.append((h.entity.uscc.encode(), codec.encode(event), list(codec.headers(event).items()), record.record_id))
    Random(seed).shuffle(out)  # departments' records interleave as the matcher gets them
    return out


def _produce(kafka: KafkaConnection, topic: str, events, rate: float, sent: dict[uuid.UUID, float]) -> float:
    """Produce at `rate` per second (0: as fast as the broker takes them), stamping each record's
    produce time; returns the seconds it took."""
    producer = confluent_kafka.Producer({**kafka.librdkafka(), "acks": "all", "linger.ms": 5,
                                         "enable.idempotence": True, "queue.buffering.max.messages": 1_000_000})
    started = time.perf_counter()
    done = 0
    while done < len(events):
        due = len(events) if not rate else min(len(events), int((time.perf_counter() - started) * rate) + 1)
        for key, value, headers, correlation in events[done:due]:
            while True:
                try:
                    sent[correlation] = time.time()  # wall clock: compared with the alert's occurred_at
                    producer.produce(topic, value, key=key, headers=headers)
                    break
                except BufferError:
                    producer.poll(0.01)
        done = due
        producer.poll(0)
        if rate:
            time.sleep(0.002)
    producer.flush(120)
    return time.perf_counter() - started


class Alerts:
    """Every township topic read from its end, as the townships' systems read them: the delay of each
    anomaly-detected after its causing record was produced."""

    def __init__(self, kafka: KafkaConnection) -> None:
        self._consumer = AIOKafkaConsumer(**kafka.aiokafka(), enable_auto_commit=False, group_id=None)
        self.sent: dict[uuid.UUID, float] = {}
        self.latencies_ms: list[float] = []
        self.judged_ms: list[float] = []  # produced → the alert made (its occurred_at): consumed and judged
        self.relayed_ms: list[float] = []  # the alert made → on the township topic: commit, outbox relay, broker
        self.rules: Counter[str] = Counter()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> Alerts:
        await self._consumer.start()
        self._consumer.assign([TopicPartition(topics.township_alerts(t), p) for t in sorted(TOWNSHIPS)
                               for p in range(topics.TOWNSHIP_PARTITIONS)])
        await self._consumer.seek_to_end()
        self._task = asyncio.create_task(self._listen())
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        await self._consumer.stop()

    async def _listen(self) -> None:
        while True:
            for records in (await self._consumer.getmany(timeout_ms=100)).values():
                arrived = time.time()
                for record in records:
                    event = orjson.loads(record.value)
                    if event["event_type"] != "anomaly-detected":
                        continue
                    self.rules[event["payload"]["rule"]] += 1
                    sent = self.sent.get(uuid.UUID(event["correlation_id"]))
                    if sent is not None:
                        made = datetime.fromisoformat(event["occurred_at"]).timestamp()
                        self.latencies_ms.append((arrived - sent) * 1000)
                        self.judged_ms.append((made - sent) * 1000)
                        self.relayed_ms.append((arrived - made) * 1000)

    def figures(self) -> dict:
        if len(self.latencies_ms) < 2:
            return {"alerts_timed": len(self.latencies_ms)}

        def spread(values: list[float]) -> dict:
            q = statistics.quantiles(values, n=100)
            return {"p50_ms": round(q[49]), "p95_ms": round(q[94]), "p99_ms": round(q[98]), "max_ms": round(max(values))}
        return {"alerts_timed": len(self.latencies_ms), **spread(self.latencies_ms),
                "of_which_judged": spread(self.judged_ms), "of_which_relayed": spread(self.relayed_ms)}


class Progress:
    """How far the alerting group has committed on a topic, and whether its outbox has drained."""

    def __init__(self, platform: LocalPlatform, topic: str) -> None:
        kafka = platform.kafka.admin
        self._group = confluent_kafka.Consumer({**kafka.librdkafka(), "group.id": topics.consumer_group("alerting"),
                                                "enable.auto.commit": False})
        self._partitions = [confluent_kafka.TopicPartition(topic, p) for p in range(topics.HOT_PARTITIONS)]
        self._url = platform.database_url.replace("+asyncpg", "")

    def behind(self) -> int:
        committed = self._group.committed(self._partitions, timeout=10)
        ends = [self._group.get_watermark_offsets(p, timeout=10)[1] for p in self._partitions]
        return sum(end - max(c.offset, 0) for c, end in zip(committed, ends, strict=True))

    async def settled(self, timeout: float = 1800) -> float:
        """Seconds until every message is committed and the outbox relayed."""
        started = time.perf_counter()
        connection = await asyncpg.connect(self._url)
        try:
            while True:
                if (await asyncio.to_thread(self.behind)) == 0 and await connection.fetchval(
                        "SELECT NOT EXISTS (SELECT 1 FROM alerting.outbox)") and await _closings_done(connection):
                    return time.perf_counter() - started
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"{self.behind()} behind after {timeout:.0f}s")
                await asyncio.sleep(0.2)
        finally:
            await connection.close()

    def close(self) -> None:
        self._group.close()


async def _closings_done(connection) -> bool:
    """No closing left half-judged (the table exists once closings are judged in chunks)."""
    if not await connection.fetchval("SELECT to_regclass('alerting.closings') IS NOT NULL"):
        return True
    return await connection.fetchval("SELECT NOT EXISTS (SELECT 1 FROM alerting.closings WHERE finished_at IS NULL)")


async def _live(platform: LocalPlatform, events, rate: float, pids) -> dict:
    kafka = platform.kafka.admin
    if len(events) <= WARM_UP:
        return {"records": 0}
    progress = Progress(platform, topics.RECORD_MATCHED)
    warm, measured = events[:WARM_UP], events[WARM_UP:]
    try:
        await asyncio.to_thread(_produce, kafka, topics.RECORD_MATCHED, warm, 0, {})
        await progress.settled()
        async with Alerts(kafka) as alerts:
            cpu_before = _cpu_seconds(pids)
            started = time.perf_counter()
            produced = await asyncio.to_thread(_produce, kafka, topics.RECORD_MATCHED, measured, rate, alerts.sent)
            await progress.settled()
            elapsed = time.perf_counter() - started
            cpu = _cpu_seconds(pids)
            await asyncio.sleep(1)  # the last alerts in flight to the township topics
    finally:
        progress.close()
    return {
        "records": len(measured), "rate_asked": rate, "produced_per_s": round(len(measured) / produced),
        "consumed_s": round(elapsed, 1), "consumed_per_s": round(len(measured) / elapsed),
        # the benchmark's own producer and township readers are left out
        "cpu_us_per_record": {g: round((cpu[g] - cpu_before[g]) / len(measured) * 1e6) for g in cpu},
        "alert_latency": alerts.figures(), "alerts_by_rule": dict(sorted(alerts.rules.items())),
    }


async def _closing(platform: LocalPlatform, period: str, entities: int, pids) -> dict:
    """Both departments close the period, as ingest's timeliness judgement says so."""
    kafka = platform.kafka.admin
    progress = Progress(platform, topics.SUBMISSION_ASSESSED)
    events = []
    for department, kind in ((TAX, "tax_payment"), (POWER, "power_usage")):
        event = SubmissionAssessed.create(
            SubmissionPayload(department=department, kind=kind, period=period, deadline=date(2099, 1, 1),
                              status="on_time", first_arrival=datetime.now(UTC)),
            producer="ingest", correlation_id=uuid.uuid4())
        events.append((f"{department}:{period}".encode(), codec.encode(event), list(codec.headers(event).items()), event.event_id))
    try:
        async with Alerts(kafka) as alerts:
            cpu_before = _cpu_seconds(pids)
            started = time.perf_counter()
            await asyncio.to_thread(_produce, kafka, topics.SUBMISSION_ASSESSED, events, 0, {})
            await progress.settled(timeout=7200)
            elapsed = time.perf_counter() - started
            cpu = _cpu_seconds(pids)
            await asyncio.sleep(1)
    finally:
        progress.close()
    return {"closing_entities": entities, "closing_s": round(elapsed, 1),
            "closing_cpu_us_per_entity": {g: round((cpu[g] - cpu_before[g]) / entities * 1e6) for g in cpu},
            "closing_alerts_by_rule": dict(sorted(alerts.rules.items()))}


def run(entities: int, rate: float, instances: int, records: int | None, closing: bool, seed: int) -> dict:
    started = time.perf_counter()
    city = generate(entities, MONTHS, seed=seed, first="2024-11")
    generated = time.perf_counter() - started
    events = _events(city, seed)[:None if records is None else WARM_UP + records]
    closed = city.periods[-2] if closing else None
    with tempfile.TemporaryDirectory(prefix="bizpulse-bench-") as run_dir:
        platform = LocalPlatform.on_free_ports(Path(run_dir))
        try:
            platform.start_infrastructure()
            staged = _stage(platform, city, closed)
            platform.start_services(("alerting",))
            processes = [platform.services["alerting"]] + [platform.start_instance("alerting") for _ in range(instances - 1)]
            pids = {"alerting": [p.pid for p in processes], **_server_pids(platform)}
            result = {"entities": entities, "instances": instances, "generated_s": round(generated, 1),
                      "staged_s": round(staged, 1), **asyncio.run(_live(platform, events, rate, pids))}
            if closing:
                result |= asyncio.run(_closing(platform, closed, entities, {**pids, **_server_pids(platform)}))
            return result
        finally:
            platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=10_000, help="record-matched produced per second; 0: unpaced")
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--records", type=int, default=None, help="live records to feed (default: all)")
    parser.add_argument("--closing", action="store_true", help="then close the last staged month and time judging it")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for n in args.instances:
        print(run(args.entities, args.rate, n, args.records, args.closing, args.seed), flush=True)


if __name__ == "__main__":
    main()
