"""Storage of backtest jobs: queued by the API, taken by one instance at a time, their progress,
heartbeat and report kept for the supervisor who asked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerting.storage.tables import backtests, entities

WAITING = ("queued", "running")


@dataclass(frozen=True)
class Job:
    """A taken job: what the runner needs to replay it."""

    backtest_id: uuid.UUID
    area: str
    first: str
    last: str
    ruleset: str


async def submit(session: AsyncSession, row: dict) -> None:
    await session.execute(sa.insert(backtests).values(row))


async def waiting_of(session: AsyncSession, requested_by: str) -> int:
    """How many of this person's jobs are queued or running."""
    b = backtests.c
    return await session.scalar(sa.select(sa.func.count()).where(b.requested_by == requested_by, b.status.in_(WAITING)))


async def take(session: AsyncSession, stale: timedelta) -> Job | None:
    """The oldest queued job, or a running one whose instance stopped beating `stale` ago (it died
    mid-way: the replay starts again), marked running for this transaction's caller."""
    b = backtests.c
    now = sa.func.now()
    row = (await session.execute(
        sa.select(b.backtest_id, b.area, b.first, b.last, b.ruleset)
        .where(sa.or_(b.status == "queued", sa.and_(b.status == "running", b.heartbeat_at < now - stale)))
        .order_by(b.submitted_at).limit(1).with_for_update(skip_locked=True)
    )).first()
    if row is None:
        return None
    await session.execute(sa.update(backtests).where(b.backtest_id == row.backtest_id).values(
        status="running", started_at=now, heartbeat_at=now, pages_done=0))
    return Job(*row)


async def registered_count(session: AsyncSession) -> int:
    """Entities in the registry: what a job's pages are estimated from."""
    return await session.scalar(sa.select(sa.func.count()).select_from(entities))


async def progress(session: AsyncSession, backtest_id: uuid.UUID, pages_done: int, pages_total: int | None = None) -> None:
    b = backtests.c
    values: dict = {"pages_done": pages_done, "heartbeat_at": sa.func.now()}
    if pages_total is not None:
        values["pages_total"] = pages_total
    await session.execute(sa.update(backtests).where(b.backtest_id == backtest_id).values(values))


async def finish(session: AsyncSession, backtest_id: uuid.UUID, result: dict | None, error: str | None) -> None:
    b = backtests.c
    await session.execute(sa.update(backtests).where(b.backtest_id == backtest_id).values(
        status="done" if error is None else "failed", result=result, error=error, finished_at=sa.func.now()))


_LISTED = [c for c in backtests.c if c.name not in ("ruleset", "result")]


async def get(session: AsyncSession, backtest_id: uuid.UUID, area: str):
    """The job with its report, if it judged within `area` (a supervisor sees what was asked of the
    area he oversees, or of a part of it)."""
    b = backtests.c
    return (await session.execute(
        sa.select(backtests).where(b.backtest_id == backtest_id, b.area.startswith(area, autoescape=True)))).first()


async def listed(session: AsyncSession, area: str, limit: int, offset: int) -> list:
    b = backtests.c
    return list(await session.execute(
        sa.select(*_LISTED).where(b.area.startswith(area, autoescape=True))
        .order_by(b.submitted_at.desc()).limit(limit).offset(offset)))

