"""The arithmetic of docs/scaling.md: what ten times Jieyang needs, from the CPU and bytes measured per record.

    PYTHONPATH=. .venv/bin/python -m tests.benchmarks.scaling_model [--records 5000000] [--entities 6000000]

Nothing here is measured: it multiplies the figures measured on the 2-core machine (MEASURED and the byte
figures below, each with the file it comes from) by a province's volumes, for a few assumptions on how fast a
month's records arrive (PEAKS). A Python service process uses at most one core (one event loop, the GIL), so a
service needs as many instances as cores at its peak, planned at UTILISATION of each; a consumer group can
use at most one instance per partition, so every topic a service consumes needs at least that many partitions.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

UTILISATION = 0.7  # plan each core (each instance) at 70 % busy: head-room for bursts, rebalances, GC pauses
REPLICATION = 3  # every topic: three replicas, two in sync (docker-compose.brokers.yml)
RETENTION_DAYS = 7  # the broker's log.retention.hours=168 (deploy/local/infra.py; Kafka's default in compose)
PARTITION_CHOICES = (12, 24, 48, 96, 192)  # today's HOT_PARTITIONS is 12; keep multiples of it


@dataclass(frozen=True)
class Cost:
    """CPU µs one pipeline row costs a process: measured over the whole demo month (registrations and the
    departments' records) through every service, so each figure includes the process's share of every event
    the row causes."""

    process: str
    cpu_us_per_row: float
    consumes: tuple[str, ...] = ()  # the hot topics its consumer group reads (partitions bound its instances)
    python: bool = True  # a Python service: one core per instance at most


# docs/benchmarks/pipeline.md, "2026-12-04, the month to its last alert, one and two instances", one instance each:
# bench_pipeline --entities 100000 --registry-first, CPU µs per row of each process over the month (121,140 tax and
# power records after the 100,000-entity register was loaded and settled, up to the last alert published and the
# closings the month set off judged: a province's month is records, few registrations), a quiet machine, one
# broker. The broker's figure is net of what it burns idle (3.4 % of a core over the 74.0 s month, ~21 µs per
# row), then multiplied by REPLICATION_CPU, the factor three brokers with replication factor 3 measured against
# one (same file, "Replication": 1,100-1,560 against 420-440 µs per row, net of idle). PostgreSQL's is gross. The
# earlier inputs (the 20,000-entity runs of 2026-12-03 afternoon, on a machine loaded by other engineers' tests:
# 206 / 349 / 352 / 293 / 551 / 402 / 686) gave ~2.5 times these.
REPLICATION_CPU = 3.0
MEASURED = (
    # ingest's HTTP path is spread by the load balancer; its Kafka intake is one 3-partition topic per department
    # (topics.INTAKE_PARTITIONS), a department's own stream: what bounds its group's instances is the shared topic
    Cost("ingest", 75, ("feedback-submitted",)),
    Cost("matcher", 116, ("record-imported", "feedback-submitted")),
    Cost("alerting", 171, ("record-matched", "submission-assessed", "feedback-submitted")),
    Cost("feedback", 46, ("anomaly-detected", "match-failed")),
    Cost("analytics", 135, ("record-imported", "record-matched", "match-failed", "anomaly-detected",
                            "feedback-submitted", "submission-assessed")),
    Cost("kafka x3 (RF 3)", 115 * REPLICATION_CPU, python=False),
    Cost("postgres", 372, python=False),
)

# Bytes one pipeline row leaves behind (same file, runs 2 and 3, which report disk): on the brokers one replica's
# log, uncompressed, every topic (126.9 and 129.3 MB for 44,395 rows); in PostgreSQL the whole database, every
# schema with indexes and TOAST (103.0 and 104.8 MB), of which the inboxes (processed_events, pruned after 30
# days) are ~20 %.
KAFKA_BYTES_PER_ROW = 2_885
POSTGRES_BYTES_PER_ROW = 2_340


@dataclass(frozen=True)
class Peak:
    name: str
    seconds: float  # the month's records arrive within this window


PEAKS = (
    Peak("the product target x10: a month in 2 minutes", 120),
    Peak("a month in 1 hour (catch-up after an outage, all departments at once)", 3_600),
    Peak("a month in one 8-hour working day", 8 * 3_600),
    Peak("spread over the 5 working days of the deadline", 5 * 8 * 3_600),
)


def rate(rows: int, peak: Peak) -> float:
    """Rows per second when `rows` arrive within the peak's window."""
    return rows / peak.seconds


def cores(rows_per_second: float, cpu_us_per_row: float) -> float:
    """Busy cores a process needs at that rate (before any head-room)."""
    return rows_per_second * cpu_us_per_row / 1e6


def instances(busy_cores: float, utilisation: float = UTILISATION) -> int:
    """Python processes (one core each at most) to run those busy cores at `utilisation`; at least one."""
    return max(1, math.ceil(busy_cores / utilisation - 1e-9))


def partitions(most_instances: int, choices: tuple[int, ...] = PARTITION_CHOICES) -> int:
    """Partitions of a topic so that its largest consumer group can run `most_instances` (each instance needs a
    partition of its own to have any work), with at least one spare partition per instance for scaling later
    without re-keying (adding partitions moves keys, and so an entity's ordering, across partitions)."""
    for choice in choices:
        if choice >= 2 * most_instances:
            return choice
    raise ValueError(f"{most_instances} instances of one group need more than {choices[-1]} partitions")


def sizing(rows: int, peak: Peak, costs: tuple[Cost, ...] = MEASURED) -> dict[str, dict]:
    """Per process at the peak: busy cores, and for the Python services instances."""
    r = rate(rows, peak)
    out = {}
    for cost in costs:
        busy = cores(r, cost.cpu_us_per_row)
        out[cost.process] = {"cores": round(busy, 2), "instances": instances(busy) if cost.python else None}
    return out


def topic_partitions(plan: dict[str, dict], costs: tuple[Cost, ...] = MEASURED) -> dict[str, int]:
    """Partitions each consumed topic needs for the instances `plan` gives its consuming services."""
    most: dict[str, int] = {}
    for cost in costs:
        for topic in cost.consumes:
            most[topic] = max(most.get(topic, 0), plan[cost.process]["instances"] or 0)
    return {topic: partitions(n) for topic, n in sorted(most.items())}


def kafka_disk_bytes(rows_in_retention: int, bytes_per_row: float = KAFKA_BYTES_PER_ROW,
                     replication: int = REPLICATION) -> float:
    """Bytes on all brokers together for what the retention holds (every replica)."""
    return rows_in_retention * bytes_per_row * replication


def postgres_bytes(rows_per_month: int, months: int, bytes_per_row: float = POSTGRES_BYTES_PER_ROW) -> float:
    return rows_per_month * months * bytes_per_row


def _table(rows: int) -> list[str]:
    lines = []
    names = [c.process for c in MEASURED]
    lines.append("| peak | rows/s | " + " | ".join(f"{n} cores (instances)" for n in names) + " | all cores |")
    lines.append("|---" * (len(names) + 3) + "|")
    for peak in PEAKS:
        plan = sizing(rows, peak)
        cells = [f"{p['cores']:,} ({p['instances']})" if p["instances"] else f"{p['cores']:,}" for p in plan.values()]
        total = sum(p["cores"] for p in plan.values())
        lines.append(f"| {peak.name} | {rate(rows, peak):,.0f} | " + " | ".join(cells) + f" | {total:,.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=5_000_000, help="departments' records a month")
    parser.add_argument("--registry-changes", type=int, default=120_000,
                        help="registrations and changes a month (assumed: 2 %% of the entities)")
    parser.add_argument("--entities", type=int, default=6_000_000)
    parser.add_argument("--months-kept", type=int, default=36, help="months the dashboards answer over")
    args = parser.parse_args()
    rows = args.records + args.registry_changes
    print(f"a month: {rows:,} rows ({args.records:,} records + {args.registry_changes:,} registry changes)\n")
    print("\n".join(_table(rows)))
    print("\npartitions per consumed topic (largest group's instances x 2, rounded up to a multiple of 12):")
    for peak in PEAKS:
        print(f"  {peak.name}: {topic_partitions(sizing(rows, peak))}")
    print(f"\nthe registry's first load ({args.entities:,} registrations), on the same per-row costs:")
    for peak in (Peak("in 1 hour", 3_600), Peak("in 8 hours", 8 * 3_600)):
        plan = sizing(args.entities, peak)
        print(f"  {peak.name}: {rate(args.entities, peak):,.0f} rows/s, "
              f"{sum(p['cores'] for p in plan.values()):,.1f} cores")
    month_in_retention = rows * min(1.0, RETENTION_DAYS / 30)
    print(f"\nKafka disk, all brokers, {RETENTION_DAYS} days' retention x {REPLICATION} replicas: "
          f"{kafka_disk_bytes(rows) / 1e9:,.1f} GB if the whole month lands within the retention, "
          f"{kafka_disk_bytes(int(month_in_retention)) / 1e9:,.1f} GB if it is spread evenly over the month")
    for peak in PEAKS[:2]:
        written = rate(rows, peak) * KAFKA_BYTES_PER_ROW
        print(f"  {peak.name}: {written / 1e6:,.1f} MB/s into the leaders, {written * REPLICATION / 1e6:,.1f} MB/s "
              f"written on all brokers (every replica)")
    print(f"PostgreSQL: {postgres_bytes(rows, 1) / 1e9:,.1f} GB a month, "
          f"{postgres_bytes(rows, args.months_kept) / 1e9:,.0f} GB over {args.months_kept} months; "
          f"at the first peak {rate(rows, PEAKS[0]) * POSTGRES_BYTES_PER_ROW / 1e6:,.0f} MB/s of table and index "
          f"growth (WAL comes on top)")

if __name__ == "__main__":
    main()
