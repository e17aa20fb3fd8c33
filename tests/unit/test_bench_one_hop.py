"""The one-hop yardstick's pure parts: the messages it moves, what it does to each, and the ratio it reports."""

import orjson
import pytest

from shared.contracts.events import RecordMatched
from tests.benchmarks.bench_one_hop import SAMPLE, copies, hop, ratio


def test_copies_differ_only_by_event_id_and_are_keyed_by_it():
    messages = copies(SAMPLE, 1_000)
    ids = [orjson.loads(value)["event_id"] for _, value in messages]
    assert len(set(ids)) == 1_000
    assert [key.decode() for key, _ in messages] == ids
    template = orjson.loads(SAMPLE)
    for _, value in messages[:3]:
        event = orjson.loads(value) | {"event_id": template["event_id"]}
        assert event == template


def test_a_hop_derives_the_next_event_deterministically():
    out = orjson.loads(hop(SAMPLE))
    source = orjson.loads(SAMPLE)
    assert out["causation_id"] == source["event_id"]
    assert out["event_id"] != source["event_id"]
    assert out["producer"] == "one-hop"
    assert out["payload"] == source["payload"]
    assert hop(SAMPLE) == hop(SAMPLE)  # a redelivered message gives the same event


def test_the_sample_is_a_valid_record_matched_event():
    # the fallback template is only used when the run has no real event: it must be one the platform would publish
    event = RecordMatched.model_validate_json(SAMPLE)
    assert event.payload.record.kind == "power_usage"
    assert 1_000 < len(SAMPLE) < 1_400  # the size of the demo month's record-matched events (1.3 kB)


def test_ratio_is_a_percentage_of_the_hop():
    assert ratio(2_500, 10_000) == 25.0
    assert ratio(1_234, 4_956) == 24.9
    with pytest.raises(ValueError):
        ratio(1_000, 0)
