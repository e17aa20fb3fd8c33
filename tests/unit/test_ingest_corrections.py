"""Correction requests (数据错误): what a township's finding asks of each department, when a request counts
as answered, and how ingest passes over every other feedback act cheaply."""

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import ConsumerRecord

from services.ingest.domain import corrections, identity
from services.ingest.domain.corrections import RequestStatus, StoredRecord
from services.ingest.handlers import PassedOver, decode_feedback
from shared import topics
from shared.contracts import DispositionEffect, FeedbackAction, FeedbackPayload, FeedbackSubmitted
from shared.contracts.events import CorrectionRequested
from shared.messaging import codec
from shared.messaging.codec import DecodeError
from shared.reference import TOWNSHIPS

TOWNSHIP = next(code for code in TOWNSHIPS if code.startswith("445222"))  # 揭西县
AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _stored(department: str, kind: str, source_key: str, period: str | None = "2026-10") -> StoredRecord:
    return StoredRecord(department, kind, source_key, period, identity.record_id(department, kind, source_key, period))


POWER = _stored("power_supply", "power_usage", "P0001")
TAX = _stored("tax", "tax_payment", "91445222MA0000001X")
OTHER_POWER = _stored("power_supply", "power_usage", "P0002")


def _finding(**changes) -> FeedbackPayload:
    values = dict(
        feedback_id=uuid.UUID(int=7), alert_id=uuid.UUID(int=8), action=FeedbackAction.RESOLVE, township_code=TOWNSHIP,
        actor=f"township:{TOWNSHIP}:zhangwei", note="  户号录入错误，实为另一户  ", submitted_at=AT, kind="alert",
        disposition="data_error", effect=DispositionEffect.CORRECTION_REQUEST, rule="power_without_tax",
        uscc="91445222MA0000001X", period="2026-10", record_ids=[POWER.record_id, TAX.record_id],
    )
    return FeedbackPayload(**(values | changes))


def test_a_data_error_asks_each_department_for_its_own_records_once():
    requests = corrections.requests_for(_finding(), [TAX, POWER, OTHER_POWER])
    assert [(r.department, r.records) for r in requests] == [("power_supply", (POWER,)), ("tax", (TAX,))]
    power = requests[0]
    assert power.request_id == corrections.request_id(uuid.UUID(int=7), "power_supply")
    assert power.request_id != requests[1].request_id
    assert (power.feedback_id, power.alert_id, power.township_code) == (uuid.UUID(int=7), uuid.UUID(int=8), TOWNSHIP)
    assert (power.rule, power.uscc, power.period, power.requested_at) == ("power_without_tax", "91445222MA0000001X",
                                                                          "2026-10", AT)
    assert power.note == "户号录入错误，实为另一户"
    # the same finding again (a redelivery): the same requests, the same ids
    assert corrections.requests_for(_finding(), [POWER, TAX, POWER]) == requests


def test_the_message_names_the_township_the_alert_and_the_records_in_chinese():
    (request,) = corrections.requests_for(_finding(record_ids=[POWER.record_id]), [POWER])
    text = request.message_zh
    assert "核实" in text and "有误，请核对后重新报送" in text
    assert "power_usage P0001 2026-10" in text and "共 1 条" in text
    assert "power_without_tax" in text and "乡镇核实说明：户号录入错误，实为另一户" in text
    assert "揭西县" in text  # the township by name, with its county


def test_a_long_list_is_cut_in_the_message_but_not_in_the_request():
    many = [_stored("power_supply", "power_usage", f"P{i:04d}") for i in range(30)]
    (request,) = corrections.requests_for(_finding(record_ids=[r.record_id for r in many]), many)
    assert len(request.records) == 30
    assert "等 30 条" in request.message_zh and "P0029" not in request.message_zh


