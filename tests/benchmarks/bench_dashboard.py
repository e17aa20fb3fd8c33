"""Dashboard benchmark: 36 months of a 600,000-entity city in analytics' read models, every endpoint
under 8 concurrent clients.

    .venv/bin/python -m tests.benchmarks.bench_dashboard [--entities 600000] [--months 36] [--clients 8]
        [--requests 40] [--last 2026-11] [--instances 1] [--no-cache] [--solo 5] [--profile-sql] [--keep DIR]

Starts its own broker and database (deploy/local/platform.py) and only the analytics service (the
others are on no request's path). The read models are loaded directly with COPY — what the analytics
consumers would have built from the events (the benchmark of that path is bench_pipeline): the
registry (type, 门类, township by the city's weights, status, 成立 and 注销/吊销 dates, 注册资本), per
entity and month its kWh and tax (≈60 % of entities active in a month, a few restated after month
end; written month by month, as the monthly imports lay them on disk), one department record per figure with its link (`records`, `figure_records`; a few unlinked),
alerts (~1 % of entities a month, every rule, every handling state), departments' timeliness. Load
time and rate are printed per table.

Then `--clients` concurrent clients (one HTTP connection each) call every endpoint with realistic
filters — the city, a county, a township; the latest month, a year's range — as the leaders'
supervisor key and townships' keys, `--requests` times each in a shuffled order, each call's filters
drawn anew (so a township's call is mostly the first of its kind, the city's and a county's mostly not:
analytics keeps answers until its data changes, shared/service/read_cache.py; the hits, misses and
joined calls are counted; `--no-cache` measures every call computed). Per endpoint: p50 /
p95 / p99 / max latency in ms (from the call, queueing on the 8 connections included), answers by
status; CPU µs per request of analytics (its instances and their workbook writers together), PostgreSQL
and the clients (this process: load the same two cores carry); table sizes and the processes' memory.
With `--instances n`, n analytics processes, each on its own port, the clients' connections spread over
them as a balancer would. With `--solo n`, then n more calls of each endpoint (other draws) by one
client: each call's own time, nothing queued. With `--profile-sql`, the statements that cost PostgreSQL
most during the measured calls (µs per call). With `--keep DIR`, the database is kept in DIR and a later
run with the same DIR and city reuses it: the migrations added since are applied to it (a new index is
built over the loaded months) and the 35-minute load at 600,000 entities is skipped, so a change to a
statement is measured against the same data
(`loaded` then says `"reused": true` and gives the first load's figures).
Targets (issue 13): p95 < 200 ms for every endpoint, the panorama < 100 ms, a township's monthly report < 2 s.
Results: docs/benchmarks/dashboard.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np
import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.platform import LocalPlatform
from shared import uscc
from shared.contracts.rules import RULE_NAMES_ZH
from shared.periods import shift
from shared.reference import DIVISIONS, TOWNSHIPS
from tests.benchmarks import sql_profile
from tests.benchmarks.bench_alerting_live import _server_pids
from tests.benchmarks.bench_matcher import _cpu_seconds

from services.analytics.domain import power
from services.analytics.domain.months import section
from services.analytics.domain.size_bands import DEFAULT_SIZE_BANDS, load_size_bands
from services.analytics.storage.repository import (
    REFILL_AREA_MONTHS,
    REFILL_KIND_MONTHS,
    REFILL_RECORD_COUNTS,
    bands_fingerprint,
    size_band_function,
)

INDUSTRIES = ("0511", "1311", "1713", "1810", "2231", "3071", "3311", "3411", "3951", "4411", "4700", "5212",
              "5261", "5411", "5810", "6110", "6210", "6520", "7010", "7212", "8111", "8621", "9011")
RULES = tuple(RULE_NAMES_ZH)
SEVERITY = {"power_without_tax": "high", "deregistered_active": "high", "tax_without_power": "medium",
            "tax_power_ratio": "medium", "tax_vs_peers": "medium"}


def _months(last: str, n: int) -> list[str]:
    return [shift(last, -i) for i in range(n - 1, -1, -1)]


def _capital(kind: str, size: float) -> float:
    """注册资本 (万元): an enterprise's by its size, an individual business's a twentieth of that."""
    return round(100 * size if kind == "1" else 5 * size, 2)


class City:
    """The synthetic city, drawn once: entity i's attributes are fixed, its months follow from them."""

    def __init__(self, entities: int, seed: int = 11) -> None:
        r = random.Random(seed)
        townships = sorted(TOWNSHIPS)
        weights = [3.0 if TOWNSHIPS[t].name.endswith("街道") else 1.0 for t in townships]
        self.entities = []
        for i in range(entities):
            township = r.choices(townships, weights)[0]
            kind = "2" if r.random() < 0.40 else "3" if r.random() < 0.02 else "1"
            body = "".join(uscc.ALPHABET[(i // 31**j) % 31] for j in range(6))
            code = uscc.build("9", kind, township[:6], "BD" + body)
            u = r.random()
            status = "deregistered" if u < 0.03 else "revoked" if u < 0.04 else "active"
            self.entities.append((code, township, r.choice(INDUSTRIES), kind, status,
                                  r.random(), r.lognormvariate(0, 1.2), r.random() < 0.6, r.random() < 0.7))

    def entity_rows(self, last: str) -> Iterator[tuple]:
        r = random.Random(1)
        end = date(int(last[:4]), int(last[5:7]), 1)
        for code, township, industry, kind, status, age, size, active, powered in self.entities:
            established = end - timedelta(days=int(3650 * age ** 0.5))
            ended = established + timedelta(days=int((end - established).days * r.random())) if status != "active" else None
            yield (code, f"揭阳{code[-8:]}有限公司", township, status, industry, section(industry), 1, established, ended,
                   f"9{kind}", _capital(kind, size))

    def month_rows(self, months: list[str]) -> Iterator[tuple]:
        """Each active entity's figures, month by month as a city's monthly imports bring them (so a
        month's rows lie together on disk, as they do in production; loaded entity by entity, every
        month's rows were spread over the whole table): ~10 % quiet months, kWh within ±30 % of the
        entity's level (none for the unmetered), tax within ±50 % or a zero month, 2 % restated after
        the month's end (as reported: none). The same months from the same seed, whatever the call."""
        active = [i for i, e in enumerate(self.entities) if e[7]]
        size = np.array([self.entities[i][6] for i in active])
        powered = np.array([self.entities[i][8] for i in active])
        fixed = [(self.entities[i][0], self.entities[i][1], section(self.entities[i][2]),
                  f"揭阳{self.entities[i][0][-8:]}有限公司") for i in active]
        r = np.random.default_rng(2)
        for m in months:
            quiet, kwh_draw, taxed, tax_draw, restated = r.random((5, len(active)))
            kwh = np.round(3000 * size * (0.7 + 0.6 * kwh_draw), 1)
            tax = np.where(taxed < 0.8, np.round(800 * size * (0.5 + tax_draw), 2), 0.0)
            for j in np.flatnonzero(quiet >= 0.1).tolist():
                code, township, letter, name = fixed[j]
                k = float(kwh[j]) if powered[j] else None
                t = float(tax[j])
                yield (code, m, township, letter, name, k, t, None if restated[j] < 0.02 else k, None if restated[j] < 0.02 else t)

    def entity_month_rows(self, months: list[str]) -> Iterator[tuple]:
        """`month_rows` with each month's base daily kWh (its entity's in the aligned base month, by each
        basis), its entity's type and 规模档 (the packaged band file), as the consumers keep them: a base
        month is 11 to 13 months back, so those are kept."""
        bands = load_size_bands(DEFAULT_SIZE_BANDS)
        kinds = {code: (f"9{kind}", bands.band_of(_capital(kind, size))) for code, _, _, kind, _, _, size, _, _ in self.entities}
        kwh_by_month: dict[str, dict[str, tuple]] = {}
        for row in self.month_rows(months):
            code, m, kwh, kwh_reported = row[0], row[1], row[5], row[7]
            if m not in kwh_by_month:
                kwh_by_month = {p: v for p, v in kwh_by_month.items() if p >= shift(m, -13)} | {m: {}}
            kwh_by_month[m][code] = (kwh, kwh_reported)
            base = power.known_base(m)
            daily = [None if v is None else v / power.days_in(base) for v in kwh_by_month.get(base, {}).get(code, (None, None))]
            yield (*row, *daily, *kinds[code])


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str], rows) -> dict:
    began = time.perf_counter()
    batch, n = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == 50_000:
            await conn.copy_records_to_table(table, schema_name="analytics", columns=columns, records=batch)
            n += len(batch)
            batch = []
    if batch:
        await conn.copy_records_to_table(table, schema_name="analytics", columns=columns, records=batch)
        n += len(batch)
    seconds = time.perf_counter() - began
    print(f"  {table}: {n:,} rows in {seconds:.1f}s ({n / seconds:,.0f} rows/s)", flush=True)
    return {"rows": n, "seconds": round(seconds, 1), "rows_per_second": round(n / seconds)}


def _records(month_rows) -> Iterator[tuple[tuple, tuple | None]]:
    """One department record per figure of an entity-month: (records row, figure_records row or None if unlinked)."""
    r = random.Random(3)
    for code, m, township, _, name, kwh, tax, kwh_reported, tax_reported in month_rows:
        for kind, department, measure, value, reported, key in (
                ("power_usage", "power_supply", "kwh", kwh, kwh_reported, f"P{code[-10:]}"),
                ("tax_payment", "tax", "tax", tax, tax_reported, code)):
            if value is None:
                continue
            record_id = uuid.UUID(int=r.getrandbits(128))
            linked = r.random() > 0.03
            yield ((record_id, department, kind, township, m, code if linked else None, 1, 2 if linked else 1, key, name),
                   (record_id, code, m, measure, 1, value, None if reported is None else 1, reported) if linked else None)


async def load(platform: LocalPlatform, city: City, months: list[str]) -> dict:
    conn = await asyncpg.connect(platform.database_url.replace("+asyncpg", ""))
    try:
        loaded = {"entities": await _copy(conn, "entities", [
            "entity_key", "name", "township_code", "status", "industry_code", "industry_section", "version",
            "established_on", "ended_on", "entity_type", "registered_capital"], city.entity_rows(months[-1]))}
        loaded["entity_months"] = await _copy(conn, "entity_months", [
            "uscc", "period", "township_code", "industry_section", "entity_name", "kwh", "tax", "kwh_reported",
            "tax_reported", "base_daily_kwh", "base_daily_kwh_reported", "entity_type", "size_band"], city.entity_month_rows(months))
        for rollup, refill in (("area_months", REFILL_AREA_MONTHS), ("kind_months", REFILL_KIND_MONTHS)):
            began = time.perf_counter()
            await conn.execute(refill)  # what the consumers keep by deltas as entity-months change
            loaded[f"{rollup}_seconds"] = round(time.perf_counter() - began, 1)
        # banded by the packaged file, as the service's start would otherwise do again
        await conn.execute("INSERT INTO analytics.applied_files (name, fingerprint) VALUES ('size_bands', $1)",
                           bands_fingerprint(load_size_bands(DEFAULT_SIZE_BANDS)))
        await conn.execute(size_band_function(load_size_bands(DEFAULT_SIZE_BANDS)))
        # records and their links: two passes over the same seeded draw, so nothing is held in memory
        loaded["records"] = await _copy(conn, "records", [
            "record_id", "department", "kind", "township_code", "period", "uscc", "version", "match_rank", "source_key",
            "record_name"],
            (record for record, _ in _records(city.month_rows(months))))
        loaded["figure_records"] = await _copy(conn, "figure_records", [
            "record_id", "uscc", "period", "measure", "version", "value", "reported_version", "reported_value"],
            (figure for _, figure in _records(city.month_rows(months)) if figure))
        began = time.perf_counter()
        await conn.execute(REFILL_RECORD_COUNTS)
        loaded["record_counts_seconds"] = round(time.perf_counter() - began, 1)
        loaded["alerts"] = await _copy(conn, "alerts", [
            "alert_id", "township_code", "rule", "message_zh", "uscc", "period", "status_rank", "detected_at",
            "acknowledged_at", "resolved_at", "month", "entity_name", "severity", "facts", "disposition", "effect",
            "overdue"], _alerts(city, months))
        loaded["submissions"] = await _copy(conn, "submissions", [
            "department", "kind", "period", "deadline", "status", "first_arrival", "assessed_at"], _submissions(months))
        # what autovacuum leaves a city's months in: statistics, and the visibility map set, so the
        # indexes that carry what a query reads are read without the table (index-only scans)
        began = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        loaded["vacuum_analyze_seconds"] = round(time.perf_counter() - began, 1)
    finally:
        await conn.close()
    return loaded


def _alerts(city: City, months: list[str]) -> Iterator[tuple]:
    r = random.Random(4)
    n = len(city.entities)
    for m in months:
        first = datetime(int(m[:4]), int(m[5:7]), 1, tzinfo=UTC) + timedelta(days=40)  # judged after the month is due
        for _ in range(n // 100):
            code, township, *_ = city.entities[r.randrange(n)]
            rule = r.choice(RULES)
            detected = first + timedelta(hours=r.random() * 600)
            state = r.choices((0, 1, 2), (1, 1, 4))[0] if m != months[-1] else r.choices((0, 1, 2), (4, 2, 1))[0]
            acknowledged = detected + timedelta(hours=2 + 40 * r.random()) if state >= 1 else None
            resolved = acknowledged + timedelta(days=1 + 9 * r.random()) if state == 2 else None
            yield (uuid.UUID(int=r.getrandbits(128)), township, rule, f"{RULE_NAMES_ZH[rule]}：{m}", code, m, state, detected,
                   acknowledged, resolved, m, f"揭阳{code[-8:]}有限公司", SEVERITY.get(rule, "low"),
                   json.dumps({"kwh": 3000.0, "tax": 0.0}), "confirmed_abnormal" if state == 2 else None,
                   "none" if state == 2 else None, state < 2 and r.random() < 0.2)


def _submissions(months: list[str]) -> Iterator[tuple]:
    now = datetime.now(UTC)
    for m in months:
        deadline = date(int(m[:4]), int(m[5:7]), 1) + timedelta(days=40)
        for department, kind in (("tax", "tax_payment"), ("power_supply", "power_usage"), ("market_regulation", "registration")):
            yield (department, kind, m, deadline, "on_time", now, now)


def _requests(city: City, months: list[str], r: random.Random) -> dict[str, list[tuple[str | None, str, dict]]]:
    """Endpoint → calls (township key or None for the supervisor, path, params), drawn to look like people's use:
    each draw another area (city, county or any township), so most township-level calls are the first of their kind."""
    last, year_ago = months[-1], months[max(0, len(months) - 12)]
    counties = sorted(DIVISIONS)
    townships = sorted(TOWNSHIPS)
    active = [e for e in city.entities if e[7]]

    def area():  # the city, a county or a township, as leaders and supervisors narrow it
        u = r.random()
        return {} if u < 0.4 else {"area": r.choice(counties)} if u < 0.8 else {"area": r.choice(townships)}

    def township():
        return r.choice(townships)

    return {
        "overview": [(None, "/v1/overview", {})] + [(township(), "/v1/overview", {})],
        "industries": [(None, "/v1/industries", {"period": last, **area()})],
        "power-trend": [(None, "/v1/power-trend", {"from": year_ago, "to": last, "group": "township", **area()}),
                        (township(), "/v1/power-trend", {"from": year_ago, "to": last, "group": "industry"})],
        "entities": [(None, "/v1/entities", {"period": last, "industry": r.choice("CFGI"), "order": "tax", **area()})],
        "panorama": [(None, f"/v1/entities/{r.choice(active)[0]}", {})],
        "supervision": [(None, "/v1/supervision", {"from": year_ago, "to": last, **area()})],
        "alerts": [(None, "/v1/alerts", {"from": last, "to": last, **area()})],
        "locked-entities": [(None, "/v1/locked-entities", {"from": year_ago, "to": last, **area()})],
        "tax-anomalies": [(None, "/v1/tax-anomalies", {"from": year_ago, "to": last, **area()})],
        "report": [(t, "/v1/report", {"period": last}) for t in [township()]],
        "report.xlsx": [(t, "/v1/report.xlsx", {"period": last}) for t in [township()]],
        "pillars": [(None, "/v1/pillars", {"period": last, **area()})],
        "comparison": [(None, "/v1/comparison", {"period": last, **area()})],
        "timeliness": [(None, "/v1/timeliness", {})],
        "development": [(None, "/v1/development", {"period": last, **area()}),
                        (township(), "/v1/development", {"period": last, "months": "24"})],
        "registrations": [(None, "/v1/registrations", {"event": r.choice(("active", "new", "ended")), "month": last, **area()})],
        "pivot": [(None, "/v1/pivot", {"rows": "township", "columns": "industry", "measure": "tax", "from": last, "to": last}),
                  (None, "/v1/pivot", {"rows": "size_band", "columns": "entity_type", "measure": "kwh", "from": year_ago,
                                       "to": last, **area()}),
                  (township(), "/v1/pivot", {"rows": "industry", "columns": "period", "measure": "entities", "from": year_ago,
                                             "to": last})],
        "pivot.xlsx": [(None, "/v1/pivot.xlsx", {"rows": "county", "columns": "industry", "measure": "tax", "from": last,
                                                 "to": last})],
    }


async def hammer(platform: LocalPlatform, city: City, months: list[str], clients: int, requests: int, seed: int) -> dict:
    """The calls shuffled and shared by `clients` connections; with more than one analytics instance,
    connection i goes to instance i mod n, as a balancer spreads connections."""
    calls = []
    r = random.Random(seed)
    for i in range(requests):
        for endpoint, options in _requests(city, months, r).items():
            calls.append((endpoint, options[i % len(options)]))
    r.shuffle(calls)
    queue: asyncio.Queue = asyncio.Queue()
    for call in calls:
        queue.put_nowait(call)
    timings: dict[str, list[float]] = {}
    statuses: dict[str, dict[int, int]] = {}
    bases = platform.instance_urls("analytics")
    keys = platform.credentials

    async def client(base: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=1)) as http:
            while not queue.empty():
                endpoint, (township, path, params) = queue.get_nowait()
                key = keys.townships[township] if township else keys.supervisor
                began = time.perf_counter()
                reply = await http.get(path, params=params, headers={"Authorization": f"Bearer {key}"})
                timings.setdefault(endpoint, []).append((time.perf_counter() - began) * 1000)
                statuses.setdefault(endpoint, {}).setdefault(reply.status_code, 0)
                statuses[endpoint][reply.status_code] += 1
                if reply.status_code != 200:
                    print(f"  {endpoint} {path} {params}: {reply.status_code} {reply.text[:200]}", flush=True)

    pids = _pids(platform)
    cache_before = await _cache_reads(platform)
    cpu_before = _cpu_seconds(pids)
    clients_before = time.process_time()  # this process: the clients, the load the machine also carries
    psutil.cpu_percent(None)
    began = time.perf_counter()
    await asyncio.gather(*(client(bases[i % len(bases)]) for i in range(clients)))
    wall = time.perf_counter() - began
    busy = psutil.cpu_percent(None)  # the whole machine meanwhile, other people's work included
    cpu = _cpu_seconds(_pids(platform))
    cpu["clients"] = time.process_time() - clients_before
    n = len(calls)
    result = {}
    for endpoint, ms in sorted(timings.items()):
        q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        result[endpoint] = {"n": len(ms), "p50_ms": round(q[49]), "p95_ms": round(q[94]), "p99_ms": round(q[98]),
                            "max_ms": round(max(ms)), "statuses": statuses[endpoint]}
    cache = {k: v - cache_before.get(k, 0) for k, v in (await _cache_reads(platform)).items()}
    return {"requests": n, "seconds": round(wall, 1), "requests_per_second": round(n / wall, 1), "machine_busy_percent": busy,
            "read_cache": cache,
            "cpu_us_per_request": {g: round((cpu[g] - cpu_before.get(g, 0)) / n * 1e6) for g in cpu},
            "endpoints": result}


async def _cache_reads(platform: LocalPlatform) -> dict[str, float]:
    """analytics' cached reads so far by outcome (hit, miss, joined), over its instances; each call makes one or more."""
    reads: dict[str, float] = {}
    async with httpx.AsyncClient() as http:
        for base in platform.instance_urls("analytics"):
            text = (await http.get(f"{base}/metrics/")).text
            for family in text_string_to_metric_families(text):
                for s in family.samples:
                    if s.name == "bizpulse_read_cache_total":
                        reads[s.labels["outcome"]] = reads.get(s.labels["outcome"], 0) + s.value
    return reads


def _pids(platform: LocalPlatform) -> dict[str, list[int]]:
    servers = _server_pids(platform)
    analytics = [platform.services["analytics"].pid, *(p.pid for p in platform.extra_instances if p.name == "analytics")]
    workers = [child.pid for pid in analytics for child in psutil.Process(pid).children(recursive=True)]  # its workbook writer
    return {"analytics": analytics + workers, "postgres": servers["postgres"]}


async def sizes(platform: LocalPlatform) -> dict:
    conn = await asyncpg.connect(platform.database_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("""
            SELECT c.relname AS table, pg_total_relation_size(c.oid) AS bytes, pg_indexes_size(c.oid) AS index_bytes
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'analytics' AND c.relkind = 'r' ORDER BY bytes DESC LIMIT 8""")
        return {r["table"]: {"mib": round(r["bytes"] / 2**20), "index_mib": round(r["index_bytes"] / 2**20)} for r in rows}
    finally:
        await conn.close()


def memory(platform: LocalPlatform) -> dict:
    def rss(pids):
        total = 0
        for pid in pids:
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return round(total / 2**20)

    return {f"{group}_rss_mib": rss(pids) for group, pids in _pids(platform).items()}


LOADED = "bench-dashboard-loaded.json"  # in a kept directory: which city its database holds, and its load's figures


def _city_key(args: argparse.Namespace) -> dict:
    return {"entities": args.entities, "months": args.months, "last": args.last}


def _kept_load(run_dir: Path, args: argparse.Namespace) -> dict | None:
    """The first load's figures when `run_dir` already holds this city's months, else None. The broker's
    data is not kept (the load never went through it, and its ports are drawn anew); a directory holding
    another city, or a load that did not finish, is refused rather than measured."""
    marker = run_dir / LOADED
    if not marker.exists():
        if (run_dir / "postgres").exists():
            raise SystemExit(f"{run_dir} holds a database whose load did not finish: remove the directory")
        return None
    kept = json.loads(marker.read_text())
    if kept["city"] != _city_key(args):
        raise SystemExit(f"{run_dir} holds another city ({kept['city']}): remove it, or ask for that city")
    shutil.rmtree(run_dir / "kafka", ignore_errors=True)
    return {**kept["loaded"], "reused": True}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=600_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--last", default="2026-11")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=40, help="calls of each endpoint")
    parser.add_argument("--instances", type=int, default=1,
                        help="analytics instances (each its own process and port); the clients' connections spread over them")
    parser.add_argument("--no-cache", action="store_true", help="analytics without its read cache: every call computed")
    parser.add_argument("--profile-sql", action="store_true",
                        help="print the statements that cost PostgreSQL most during the measured calls (pg_stat_statements)")
    parser.add_argument("--solo", type=int, default=0,
                        help="then this many calls of each endpoint by one client: each call's own time, no queue")
    parser.add_argument("--keep", type=Path, help="keep the loaded database in this directory, or reuse the one there")
    args = parser.parse_args()
    if args.no_cache:
        os.environ["BIZPULSE_READ_CACHE_ENTRIES"] = "0"
    months = _months(args.last, args.months)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as scratch:
        run_dir = args.keep or Path(scratch)
        kept = _kept_load(run_dir, args)
        platform = LocalPlatform.on_free_ports(run_dir)
        if args.profile_sql:
            sql_profile.preload(platform)
        try:
            platform.start_infrastructure()
            began = time.perf_counter()
            city = City(args.entities)
            print(f"city of {args.entities:,} entities drawn in {time.perf_counter() - began:.1f}s; "
                  + (f"reusing the months loaded in {run_dir}" if kept else f"loading {months[0]}…{months[-1]}"), flush=True)
            loaded = kept or asyncio.run(load(platform, city, months))
            if args.keep and not kept:
                (run_dir / LOADED).write_text(json.dumps({"city": _city_key(args), "loaded": loaded}))
            platform.start_services(("analytics",))
            for _ in range(args.instances - 1):
                platform.start_instance("analytics")
            # warm: connections, plans, PostgreSQL's buffers; other draws than the measured calls
            asyncio.run(hammer(platform, city, months, args.clients, 2, seed=5))
            if args.profile_sql:
                asyncio.run(sql_profile.reset(platform))
            measured = asyncio.run(hammer(platform, city, months, args.clients, args.requests, seed=6))
            if args.profile_sql:
                print("PostgreSQL's statements during the measured calls:",
                      *asyncio.run(sql_profile.report(platform, measured["requests"], "call", top=30, width=300)), sep="\n  ")
            solo = asyncio.run(hammer(platform, city, months, 1, args.solo, seed=7)) if args.solo else None
            report = {"entities": args.entities, "months": args.months, "clients": args.clients, "instances": args.instances,
                      "cached": not args.no_cache,
                      "loaded": loaded, **measured, "solo": solo,
                      "table_sizes": asyncio.run(sizes(platform)), "memory": memory(platform)}
        finally:
            platform.stop()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    worst = {e: r["p95_ms"] for e, r in report["endpoints"].items()}
    targets = {e: 2000 if e.startswith("report") else 100 if e == "panorama" else 200 for e in worst}
    for endpoint, p95 in sorted(worst.items(), key=lambda item: -item[1]):
        failed = sum(n for status, n in report["endpoints"][endpoint]["statuses"].items() if status != 200)
        verdict = f"FAILED {failed} calls" if failed else "ok" if p95 < targets[endpoint] else "OVER"
        alone = f"  one client: p50 {report['solo']['endpoints'][endpoint]['p50_ms']:5} ms" if report["solo"] else ""
        print(f"{endpoint:16} p95 {p95:6} ms  (target {targets[endpoint]} ms) {verdict:6}{alone}")


if __name__ == "__main__":
    main()
