"""Raw asyncpg statements on the hot paths (COPY into the outbox, array upserts, the inbox) run
inside the session's transaction: a rollback takes them back with everything else."""

import asyncio

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from shared.db.engine import create_engine, driver_connection, read_session_factory, session_factory
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


async def test_a_pooled_connection_the_server_closed_is_replaced_without_an_error(platform):
    """No pre-ping round trip on every checkout: a connection whose backend went away (a restart, a
    terminated backend) is known closed and replaced when it is next checked out."""
    engine = create_engine(ServiceSettings(database_url=platform.database_url))
    sessions = session_factory(engine)
    try:
        assert not engine.sync_engine.pool._pre_ping
        async with sessions() as session:
            first = await session.scalar(sa.text("SELECT pg_backend_pid()"))
        await db_execute(platform, "SELECT pg_terminate_backend(:pid)", pid=first)
        await asyncio.sleep(0.5)  # the pooled connection's socket is closed by the server meanwhile
        async with sessions() as session, session.begin():
            second = await session.scalar(sa.text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()


async def test_read_sessions_send_no_begin(platform):
    """A read-only request's statements each run on their own (autocommit): no BEGIN / ROLLBACK
    round trips. Each statement has its own transaction, hence its own now()."""
    engine = create_engine(ServiceSettings(database_url=platform.database_url))
    try:
        async with read_session_factory(engine)() as session:
            before = await session.scalar(sa.text("SELECT now()"))
            await session.execute(sa.text("SELECT pg_sleep(0.01)"))
            assert await session.scalar(sa.text("SELECT now()")) > before
        async with session_factory(engine)() as session:  # the pool's connections are as before for writers
            before = await session.scalar(sa.text("SELECT now()"))
            await session.execute(sa.text("SELECT pg_sleep(0.01)"))
            assert await session.scalar(sa.text("SELECT now()")) == before
    finally:
        await engine.dispose()
