"""Which failures are waited out and which are the message's: the classification the consumer,
the outbox relay and the HTTP layer rely on, on the exception types the real drivers raise."""

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from confluent_kafka import KafkaError
from sqlalchemy.dialects.postgresql import asyncpg as sqlalchemy_asyncpg
from sqlalchemy.exc import DBAPIError

from shared.messaging.consumer import DEAD_LETTER_HEAD_BYTES, DEAD_LETTER_MAX_BYTES, dead_letter_message
from shared.messaging.errors import is_transient
from shared.messaging.producer import classify

_DBAPI = sqlalchemy_asyncpg.AsyncAdapt_asyncpg_dbapi(asyncpg)


def _as_sqlalchemy_raises_it(error: Exception) -> DBAPIError:
    """What SQLAlchemy's asyncpg adapter makes of a driver error: a DB-API error raised from it,
    wrapped in a DBAPIError (for most PostgreSQL errors the generic one, not OperationalError)."""
    try:
        try:
            raise error
        except asyncpg.PostgresError as exc:
            adapted = _DBAPI.Error(f"{type(exc)}: {exc}")
            adapted.sqlstate = exc.sqlstate
            raise adapted from exc
    except _DBAPI.Error as adapted:
        return DBAPIError.instance("SELECT 1", {}, adapted, _DBAPI.Error)


@pytest.mark.parametrize("error", [
    asyncpg.CannotConnectNowError("the database system is not yet accepting connections"),  # 57P03, recovery
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),  # 57P01
    asyncpg.CrashShutdownError("terminating connection because of crash of another server process"),  # 57P02
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),  # 53300
    asyncpg.DeadlockDetectedError("deadlock detected"),  # 40P01
    asyncpg.SerializationError("could not serialize access"),  # 40001
    asyncpg.ConnectionFailureError("connection failure"),  # 08006
])
def test_every_database_outage_is_waited_out_raw_and_as_sqlalchemy_wraps_it(error):
    assert is_transient(error)
    wrapped = _as_sqlalchemy_raises_it(error)
    assert type(wrapped) is DBAPIError  # not OperationalError: the type alone said "the message's fault"
    assert is_transient(wrapped)


def test_connection_level_errors_are_waited_out():
    assert is_transient(asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"))
    assert is_transient(ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize("error", [
    asyncpg.UniqueViolationError("duplicate key"),
    asyncpg.InvalidTextRepresentationError("invalid input syntax for type uuid"),
    asyncpg.UntranslatableCharacterError("unsupported Unicode escape sequence"),  # NUL in JSONB: the message's fault
    ValueError("bad content"),
])
def test_the_messages_own_faults_are_not_waited_out(error):
    assert not is_transient(error)
    if isinstance(error, asyncpg.PostgresError):
        assert not is_transient(_as_sqlalchemy_raises_it(error))


def test_a_cause_hidden_with_from_none_does_not_count():
    try:
        try:
            raise ConnectionRefusedError()
        except ConnectionRefusedError:
            raise ValueError("unreadable") from None
    except ValueError as exc:
        assert not is_transient(exc)


@pytest.mark.parametrize(("code", "expected"), [
    (KafkaError.MSG_SIZE_TOO_LARGE, "message_too_large"),
    (KafkaError._UNKNOWN_TOPIC, "unknown_topic"),
    (KafkaError.UNKNOWN_TOPIC_OR_PART, "unknown_topic"),
    (KafkaError.INVALID_RECORD, "invalid_record"),
    (KafkaError.TOPIC_AUTHORIZATION_FAILED, "topic_not_authorised"),
    (KafkaError._MSG_TIMED_OUT, None),  # the broker is slow or down: the batch is retried
    (KafkaError._TRANSPORT, None),
    (KafkaError.NOT_ENOUGH_REPLICAS, None),
    (KafkaError.REQUEST_TIMED_OUT, None),
])
def test_the_outbox_tells_a_refusal_for_good_from_a_failure_that_passes(code, expected):
    assert classify(KafkaError(code)) == expected


def test_a_fatal_producer_error_is_never_a_refusal_of_the_message():
    assert classify(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, fatal=True)) is None


def _record(value: bytes) -> ConsumerRecord:
    return ConsumerRecord("record-imported", 3, 41, 0, 0, b"key", value, None, len(b"key"), len(value), [])


def test_a_dead_letter_keeps_the_whole_message_and_why():
    value, headers = dead_letter_message(_record(b'{"broken'), "not_json", "value is not JSON", 1, "matcher")
    assert value == b'{"broken'
    assert headers["dlq_original_topic"] == "record-imported"
    assert (headers["dlq_original_partition"], headers["dlq_original_offset"]) == ("3", "41")
    assert (headers["dlq_error_code"], headers["dlq_service"], headers["dlq_attempts"]) == ("not_json", "matcher", "1")
    assert "dlq_truncated" not in headers


def test_a_message_too_large_to_copy_is_dead_lettered_as_its_head_size_and_hash():
    import hashlib

    original = b"x" * (1024 * 1024 - 100)  # nearly the broker's limit: a copy with headers would be refused
    value, headers = dead_letter_message(_record(original), "schema_violation", "bad \udc00 text", 1, "analytics")
    assert len(original) > DEAD_LETTER_MAX_BYTES
    assert value == original[:DEAD_LETTER_HEAD_BYTES]
    assert headers["dlq_truncated"] == "true"
    assert headers["dlq_original_size"] == str(len(original))
    assert headers["dlq_original_sha256"] == hashlib.sha256(original).hexdigest()
    assert all(v.encode() for v in headers.values())  # the reason is encodable even when the message was not
