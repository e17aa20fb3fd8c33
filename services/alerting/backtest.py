"""Backtest service layer (回测): replay every stored entity-month with a proposed rule set and
compare what it would raise with today's alerts (domain.backtest), for the CLI and the API.

Two passes over the history, page by page, in worker processes: the first samples what each
period's intervals and peers are fitted on (only arrays of figures come back), the second judges
with the fitted populations and compares with the page's stored alerts (only counts come back).
Nothing holds 600,000 entities' histories at once; each page is loaded where it is judged.
The rules are the live ones (`judge_all` = `judge` per entity-month), read from the proposal's text.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from services.alerting.domain.backtest import Counts, Key, Report, StoredAlert, compare, merge
from services.alerting.domain.catalogue import judge_all
from services.alerting.domain.history import Closure, History, Population, shift
from services.alerting.domain.intervals import Samples, fit, sample
from services.alerting.domain.ruleset import RuleSet, RuleSetError, parse_ruleset
from services.alerting.judging import LOOKBACK_MONTHS
from services.alerting.storage import backtest_jobs, repository

log = logging.getLogger(__name__)
PAGE = 2_000  # entities per page: one query per table, a few MB of histories per worker
FITTED_RULES = ("tax_power_ratio", "tax_vs_peers")


def months(first: str, last: str) -> list[str]:
    out = [first]
    while out[-1] < last:
        out.append(shift(out[-1], 1))
    return out if first <= last else []


class Source(Protocol):
    """Where the histories come from. `pages` runs in the caller, the rest in worker processes:
    a source is pickled to them, so it holds only what reaches its data (a URL), not the data."""

    def pages(self) -> AsyncIterator[Any]: ...

    async def closures(self, periods: Sequence[str]) -> dict[str, Closure]: ...

    def histories(self, page: Any, first: str, last: str) -> list[History]: ...

    def alerts(self, page: Any) -> list[StoredAlert]: ...


@dataclass(frozen=True)
class Database:
    """alerting's tables, paged by uscc (keyset)."""

    url: str

    async def pages(self) -> AsyncIterator[list[str]]:
        async with self._session() as session:
            after = ""
            while page := await repository.usccs_after(session, after, PAGE):
                yield page
                after = page[-1]

    async def closures(self, periods: Sequence[str]) -> dict[str, Closure]:
        async with self._session() as session:
            return await repository.closures_of(session, periods)

    async def latest_month(self) -> str | None:
        async with self._session() as session:
            return await repository.latest_month(session)

    def histories(self, page: list[str], first: str, last: str) -> list[History]:
        return list(_in_worker(self, lambda s: repository.histories(s, page, first, last)).values())

    def alerts(self, page: list[str]) -> list[StoredAlert]:
        return _in_worker(self, lambda s: repository.stored_alerts(s, page))

    @contextlib.asynccontextmanager
    async def _session(self):
        engine = create_async_engine(self.url)
        try:
            async with AsyncSession(engine) as session:
                yield session
        finally:
            await engine.dispose()


# --- worker processes ------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}  # what every task of a pool shares, set once per process by `_start`


def _start(text: str, name: str, closures: dict[str, Closure], populations: dict[str, Population]) -> None:
    _WORKER.update(ruleset=parse_ruleset(text, name), closures=closures, populations=populations)


def _in_worker(source: Database, query: Callable) -> Any:
    """A query on the worker's own loop and engine, both kept for the process's life."""
    if "loop" not in _WORKER:
        _WORKER["loop"] = asyncio.new_event_loop()
        _WORKER["engine"] = create_async_engine(source.url, pool_size=1)
    engine: AsyncEngine = _WORKER["engine"]

    async def run():
        async with AsyncSession(engine) as session:
            return await query(session)

    return _WORKER["loop"].run_until_complete(run())


def _sample_page(source: Source, page: Any, periods: list[str]) -> Samples:
    """Fitting reads the judged months' own figures: no lookback (a third less to read)."""
    return sample(_WORKER["ruleset"], source.histories(page, periods[0], periods[-1]), periods)


def _judge_page(source: Source, page: Any, periods: list[str], window: tuple[str, str], within: str) -> dict[Key, Counts]:
    """Entities out of scope are not judged unless an alert of theirs is in it (they moved): rows out
    of scope come out wrong and are dropped by `Report.within`."""
    alerts = source.alerts(page)
    involved = {a.uscc for a in alerts if a.township_code.startswith(within)}
    histories = [h for h in source.histories(page, *window)
                 if h.entity.township_code.startswith(within) or h.entity.uscc in involved]
    judgements = judge_all(_WORKER["ruleset"], histories, periods, _WORKER["closures"], _WORKER["populations"])
    return compare((f for j in judgements for f in j.findings), alerts, set(periods))


