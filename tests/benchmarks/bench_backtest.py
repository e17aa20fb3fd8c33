"""Backtest benchmark: a city's history replayed with the packaged rule set, through the same two
passes and worker processes as `python -m services.alerting backtest`.

    .venv/bin/python -m tests.benchmarks.bench_backtest [--entities 600000] [--months 36] [--workers 2] [--from-db]

In memory (default), each worker generates its pages of synthetic histories where it judges them
(generation is timed apart and reported): most entities report power and tax every month in
their industry's tax-per-kWh band, a few percent of entity-months are anomalies (zero tax, a
power drop, a missing record, a dormant run, losses, activity after deregistration), and a
stored alert exists for about half of the zero-tax months (half of those resolved) plus a few
the data does not support. `--from-db` stages the same data into a local platform's alerting
tables (COPY) and reads it through the service's loader instead. Results: docs/benchmarks/backtest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from services.alerting.backtest import PAGE, Database, backtest, months
from services.alerting.domain.backtest import StoredAlert
from services.alerting.domain.catalogue import alert_id
from services.alerting.domain.history import POWER, TAX, Closure, Entity, History, Month, shift
from services.alerting.domain.ruleset import DEFAULT_RULESET
from services.alerting.judging import LOOKBACK_MONTHS
from shared.reference import TOWNSHIPS

LAST = "2026-10"
TOWNSHIP_CODES = sorted(TOWNSHIPS)
# division → tax per kWh (元) a typical business of it pays: power-hungry trades pay little per kWh
INDUSTRIES = {"C13": 0.12, "C17": 0.08, "C18": 0.25, "C19": 0.2, "C26": 0.15, "C29": 0.1, "C33": 0.18, "C38": 0.3,
              "C39": 0.35, "F51": 0.9, "F52": 0.8, "G54": 0.6, "H62": 0.5, "L72": 1.2, "E48": 0.4, "B10": 0.05}
DIVISIONS = list(INDUSTRIES)
CLOSED = Closure(frozenset({TAX, POWER}))


@dataclass(frozen=True)
class Synthetic:
    """`entities` histories over `window`, generated page by page from the page's number."""

    entities: int
    first: str  # first month with data (the judged range's lookback included)
    last: str

    async def pages(self) -> AsyncIterator[int]:
        for start in range(0, self.entities, PAGE):
            yield start

    async def closures(self, periods) -> dict[str, Closure]:
        return dict.fromkeys(periods, CLOSED)

    def histories(self, page: int, first: str, last: str) -> list[History]:
        return _generated(self, page)[0]

    def alerts(self, page: int) -> list[StoredAlert]:
        return _generated(self, page)[1]


_LAST_PAGE: dict = {}  # a worker asks a page's alerts, then its histories: generated once


def _generated(source: Synthetic, page: int) -> tuple[list[History], list[StoredAlert]]:
    if (source, page) not in _LAST_PAGE:
        _LAST_PAGE.clear()
        _LAST_PAGE[(source, page)] = generate(page, min(PAGE, source.entities - page), months(source.first, source.last))
    return _LAST_PAGE[(source, page)]


def generate(start: int, count: int, periods: list[str]) -> tuple[list[History], list[StoredAlert]]:
    r = Random(start)
    histories, alerts = [], []
    for i in range(start, start + count):
        uscc = f"91445200MA{i:08d}"
        township = TOWNSHIP_CODES[i % len(TOWNSHIP_CODES)]
        industry = DIVISIONS[i % len(DIVISIONS)]
        deregistered = r.random() < 0.01
        entity = Entity(uscc, f"基准主体{i}", township, industry + "11", "deregistered" if deregistered else "active",
                        date(2025, r.randint(1, 12), 15) if deregistered else None)
        base, ratio = r.lognormvariate(9.5, 1.0), INDUSTRIES[industry] * r.uniform(0.7, 1.4)
        dormant_from = r.randrange(len(periods)) if r.random() < 0.02 else len(periods)
        built = {}
        for k, period in enumerate(periods):
            kwh, tax = base * r.uniform(0.85, 1.15), None
            tax = kwh * ratio * r.uniform(0.8, 1.2)
            roll = r.random()
            if k >= dormant_from:
                kwh, tax = 10.0, 0.0
            elif roll < 0.01:  # zero tax: 用电无税, often already raised
                tax = 0.0
                if r.random() < 0.5:
                    status = "resolved" if r.random() < 0.5 else "open"
                    alerts.append(StoredAlert(alert_id("power_without_tax", uscc, period), "power_without_tax", uscc,
                                              period, township, status, True, False))
            elif roll < 0.015:
                kwh *= 0.2  # 用电骤降
            elif roll < 0.018:
                kwh = None  # no power record
            elif roll < 0.019:  # an alert the data no longer reproduces (corrected since)
                alerts.append(StoredAlert(alert_id("power_drop", uscc, period), "power_drop", uscc, period, township,
                                          "acknowledged", True, False))
            built[period] = Month(period, None if kwh is None else round(kwh, 1), round(tax, 2))
        finance = {}
        losing = r.random() < 0.1
        for year in range(int(periods[0][:4]), int(periods[-1][:4]) + 1):
            for q in range(1, 5):
                finance[f"{year}-Q{q}"] = (-1.0 if losing else 1.0) * r.uniform(1e4, 1e6)
        histories.append(History(entity, built, finance))
    return histories, alerts


