import uuid
from datetime import UTC, datetime

import pytest

from shared import topics
from shared.contracts import (
    EVENT_TYPES,
    CaseEscalated,
    CorrectionRequested,
    FeedbackAction,
    FeedbackPayload,
    FeedbackSubmitted,
    ImportedRecord,
    IntakeProcessed,
    RecordImported,
    TownshipDigest,
    derived_event_id,
)
from shared.messaging import codec


def _record(**over) -> ImportedRecord:
    values = dict(
        record_id=uuid.uuid4(),
        version=1,
        department="power_supply",
        kind="power_usage",
        source_key="0300123456",
        period="2026-10",
        township_code="445202001",
        uscc="91350100M000100Y43",
        received_at=datetime.now(UTC),
        data={"kwh": 12.5},
    )
    return ImportedRecord(**(values | over))


# a consumer of every type, and one of a single type (the usual case, parsed in one pass)
CONSUMERS = pytest.mark.parametrize("accepted", [EVENT_TYPES, {"record-imported": RecordImported}], ids=["all", "one"])


@CONSUMERS
def test_event_round_trips_through_the_wire_format(accepted):
    record = _record()
    event = RecordImported.create(record, producer="ingest", correlation_id=record.record_id)
    decoded = codec.decode(codec.encode(event), accepted)
    assert decoded == event
    assert isinstance(decoded, RecordImported)
    assert decoded.topic == topics.RECORD_IMPORTED


def test_derived_events_have_stable_ids_and_trace_back():
    record = _record()
    cause = RecordImported.create(record, producer="ingest", correlation_id=record.record_id)
    feedback = FeedbackPayload(
        feedback_id=uuid.uuid4(),
        alert_id=uuid.uuid4(),
        action=FeedbackAction.RESOLVE,
        township_code="445202001",
        actor="township:445202001",
        submitted_at=datetime.now(UTC),
    )
    a = FeedbackSubmitted.create(feedback, producer="x", correlation_id=record.record_id, cause=cause)
    b = FeedbackSubmitted.create(feedback, producer="x", correlation_id=record.record_id, cause=cause)
    assert a.event_id == b.event_id == derived_event_id(cause.event_id, "feedback-submitted")
    assert a.causation_id == cause.event_id
    assert a.correlation_id == record.record_id


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "empty_message"),
        (b"", "empty_message"),
        (b"\xff\xfe not json", "not_json"),
        (b"[1, 2]", "not_an_envelope"),
        (b'{"event_type": "no-such-event"}', "unexpected_event_type"),
        (b'{"event_type": "record-imported", "event_id": "not-a-uuid"}', "schema_violation"),
    ],
)
@CONSUMERS
def test_undecodable_messages_get_a_stable_reason(raw, code, accepted):
    with pytest.raises(codec.DecodeError) as info:
        codec.decode(raw, accepted)
    assert info.value.code == code


def test_a_consumer_rejects_event_types_it_does_not_handle():
    record = _record()
    event = RecordImported.create(record, producer="ingest", correlation_id=record.record_id)
    with pytest.raises(codec.DecodeError) as info:
        codec.decode(codec.encode(event), {"feedback-submitted": FeedbackSubmitted})
    assert info.value.code == "unexpected_event_type"


def test_every_event_type_has_a_topic_that_is_consumed_with_a_dead_letter_twin():
    specs = {s.name for s in topics.all_topics(["445202001"], ["tax"])}
    for model in EVENT_TYPES.values():
        if model in (IntakeProcessed, CorrectionRequested):  # to departments, one topic each: see the intake test below
            assert model.topic == topics.intake_results("{department}")
            continue
        if model is TownshipDigest:  # for the township's own systems: no service consumes it
            assert model.topic == topics.township_alerts("{township_code}")
            continue
        if model is CaseEscalated:  # for the supervisors' own systems: one topic per county (and city)
            assert model.topic.format(division_code="445202") in specs and "alerts.city.445200" in specs
            continue
        assert model.topic in specs
        assert topics.dead_letter(model.topic) in specs
    assert "alerts.township.445202001" in specs


def test_hot_topics_have_room_to_scale():
    for spec in topics.all_topics([], ["tax"]):
        if spec.name in topics.CONSUMED:
            assert spec.partitions >= 6


def test_every_department_has_an_intake_topic_its_dead_letters_and_results():
    specs = {s.name for s in topics.all_topics([], ["tax", "commerce"])}
    for department in ("tax", "commerce"):
        assert {topics.intake(department), topics.dead_letter(topics.intake(department)), topics.intake_results(department)} <= specs


def _wire(event) -> dict:
    import orjson

    return orjson.loads(codec.encode(event))


@pytest.mark.parametrize("missing", ["event_type", "schema_version"])
@CONSUMERS
def test_an_envelope_without_its_type_or_version_is_not_taken_for_one(missing, accepted):
    import orjson

    record = _record()
    document = _wire(RecordImported.create(record, producer="ingest", correlation_id=record.record_id))
    del document[missing]
    with pytest.raises(codec.DecodeError) as info:
        codec.decode(orjson.dumps(document), accepted)
    assert info.value.code == ("unexpected_event_type" if missing == "event_type" else "schema_violation")


@CONSUMERS
def test_an_event_for_a_township_the_city_does_not_have_is_refused_before_anything_routes_it(accepted):
    import orjson

    record = _record()
    document = _wire(RecordImported.create(record, producer="ingest", correlation_id=record.record_id))
    document["payload"]["township_code"] = "445299999"  # would address alerts.township.445299999, which does not exist
    with pytest.raises(codec.DecodeError) as info:
        codec.decode(orjson.dumps(document), accepted)
    assert info.value.code == "schema_violation" and "township_code" in str(info.value)
    with pytest.raises(ValueError):
        _record(township_code="445299999")


def test_no_event_carries_a_number_json_cannot():
    from shared.contracts import Candidate

    with pytest.raises(ValueError):
        Candidate(uscc="91350100M000100Y43", name="x", score=float("nan"))
    raw = codec.encode(RecordImported.create(_record(), producer="ingest", correlation_id=uuid.uuid4()))
    assert b"NaN" not in raw and b"Infinity" not in raw
