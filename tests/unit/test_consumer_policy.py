"""The consumer's failure policy, without I/O: which events are retried, waited for or dead-lettered."""

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from shared.contracts import ImportedRecord, RecordImported
from shared.db.messaging_tables import messaging_tables
from shared.messaging.consumer import EventConsumer, Subscription, _Item, envelope


def _item(n: int) -> _Item:
    record = ImportedRecord(
        record_id=uuid.uuid4(), version=1, department="tax", kind="tax_payment", source_key=str(n),
        period="2026-10", township_code="445202001", uscc=None, received_at=datetime.now(UTC), data={},
    )
    event = RecordImported.create(record, producer="test", correlation_id=record.record_id)
    raw = ConsumerRecord("record-imported", 0, n, 0, 0, None, b"", None, 0, 0, [])
    return _Item(raw, event)


class FlakyConsumer(EventConsumer):
    """_apply replaced by a script: `fail(items)` returns the exception to raise, or None."""

    def __init__(self, fail) -> None:
        outbox, processed = messaging_tables(sa.MetaData(schema="t"))
        super().__init__(
            service="test", subscriptions=[Subscription("record-imported", envelope(RecordImported), None)],
            sessions=None, outbox=outbox, processed=processed, broker=KafkaBroker(), relay=None,
            batch_size=10, batch_timeout_ms=10, max_attempts=3, retry_backoff=0.001,
        )
        self.fail = fail
        self.calls: list[list[int]] = []
        self.applied: list[int] = []

    async def _apply(self, batch):
        offsets = [i.record.offset for i in batch]
        self.calls.append(offsets)
        if (exc := self.fail(offsets, len(self.calls))) is not None:
            raise exc
        self.applied += offsets


async def test_a_failing_event_is_isolated_retried_and_dead_lettered_the_rest_applied():
    consumer = FlakyConsumer(lambda offsets, _: RuntimeError("boom") if 2 in offsets else None)
    failed = await consumer._apply_isolating_failures([_item(1), _item(2), _item(3)])
    assert consumer.applied == [1, 3]
    assert [(f.record.offset, f.code, f.attempts) for f in failed] == [(2, "handler_failed", 3)]
    assert consumer.calls.count([2]) == 3


async def test_invalid_content_is_dead_lettered_without_retries():
    class Strict(BaseModel):
        n: int

    def fail(offsets, _):
        try:
            Strict.model_validate({"n": "x"})
        except Exception as exc:  # the pydantic error, as a handler would raise it
            return exc

    consumer = FlakyConsumer(fail)
    failed = await consumer._apply_isolating_failures([_item(7)])
    assert [(f.code, f.attempts) for f in failed] == [("invalid_payload", 1)]


async def test_an_outage_is_waited_out_and_nothing_is_dead_lettered():
    outage = OperationalError("SELECT 1", {}, ConnectionRefusedError())
    consumer = FlakyConsumer(lambda offsets, call: outage if call <= 4 else None)
    failed = await consumer._apply_isolating_failures([_item(1), _item(2)])
    assert failed == []
    assert consumer.applied == [1, 2]
    assert len(consumer.calls) == 5


@pytest.mark.parametrize("size", [1, 4])
async def test_a_clean_batch_is_applied_in_one_transaction(size):
    consumer = FlakyConsumer(lambda *_: None)
    assert await consumer._apply_isolating_failures([_item(i) for i in range(size)]) == []
    assert consumer.calls == [list(range(size))]