class _InProcess(Executor):
    """workers=0: every task in the calling process (tests, profiling)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@contextlib.contextmanager
def _pool(workers: int, *state: Any) -> Iterator[Executor]:
    if workers == 0:
        _start(*state)
        yield _InProcess()
        return
    # spawned, not forked: the API calls this from a process with a running event loop and Kafka clients
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start, initargs=state) as pool:
        yield pool


async def _each_page(pool: Executor, workers: int, source: Source, task: Callable, *args: Any) -> AsyncIterator[Any]:
    """`task(source, page, *args)` for every page, a couple in flight per worker (memory stays flat)."""
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Future] = set()
    async for page in source.pages():
        pending.add(loop.run_in_executor(pool, task, source, page, *args))
        if len(pending) >= 2 * max(workers, 1):
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                yield future.result()
    for future in asyncio.as_completed(pending):
        yield await future


# --- the backtest ----------------------------------------------------------------------------


def passes(ruleset: RuleSet) -> int:
    """How often a backtest reads every page: twice when it fits intervals or peers first."""
    return 2 if any(ruleset.params(rule) is not None for rule in FITTED_RULES) else 1


async def backtest(
    source: Source, text: str, name: str, first: str, last: str, *, workers: int, within: str = "",
    on_page: Callable[[], Awaitable[None]] | None = None,
) -> Report:
    """The proposal (rule-set YAML `text`, errors located in `name`: RuleSetError) over the months
    from `first` to `last`; `within`: only entities and alerts of townships under this prefix are
    judged (the populations are still the whole city's). `on_page` is awaited after every page of
    every pass (a job's progress)."""
    ruleset = parse_ruleset(text, name)
    periods = months(first, last)
    window = (shift(first, -LOOKBACK_MONTHS), last)
    closures = await source.closures(periods)
    samples = Samples()
    if passes(ruleset) == 2:
        with _pool(workers, text, name, {}, {}) as pool:
            async for part in _each_page(pool, workers, source, _sample_page, periods):
                samples.merge(part)
                if on_page is not None:
                    await on_page()
    populations = fit(ruleset, samples, periods)
    counts: dict[Key, Counts] = {}
    with _pool(workers, text, name, closures, populations) as pool:
        async for part in _each_page(pool, workers, source, _judge_page, periods, window, within):
            merge(counts, part)
            if on_page is not None:
                await on_page()
    return Report.of(counts).within(within)


async def run_job(sessions: Callable[[], Any], database_url: str, job: backtest_jobs.Job, workers: int) -> None:
    """Replay a taken job and leave its report (or why it failed) on it; every page beats its
    heartbeat, so a job whose instance dies is taken again by another."""
    ruleset = parse_ruleset(job.ruleset, "ruleset")  # checked when it was submitted
    async with sessions() as session, session.begin():
        pages = max(1, -(-await backtest_jobs.registered_count(session) // PAGE))
        await backtest_jobs.progress(session, job.backtest_id, 0, passes(ruleset) * pages)
    done = 0

    async def on_page() -> None:
        nonlocal done
        done += 1
        async with sessions() as session, session.begin():
            await backtest_jobs.progress(session, job.backtest_id, done)

    try:
        report = await backtest(Database(database_url), job.ruleset, "ruleset", job.first, job.last,
                                workers=workers, within=job.area, on_page=on_page)
        result, error = BacktestOut.of(report, ruleset, job.first, job.last).model_dump(mode="json"), None
    except Exception as e:  # a job that cannot finish says so, rather than staying "running"
        log.exception("backtest %s failed", job.backtest_id)
        result, error = None, f"回测未能完成（{type(e).__name__}）：{e}"
    async with sessions() as session, session.begin():
        await backtest_jobs.finish(session, job.backtest_id, result, error)


# --- the report as programs read it (API, --json) --------------------------------------------


class CountsOut(BaseModel):
    would_fire: int = Field(description="alerts the proposed rule set raises")
    currently_open: int = Field(description="alerts townships have today (supported by the data, not silenced)")
    would_disappear: int = Field(description="of today's alerts, the ones the proposal would not raise")
    would_appear: int = Field(description="alerts the proposal raises that townships do not have today")
    handled: int = Field(description="stored alerts townships resolved (办结)")
    confirmed: int = Field(description="of those, the ones found real (属实; a resolution without a disposition counts)")
    confirmed_missed: int = Field(description="confirmed alerts the proposal would not raise")
    confirmed_share: float | None = Field(description="confirmed / handled; null before any was handled")

    @classmethod
    def of(cls, counts: Counts) -> CountsOut:
        return cls(**asdict(counts), confirmed_share=counts.confirmed_share)


class RowOut(CountsOut):
    rule: str
    name_zh: str
    period: str
    county: str
    township_code: str


class RuleOut(CountsOut):
    rule: str
    name_zh: str


class BacktestOut(BaseModel):
    ruleset_version: str
    first: str
    last: str
    rows: list[RowOut] = Field(description="per rule × period × township")
    rules: list[RuleOut]
    totals: CountsOut

    @classmethod
    def of(cls, report: Report, ruleset: RuleSet, first: str, last: str) -> BacktestOut:
        def named(rule: str, counts: Counts) -> dict:
            return CountsOut.of(counts).model_dump() | {"rule": rule, "name_zh": name_zh(ruleset, rule)}

        return cls(
            ruleset_version=ruleset.version, first=first, last=last,
            rows=[RowOut(**named(r.rule, r.counts), period=r.period, county=r.county, township_code=r.township_code)
                  for r in report.rows],
            rules=[RuleOut(**named(rule, counts)) for rule, counts in report.rules.items()],
            totals=CountsOut.of(report.totals),
        )


def name_zh(ruleset: RuleSet, rule: str) -> str:
    """The rule's name as the proposal gives it; a rule it drops is named by its id."""
    spec = ruleset.rules.get(rule)
    return spec.name_zh if spec is not None else rule


# --- the command -----------------------------------------------------------------------------

_COLUMNS = (("规则", 22), ("将触发", 9), ("当前在办", 9), ("将消失", 9), ("将新增", 9), ("已办结", 9), ("确认", 9),
            ("确认率", 8), ("确认但将漏报", 13))


def _period(value: str) -> str:
    if len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit() or not 1 <= int(value[5:]) <= 12:
        raise argparse.ArgumentTypeError(f"期间应为 YYYY-MM：{value}")
    return value


def _cell(text: str, width: int, right: bool) -> str:
    """Padded to `width` columns of a terminal, where a Chinese character takes two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    pad = " " * max(width - used, 0)
    return pad + text if right else text + pad


def _line(cells: Sequence[str]) -> str:
    return " ".join(_cell(c, w, i > 0) for i, (c, (_, w)) in enumerate(zip(cells, _COLUMNS, strict=True)))


def table(out: BacktestOut) -> str:
    """Per rule and in total: what people read; the rows per period and township are in --json."""
    def cells(label: str, c: CountsOut) -> list[str]:
        share = "–" if c.confirmed_share is None else f"{c.confirmed_share:.0%}"
        return [label, *(f"{n:,}" for n in (c.would_fire, c.currently_open, c.would_disappear, c.would_appear,
                                            c.handled, c.confirmed)), share, f"{c.confirmed_missed:,}"]

    lines = [f"回测：规则集 {out.ruleset_version}，{out.first} 至 {out.last}", _line([name for name, _ in _COLUMNS])]
    lines += [_line(cells(f"{r.name_zh}（{r.rule}）", r)) for r in out.rules]
    lines.append(_line(cells("合计", out.totals)))
    return "\n".join(lines)


def command(argv: list[str]) -> int:
    """`python -m services.alerting backtest --ruleset FILE [--from YYYY-MM] [--to YYYY-MM] [--json OUT]`."""
    from services.alerting.settings import AlertingSettings

    parser = argparse.ArgumentParser(prog="python -m services.alerting backtest",
                                     description="以拟议规则集回放历史数据，对比当前预警与乡镇核实结果")
    parser.add_argument("--ruleset", type=Path, required=True, help="the proposed rule set (YAML)")
    parser.add_argument("--from", dest="first", type=_period, help="first month judged (default: 35 months before --to)")
    parser.add_argument("--to", dest="last", type=_period, help="last month judged (default: the newest month with data)")
    parser.add_argument("--json", type=Path, help="also write the whole report, per period and township, here")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (0: none)")
    args = parser.parse_args(argv)
    try:
        text = args.ruleset.read_text(encoding="utf-8")
        ruleset = parse_ruleset(text, str(args.ruleset))
    except (OSError, RuleSetError) as e:
        print(f"规则集无法使用：{e}", file=sys.stderr)
        return 2
    source = Database(AlertingSettings().database_url)
    last = args.last or asyncio.run(source.latest_month())
    if last is None:
        print("没有可回测的数据（alerting 尚无用电或纳税记录）")
        return 0
    first = args.first or shift(last, -35)
    report = asyncio.run(backtest(source, text, str(args.ruleset), first, last, workers=args.workers))
    out = BacktestOut.of(report, ruleset, first, last)
    print(table(out))
    if args.json:
        args.json.write_text(out.model_dump_json(indent=2), encoding="utf-8")
    return 0
