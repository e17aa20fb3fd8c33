"""What each statement cost PostgreSQL during a benchmark's measured part (pg_stat_statements), for
bench_pipeline (per row of the month) and bench_dashboard (per call): where its share of the CPU goes.
Time in a statement includes waits, so each share is an upper bound of that statement's CPU."""

from __future__ import annotations

import asyncpg

from deploy.local.platform import LocalPlatform

_PROFILE = """
    SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, rows,
           total_exec_time + total_plan_time AS ms, total_plan_time AS plan_ms
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY ms DESC"""


def preload(platform: LocalPlatform) -> None:
    """Before the infrastructure starts: PostgreSQL loads the extension and times planning too."""
    platform.postgres.settings |= {"shared_preload_libraries": "pg_stat_statements",
                                   "pg_stat_statements.track_planning": "on"}


async def _connect(platform: LocalPlatform) -> asyncpg.Connection:
    return await asyncpg.connect(platform.database_url.replace("+asyncpg", ""))


async def reset(platform: LocalPlatform) -> None:
    """From here on, what each statement costs."""
    connection = await _connect(platform)
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await connection.execute("SELECT pg_stat_statements_reset()")
    finally:
        await connection.close()


async def report(platform: LocalPlatform, units: int, unit: str = "row", top: int = 25, width: int = 150) -> list[str]:
    """The costliest statements since the reset, as µs of planning and execution per `unit` (`units` of them)."""
    connection = await _connect(platform)
    try:
        statements = await connection.fetch(_PROFILE)
    finally:
        await connection.close()
    total = sum(s["ms"] for s in statements)
    lines = [f"all {len(statements)} statements: {total * 1000 / units:,.0f} µs per {unit}"]
    for s in statements[:top]:
        lines.append(f"{s['ms'] * 1000 / units:9.1f} µs/{unit} {s['ms'] / total:6.1%} {s['calls']:>9,} calls "
                     f"{s['rows']:>10,} rows plan {s['plan_ms'] / s['ms']:4.0%}  {s['query'][:width]}")
    return lines
