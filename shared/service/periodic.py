"""Work a service does on a clock (sweeps: deadlines, refits, escalations), by one instance at a
time: a transaction-scoped PostgreSQL advisory lock elects the instance, so replicas need no
coordinator, and what the round emits goes through the outbox in the same transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.messaging.outbox import UnitOfWork
from shared.service.runtime import Service

log = logging.getLogger(__name__)

Round = Callable[[AsyncSession, UnitOfWork, datetime], Awaitable[None]]


async def try_lock(session: AsyncSession, key: int) -> bool:
    """A transaction-scoped advisory lock: one instance does the work, the others skip the round."""
    return bool(await session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(key))))


async def every(service: Service, seconds: float, lock: int, outbox: sa.Table, work: Round, name: str) -> None:
    """Run `work` every `seconds` on the instance holding `lock`. A failed round is logged and
    tried again next time: a sweep must outlive a database restart."""
    while True:
        try:
            async with service.sessions() as session, session.begin():
                if await try_lock(session, lock):
                    uow = UnitOfWork(session, outbox)
                    await work(session, uow, datetime.now(UTC))
                    await uow.flush()
            service.relay.wake()
        except Exception:
            log.exception("%s failed; trying again next round", name)
        await asyncio.sleep(seconds)