def _cpu_seconds() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


async def _stage(url: str, source: Synthetic) -> float:
    """The synthetic city into alerting's tables, as the live path would have stored it."""
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        async for page in source.pages():
            histories, alerts = source.histories(page, source.first, source.last), source.alerts(page)
            await connection.copy_records_to_table(
                "entities", schema_name="alerting",
                columns=["uscc", "version", "name", "township_code", "industry_code", "status", "status_since"],
                records=[(e.uscc, 1, e.name, e.township_code, e.industry_code, e.status, e.status_since)
                         for e in (h.entity for h in histories)])
            facts = [
                (uuid.uuid4(), 1, h.entity.uscc, period, kind, value, h.entity.name, h.entity.township_code, h.entity.township_code)
                for h in histories for period, m in h.months.items()
                for kind, value in (("power_usage", m.kwh), ("tax_payment", m.tax)) if value is not None
            ] + [(uuid.uuid4(), 1, h.entity.uscc, q, "net_profit", v, h.entity.name, h.entity.township_code, None)
                 for h in histories for q, v in h.finance.items()]
            await connection.copy_records_to_table(
                "facts", schema_name="alerting",
                columns=["record_id", "version", "uscc", "period", "kind", "value", "entity_name", "township_code",
                         "record_township_code"], records=facts)
            await connection.copy_records_to_table(
                "alerts", schema_name="alerting",
                columns=["alert_id", "rule", "uscc", "period", "township_code", "status", "supported", "inhibited"],
                records=[(a.alert_id, a.rule, a.uscc, a.period, a.township_code, a.status, a.supported, a.inhibited)
                         for a in alerts])
        periods = months(source.first, source.last)
        await connection.executemany("INSERT INTO alerting.closures VALUES ($1, $2, false)",
                                     [(p, d) for p in periods for d in (TAX, POWER)])
        await connection.execute("ANALYZE alerting.facts; ANALYZE alerting.entities; ANALYZE alerting.alerts")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def _timed(source, first: str, workers: int) -> tuple[float, object]:
    started = time.perf_counter()
    report = await backtest(source, DEFAULT_RULESET.read_text(encoding="utf-8"), "ruleset.yaml", first, LAST, workers=workers)
    return time.perf_counter() - started, report


def run(entities: int, n_months: int, workers: int, from_db: bool) -> dict:
    first = shift(LAST, 1 - n_months)
    synthetic = Synthetic(entities, shift(first, -LOOKBACK_MONTHS), LAST)
    started = time.perf_counter()
    generate(0, PAGE, months(synthetic.first, LAST))
    generate_us = (time.perf_counter() - started) / (PAGE * n_months) * 1e6
    result: dict = {"entities": entities, "months": n_months, "workers": workers, "source": "database" if from_db else "memory"}
    cpu_before = _cpu_seconds()
    if from_db:
        from deploy.local.platform import LocalPlatform

        with tempfile.TemporaryDirectory(prefix="bizpulse-bench-") as run_dir:
            platform = LocalPlatform.on_free_ports(Path(run_dir))
            try:
                platform.start_infrastructure()
                result["staged_s"] = round(asyncio.run(_stage(platform.database_url, synthetic)), 1)
                cpu_before = _cpu_seconds()
                wall, report = asyncio.run(_timed(Database(platform.database_url), first, workers))
            finally:
                platform.stop()
    else:
        result["generate_us_per_entity_month"] = round(generate_us, 1)  # in the judging figures below, twice
        wall, report = asyncio.run(_timed(synthetic, first, workers))
    own, children = (after - before for after, before in zip(_cpu_seconds(), cpu_before, strict=True))
    judged = entities * n_months
    totals = report.totals
    return result | {
        "wall_s": round(wall, 1),
        "entity_months_per_s": round(judged / wall),
        # both passes (sample, then judge and compare) in the workers; the caller pages and merges
        "worker_cpu_us_per_entity_month": round(children / judged * 1e6, 1),
        "caller_cpu_us_per_entity_month": round(own / judged * 1e6, 1),
        "peak_rss_mib": {"caller": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                         "largest_worker": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)},
        "would_fire": totals.would_fire, "currently_open": totals.currently_open,
        "would_disappear": totals.would_disappear, "would_appear": totals.would_appear,
        "confirmed_share": totals.confirmed_share,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=600_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--from-db", action="store_true", help="stage into a local platform's tables and load from there")
    args = parser.parse_args()
    print(run(args.entities, args.months, args.workers, args.from_db), flush=True)


if __name__ == "__main__":
    main()
