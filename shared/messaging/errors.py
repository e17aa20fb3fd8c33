"""Which failures are the infrastructure's (wait and retry, never dead-letter) and which are the message's."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NotEnoughReplicasError
from confluent_kafka import KafkaException
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

_TRANSIENT_TYPES = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotEnoughReplicasError,
    KafkaException,  # the outbox producer's: a broker that is down or slow to acknowledge
)


def is_transient(exc: BaseException) -> bool:
    """True when retrying later can succeed: a database or broker that is down or restarting."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _TRANSIENT_TYPES)