@pytest.mark.parametrize("changes", [
    {"effect": DispositionEffect.CONFIRMED, "disposition": "confirmed_rectified"},
    {"effect": DispositionEffect.SUPPRESS, "disposition": "false_positive"},
    {"effect": None, "disposition": None, "action": FeedbackAction.ACKNOWLEDGE},
    {"action": FeedbackAction.RETURN},
], ids=["confirmed", "suppress", "acknowledge", "not-a-resolution"])
def test_nothing_is_asked_for_any_other_finding_or_act(changes):
    assert corrections.requests_for(_finding(**changes), [POWER, TAX]) == []


def test_records_ingest_does_not_hold_or_the_alert_does_not_name_ask_nobody():
    assert corrections.requests_for(_finding(), []) == []
    assert corrections.requests_for(_finding(record_ids=[]), [POWER, TAX]) == []
    assert corrections.requests_for(_finding(record_ids=[POWER.record_id]), [OTHER_POWER]) == []


def test_a_request_is_answered_by_a_corrected_record_of_the_same_kind_source_key_and_period():
    named = (POWER, _stored("power_supply", "power_usage", "P0001", "2026-09"))
    assert corrections.answered(named, [POWER])
    assert corrections.answered(named, [OTHER_POWER, named[1]])
    assert not corrections.answered(named, [])
    assert not corrections.answered(named, [OTHER_POWER])  # another source key
    assert not corrections.answered(named, [_stored("power_supply", "power_usage", "P0001", "2026-11")])  # period
    assert not corrections.answered(named, [_stored("tax", "power_usage", "P0001")])  # another department's


def test_statuses_have_chinese_labels():
    assert [s.label_zh for s in RequestStatus] == ["待核对", "已重新报送"]


# ---- the consumer: every other act is passed over without validating it ------------------------------


def _message(value: bytes, offset: int = 5) -> ConsumerRecord:
    return ConsumerRecord(topics.FEEDBACK_SUBMITTED, 3, offset, 0, 0, None, value, None, len(value), None, [])


def _event(payload: FeedbackPayload) -> bytes:
    event = FeedbackSubmitted.create(payload, producer="feedback", correlation_id=payload.alert_id)
    return codec.encode(event)


def test_a_correction_request_is_decoded_as_the_contract_says():
    decoded = decode_feedback(_message(_event(_finding())))
    assert isinstance(decoded, FeedbackSubmitted) and decoded.payload.record_ids == [POWER.record_id, TAX.record_id]


def test_other_acts_are_passed_over_by_their_position_without_validation():
    acknowledged = decode_feedback(_message(_event(_finding(action=FeedbackAction.ACKNOWLEDGE, effect=None,
                                                            disposition=None)), offset=9))
    assert isinstance(acknowledged, PassedOver)
    assert acknowledged == decode_feedback(_message(b'{"event_type": "feedback-submitted", "garbage": 1}', offset=9))
    assert decode_feedback(_message(b"[1, 2]", offset=10)) != acknowledged  # another position, another id


def test_a_broken_correction_request_or_a_message_that_is_not_json_is_dead_lettered():
    broken = orjson.loads(_event(_finding()))
    broken["payload"]["township_code"] = "nowhere"
    with pytest.raises(DecodeError) as info:
        decode_feedback(_message(orjson.dumps(broken)))
    assert info.value.code == "schema_violation"
    with pytest.raises(DecodeError) as info:
        decode_feedback(_message(b"\xff not json"))
    assert info.value.code == "not_json"


def test_the_request_travels_on_the_departments_results_topic():
    assert CorrectionRequested.topic.format(department="tax") == topics.intake_results("tax")


def test_only_the_requests_a_correction_answers_are_answered_and_the_message_names_department_and_township():
    def request(n: int, *records: StoredRecord) -> corrections.OpenRequest:
        return corrections.OpenRequest(uuid.UUID(int=n), uuid.UUID(int=7), uuid.UUID(int=8), "power_supply",
                                       TOWNSHIP, AT, records)

    first, second = request(1, POWER), request(2, OTHER_POWER)

    assert corrections.answered_by([first, second], [POWER]) == [first]
    assert corrections.answered_by([first, second], []) == []
    message = corrections.answer_message_zh(first)
    assert message.startswith("供电部门已重新报送揭西县") and TOWNSHIPS[TOWNSHIP].name in message
