"""The arithmetic behind docs/scaling.md."""

import pytest

from tests.benchmarks.scaling_model import (
    MEASURED, Cost, Peak, cores, instances, kafka_disk_bytes, partitions, postgres_bytes, rate, sizing,
    topic_partitions,
)


def test_rate_and_cores():
    assert rate(5_000_000, Peak("two minutes", 120)) == pytest.approx(41_666.7, abs=0.1)
    assert cores(10_000, 250) == 2.5  # 10,000 rows/s at 250 µs each keep 2.5 cores busy


def test_instances_leave_head_room_and_never_drop_to_zero():
    assert instances(0.0) == 1
    assert instances(0.7) == 1  # exactly 70 % of one core
    assert instances(0.71) == 2
    assert instances(7.0) == 10
    assert instances(1.0, utilisation=1.0) == 1


def test_partitions_give_every_instance_room_to_double():
    assert partitions(1) == 12
    assert partitions(6) == 12
    assert partitions(7) == 24
    assert partitions(24) == 48
    with pytest.raises(ValueError):
        partitions(97)


def test_a_topic_gets_the_partitions_of_its_largest_consumer_group():
    costs = (Cost("a", 1_000, ("t",)), Cost("b", 100, ("t", "u")), Cost("broker", 5_000, python=False))
    plan = sizing(10_000 * 120, Peak("two minutes", 120), costs)  # 10,000 rows/s
    assert plan["a"] == {"cores": 10.0, "instances": 15}
    assert plan["b"] == {"cores": 1.0, "instances": 2}
    assert plan["broker"] == {"cores": 50.0, "instances": None}
    assert topic_partitions(plan, costs) == {"t": 48, "u": 12}


def test_disk_scales_with_rows_replicas_and_months():
    assert kafka_disk_bytes(1_000, bytes_per_row=2_000, replication=3) == 6_000_000
    assert postgres_bytes(1_000, 36, bytes_per_row=5_000) == 180_000_000


def test_every_measured_python_service_consumes_a_topic():
    assert {c.process for c in MEASURED if c.python} == {"ingest", "matcher", "alerting", "feedback", "analytics"}
    assert all(c.consumes for c in MEASURED if c.python)
