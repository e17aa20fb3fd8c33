"""Raw asyncpg statements on the hot paths (COPY into the outbox, array upserts, the inbox) run
inside the session's transaction: a rollback takes them back with everything else."""

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from shared.db.engine import create_engine, driver_connection
from shared.settings import ServiceSettings
from tests.integration.harness import db_execute, db_scalar

pytestmark = pytest.mark.integration


class _Abort(Exception):
    pass


async def test_a_raw_statement_is_rolled_back_with_its_transaction(platform):
    await db_execute(platform, "CREATE TABLE IF NOT EXISTS public.transaction_probe (n integer)")
    engine = create_async_engine(platform.database_url)
    try:
        with pytest.raises(_Abort):
            async with async_sessionmaker(engine)() as session, session.begin():
                await (await driver_connection(session)).execute("INSERT INTO public.transaction_probe VALUES (1)")
                await session.execute(sa.text("INSERT INTO public.transaction_probe VALUES (2)"))
                raise _Abort
    finally:
        await engine.dispose()
    assert await db_scalar(platform, "SELECT count(*) FROM public.transaction_probe") == 0


async def test_each_transaction_of_a_session_is_begun(platform):
    """A session that runs several transactions: raw statements of the second are inside it too."""
    await db_execute(platform, "CREATE TABLE IF NOT EXISTS public.transaction_probe_2 (n integer)")
    engine = create_async_engine(platform.database_url)
    try:
        async with async_sessionmaker(engine)() as session:
            async with session.begin():
                await (await driver_connection(session)).execute("INSERT INTO public.transaction_probe_2 VALUES (1)")
            with pytest.raises(_Abort):
                async with session.begin():
                    await (await driver_connection(session)).execute("INSERT INTO public.transaction_probe_2 VALUES (2)")
                    raise _Abort
    finally:
        await engine.dispose()
    assert await db_scalar(platform, "SELECT array_agg(n) FROM public.transaction_probe_2") == [1]


async def test_service_connections_plan_each_statement_for_its_parameters(platform):
    """The hot statements take arrays and run once per batch: a generic plan cached while a table
    was nearly empty (a sequential scan) would be kept for the connection's life as it grows."""
    engine = create_engine(ServiceSettings(database_url=platform.database_url))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(sa.text("SHOW plan_cache_mode")) == "force_custom_plan"
    finally:
        await engine.dispose()
