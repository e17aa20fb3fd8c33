"""Ingest benchmark: rows per second from request to published on `record-imported` (acks=all),
for JSON batches, CSV and XLSX uploads, and the ingest process's peak memory on a 1,000,000-row CSV.

    .venv/bin/python -m tests.benchmarks.bench_ingest [--rows 200000] [--big-csv-rows 1000000]

Starts a real broker, database and the ingest service alone (the other services would compete
for the same two cores and are not what is measured). Results: docs/benchmarks/ingest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import itertools
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from openpyxl import Workbook

from deploy.local.platform import LocalPlatform
from shared import topics
from shared.messaging.connection import KafkaConnection
from shared.reference import TOWNSHIPS

TOWNSHIP_CODES = sorted(TOWNSHIPS)
HEADERS = ["用电户号", "户名", "乡镇（街道）代码", "所属期", "用电量（千瓦时）"]
_run = itertools.count(1)


def _rows(n: int, period: str):
    tag = next(_run)
    for i in range(n):
        yield [f"B{tag}-{i:09d}", f"基准测试用电户{i}", TOWNSHIP_CODES[i % len(TOWNSHIP_CODES)], period, 100 + i % 900]


class Published:
    """Counts messages on record-imported by its partitions' end offsets (what acks=all made durable)."""

    def __init__(self, kafka: KafkaConnection) -> None:
        self._consumer = AIOKafkaConsumer(**kafka.aiokafka(), enable_auto_commit=False)

    async def __aenter__(self) -> Published:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._consumer.stop()

    async def count(self) -> int:
        partitions = [TopicPartition(topics.RECORD_IMPORTED, p) for p in range(topics.HOT_PARTITIONS)]
        ends = await self._consumer.end_offsets(partitions)
        return sum(ends.values())

    async def until(self, target: int) -> None:
        while await self.count() < target:
            await asyncio.sleep(0.1)


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def bench_json(platform: LocalPlatform, rows: int, batch: int = 5000, concurrency: int = 4) -> dict:
    keys = ("power_account", "account_name", "township_code", "period", "kwh")
    records = [dict(zip(keys, r)) for r in _rows(rows, "2024-01")]
    async with Published(platform.kafka.admin) as published:
        return await _bench_json(platform, published, records, rows, batch, concurrency)


async def _bench_json(platform, published, records, rows, batch, concurrency) -> dict:
    key = platform.credentials.departments["power_supply"]
    before = await published.count()
    queue: asyncio.Queue = asyncio.Queue()
    for start in range(0, rows, batch):  # encoded up front: department systems run on their own machines
        queue.put_nowait(orjson.dumps({"kind": "power_usage", "records": records[start : start + batch]}))
    urls = platform.instance_urls("ingest")
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=300) as client:
        async def worker(url: str):  # as a load balancer in front of the instances would
            while not queue.empty():
                chunk = queue.get_nowait()
                r = await client.post(f"{url}/v1/records", content=chunk,
                                      headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
                r.raise_for_status()

        await asyncio.gather(*(worker(urls[i % len(urls)]) for i in range(concurrency)))
    accepted = time.perf_counter() - started
    await published.until(before + rows)
    total = time.perf_counter() - started
    return {"rows": rows, "accepted_s": round(accepted, 1), "published_s": round(total, 1), "rows_per_s": round(rows / total)}


async def bench_upload(platform: LocalPlatform, name: str, content: bytes, rows: int) -> dict:
    async with Published(platform.kafka.admin) as published:
        return await _bench_upload(platform, published, name, content, rows)


async def _bench_upload(platform, published, name, content, rows) -> dict:
    key = platform.credentials.departments["power_supply"]
    before = await published.count()
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=3600) as client:
        r = await client.post(f"{platform.url('ingest')}/v1/uploads", params={"kind": "power_usage"},
                              files={"file": (name, content)}, headers={"Authorization": f"Bearer {key}"})
        r.raise_for_status()
        assert r.json()["accepted"] == rows, r.text
    accepted = time.perf_counter() - started
    await published.until(before + rows)
    total = time.perf_counter() - started
    return {"rows": rows, "bytes": len(content), "accepted_s": round(accepted, 1), "published_s": round(total, 1),
            "rows_per_s": round(rows / total)}


def _csv(rows: int, period: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(_rows(rows, period))
    return out.getvalue().encode("gb18030")


def _xlsx(rows: int, period: str) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for row in _rows(rows, period):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--xlsx-rows", type=int, default=50_000)
    parser.add_argument("--big-csv-rows", type=int, default=1_000_000)
    parser.add_argument("--ingest-instances", type=int, default=1, help="JSON batches are spread over them")
    parser.add_argument("--warm-up-rows", type=int, default=20_000,
                        help="JSON rows sent first and not timed: connections, producers and caches are made on first use")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bizpulse-bench-") as run_dir:
        platform = LocalPlatform.on_free_ports(Path(run_dir))
        try:
            platform.start_infrastructure()
            platform.start_services(("ingest",))
            for _ in range(args.ingest_instances - 1):
                platform.start_instance("ingest")
            pid = platform.services["ingest"].pid
            if args.warm_up_rows:
                print("warm-up (not timed):", asyncio.run(bench_json(platform, args.warm_up_rows)), flush=True)
            print("json batches:", asyncio.run(bench_json(platform, args.rows)), flush=True)
            if args.json_only:
                return
            print("csv upload (GB18030):", asyncio.run(bench_upload(platform, "p.csv", _csv(args.rows, "2024-02"), args.rows)), flush=True)
            print("xlsx upload:", asyncio.run(bench_upload(platform, "p.xlsx", _xlsx(args.xlsx_rows, "2024-03"), args.xlsx_rows)), flush=True)
            print(f"ingest peak RSS so far: {_peak_rss_mib(pid):.0f} MiB", flush=True)
            big = _csv(args.big_csv_rows, "2024-04")
            print("big csv upload:", asyncio.run(bench_upload(platform, "big.csv", big, args.big_csv_rows)), flush=True)
            print(f"ingest peak RSS after the {args.big_csv_rows:,}-row CSV: {_peak_rss_mib(pid):.0f} MiB", flush=True)
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
