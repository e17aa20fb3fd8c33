from __future__ import annotations

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.settings import ServiceSettings


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        json_serializer=lambda value: orjson.dumps(value).decode(),
        json_deserializer=orjson.loads,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        # Every hot statement runs once per batch with arrays as parameters. A cached generic plan is
        # made blind to them, often while a table is still nearly empty (a sequential scan), and
        # kept for the connection's life while the table grows: `sources_of` came to take most of
        # PostgreSQL's time. Planning each execution costs far less than a batch.
        connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's transaction: for COPY and array
    statements on hot paths, where SQLAlchemy's per-row parameter handling costs more than the SQL.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with its first statement; a raw statement
    before that would run in autocommit, outside the transaction (state and outbox could part).
    A no-op statement, once per transaction, makes sure BEGIN has been sent."""
    connection = await session.connection()
    transaction = session.sync_session.get_transaction()
    if session.info.get(_BEGUN) is not transaction:
        await connection.exec_driver_sql("SELECT 1")
        session.info[_BEGUN] = transaction
    return (await connection.get_raw_connection()).driver_connection


_BEGUN = "bizpulse.begin_sent_for"
