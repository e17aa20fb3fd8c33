from __future__ import annotations

import asyncpg
import orjson
from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.settings import ServiceSettings

# A pooled connection is replaced after this long: bounds what a connection silently dropped by
# something between us and PostgreSQL (a firewall's idle timeout, a proxy) can cost.
RECYCLE_SECONDS = 1800


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    engine = create_async_engine(
        settings.database_url,
        json_serializer=lambda value: orjson.dumps(value).decode(),
        json_deserializer=orjson.loads,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        # No `pool_pre_ping`: it cost a BEGIN / SELECT 1 / ROLLBACK round trip on every checkout,
        # 6 % of feedback's CPU under load (docs/benchmarks/workbench.md). A connection the server
        # closed (a restart, a terminated backend) is known to asyncpg without asking: `_closed_ones_out`
        # replaces it at checkout. One that breaks mid-statement invalidates the whole pool
        # (SQLAlchemy's disconnect handling); the request gets 503 with Retry-After, as in an outage.
        pool_recycle=RECYCLE_SECONDS,
        # Every hot statement runs once per batch with arrays as parameters. A cached generic plan is
        # made blind to them, often while a table is still nearly empty (a sequential scan), and
        # kept for the connection's life while the table grows: `sources_of` came to take most of
        # PostgreSQL's time. Planning each execution costs far less than a batch.
        connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
    )
    event.listen(engine.sync_engine, "checkout", _closed_ones_out)
    return engine


def _closed_ones_out(dbapi_connection, _record, _proxy) -> None:
    """A pooled connection whose socket the server closed is not handed out: the pool discards it
    and checks out (or opens) another. Costs no round trip: asyncpg saw the socket close."""
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("the server closed this pooled connection")


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions for requests that only read: no BEGIN and ROLLBACK around their statements (two
    round trips each, 7 % of feedback's CPU under load). Under READ COMMITTED a transaction gives
    its statements no common snapshot anyway, so a read sees exactly what it saw inside one.
    Never write through these: each statement would commit on its own."""
    return async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


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
