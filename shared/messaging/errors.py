"""Which failures are the infrastructure's (wait and retry, never dead-letter) and which are the message's.

A database that is down, restarting or recovering after a crash answers with many errors at
many layers — refused TCP connections, "the database system is not yet accepting connections"
(57P03) during recovery, "terminating connection due to administrator command" (57P01) at
shutdown, a connection closed mid-statement — wrapped by SQLAlchemy's adapter in a generic
DBAPIError, or raw from asyncpg on the hot paths that use it directly. They are told apart by
the SQLSTATE class and by the connection-level exception types, anywhere in the cause chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NotEnoughReplicasError, RequestTimedOutError
from confluent_kafka import KafkaException
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, TimeoutError as PoolTimeout

_TRANSIENT_TYPES = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.ConnectionDoesNotExistError,  # the connection died under a statement
    asyncpg.CannotConnectNowError,
    KafkaConnectionError,
    KafkaTimeoutError,
    RequestTimedOutError,
    NotEnoughReplicasError,
    KafkaException,  # the outbox producer's: a broker that is down or slow to acknowledge
)
# SQLSTATE classes and codes no message can cause: connection exceptions (08), insufficient
# resources (53: too many connections, disk full), operator intervention (57P01 admin shutdown,
# 57P02 crash shutdown, 57P03 cannot connect now, 57014 a cancelled statement), system errors
# (58), and the transaction conflicts a retry resolves (40001 serialisation, 40P01 deadlock,
# 55P03 lock not available).
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57", "58", "40001", "40P01", "55P03")


def is_transient(exc: BaseException) -> bool:
    """True when retrying later can succeed: a database or broker that is down or restarting."""
    for cause in _chain(exc):
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, _TRANSIENT_TYPES):
            return True
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES):
            return True
    return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what SQLAlchemy wrapped (`orig`) and every cause or context below it."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        cause = pending.pop()
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        pending += [getattr(cause, "orig", None), cause.__cause__]
        if not cause.__suppress_context__:  # `raise … from None` says the context is not the cause
            pending.append(cause.__context__)
