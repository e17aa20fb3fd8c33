"""Unreadable or unprocessable messages land in `<topic>.dlq` with the reason; consumers carry on."""

import uuid
from datetime import UTC, datetime

import pytest

from shared import topics
from shared.contracts import ImportedRecord, RecordImported
from shared.messaging import codec
from tests.integration.harness import TopicReader, json_value, new_uscc, produce_raw, townships_of

pytestmark = pytest.mark.integration


def _headers(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def test_poison_messages_are_dead_lettered_with_reason_and_the_stream_goes_on(api, kafka):
    township = townships_of("445222")[0]
    not_json = f"{{broken json {uuid.uuid4()}".encode()
    # decodes, but its registration data is invalid: the handler rejects it, no retry can help
    bad_record = ImportedRecord(
        record_id=uuid.uuid4(), version=1, department="market_regulation", kind="registration",
        source_key="X", period=None, township_code=township, uscc="91350100M000100Y43",
        received_at=datetime.now(UTC), data={"uscc": "91350100M000100Y43", "name": "缺少乡镇代码的登记"},
    )
    unprocessable = RecordImported.create(bad_record, producer="test", correlation_id=bad_record.record_id)

    async with TopicReader(kafka, topics.dead_letter(topics.RECORD_IMPORTED)) as dlq, \
               TopicReader(kafka, topics.MATCH_FAILED) as failed:
        await produce_raw(kafka, topics.RECORD_IMPORTED, not_json, key=b"poison")
        await produce_raw(kafka, topics.RECORD_IMPORTED, codec.encode(unprocessable), key=b"poison")
        # a good record after the poison: still processed
        power = {"power_account": f"DLQ{uuid.uuid4().hex[:10]}", "uscc": None, "account_name": "无照用电户",
                 "township_code": township, "period": "2026-10", "kwh": 42.0}
        assert (await api.submit("power_supply", "power_usage", [power])).json()["accepted"] == 1

        def ours(ms):
            return [m for m in ms if m.value in (not_json, codec.encode(unprocessable))]

        # both consumers of record-imported (matcher, analytics) dead-letter each poison message
        dead = ours(await dlq.read_until(lambda ms: len(ours(ms)) >= 4))
        await failed.read_until(
            lambda ms: any(json_value(m)["payload"]["record"]["source_key"] == power["power_account"] for m in ms)
        )

    by_reason = {}
    for record in dead:
        h = _headers(record)
        assert h["dlq_original_topic"] == topics.RECORD_IMPORTED
        assert int(h["dlq_original_offset"]) >= 0 and h["dlq_original_partition"].isdigit()
        assert h["dlq_error"]
        by_reason.setdefault(h["dlq_error_code"], set()).add(h["dlq_service"])
    assert by_reason == {"not_json": {"matcher", "analytics"}, "invalid_payload": {"matcher", "analytics"}}
    invalid = [_headers(r) for r in dead if _headers(r)["dlq_error_code"] == "invalid_payload"]
    assert all(h["dlq_attempts"] == "1" and "township_code" in h["dlq_error"] for h in invalid)

    metrics = await api.metrics("matcher")
    assert metrics[("bizpulse_dead_letters_total", (("error_code", "not_json"), ("service", "matcher"), ("topic", topics.RECORD_IMPORTED)))] >= 1


async def test_unmatched_record_reaches_its_township_topic(api, kafka):
    township = townships_of("445222")[1]
    code = new_uscc("445222")  # valid, never registered
    tax = {"taxpayer_id": code, "uscc": code, "taxpayer_name": "揭西县某商行", "township_code": township,
           "period": "2026-10", "amount": "120.00"}
    async with TopicReader(kafka, topics.township_alerts(township)) as reader:
        assert (await api.submit("tax", "tax_payment", [tax])).json()["accepted"] == 1
        messages = await reader.read_until(
            lambda ms: any(json_value(m)["event_type"] == "match-failed" and json_value(m)["payload"]["record"]["uscc"] == code for m in ms)
        )
    event = next(json_value(m) for m in messages if json_value(m)["event_type"] == "match-failed"
                 and json_value(m)["payload"]["record"]["uscc"] == code)
    assert event["payload"]["reason"] == "code_not_registered"
    assert code in event["payload"]["message_zh"]
