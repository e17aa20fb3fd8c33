"""Every Kafka topic name the platform uses, in one place.

Hot topics get enough partitions that matcher and alerting instances can be added with
`--scale`; a township's alert topic is small (one township's worklist), so it gets few.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType

RECORD_IMPORTED = "record-imported"
RECORD_MATCHED = "record-matched"
MATCH_FAILED = "match-failed"
ANOMALY_DETECTED = "anomaly-detected"
FEEDBACK_SUBMITTED = "feedback-submitted"
SUBMISSION_ASSESSED = "submission-assessed"
CORRECTIONS = "corrections"  # 数据错误: the requests ingest sends departments and their answers, for feedback's clock

INTAKE_PREFIX = "intake."
TOWNSHIP_ALERTS_PREFIX = "alerts.township."
TOWNSHIP_ALERTS_PATTERN = r"alerts\.township\..*"
COUNTY_ALERTS_PREFIX = "alerts.county."  # a county supervisor's: its townships' overdue cases
CITY_ALERTS_PREFIX = "alerts.city."  # the city 督查组's: cases still overdue after the county was told
DEAD_LETTER_SUFFIX = ".dlq"

HOT_PARTITIONS = 12
TOWNSHIP_PARTITIONS = 1
DEAD_LETTER_PARTITIONS = 1
INTAKE_PARTITIONS = 3  # one department's own stream: ordering per key matters more than fan-out
INTAKE_RESULT_PARTITIONS = 3

# A department's intake topic and its dead letters hold its raw message: names, ID numbers and mobiles before
# ingest desensitises them. Ingest reads them within seconds; what is kept beyond that only serves catching up
# after an ingest outage, so they keep three days (a weekend-long outage loses nothing) instead of the broker's
# seven. Segments roll hourly: Kafka deletes whole closed segments only, so a quiet topic would otherwise keep
# its raw messages for the segment's default week whatever the retention.
INTAKE_RETENTION = timedelta(days=3)
INTAKE_SEGMENT = timedelta(hours=1)

# Topics that services consume, and so the ones that need a dead-letter twin.
CONSUMED = (
    RECORD_IMPORTED, RECORD_MATCHED, MATCH_FAILED, ANOMALY_DETECTED, FEEDBACK_SUBMITTED, SUBMISSION_ASSESSED, CORRECTIONS,
)

# These flow topics are the platform's record: analytics rebuilds its read models by replaying them from the
# beginning (`python -m services.analytics rebuild`), which is only honest if none of their events was deleted.
# So they keep everything (desensitised events only; docs/scaling.md counts the disk); the intake topics keep
# their short retention, dead letters, results and the alert topics the broker's default.
FLOW_CONFIG: Mapping[str, str] = MappingProxyType({"retention.ms": "-1"})


def township_alerts(township_code: str) -> str:
    """The topic a township's own systems read: its anomalies and its unmatched records."""
    return f"{TOWNSHIP_ALERTS_PREFIX}{township_code}"


def county_alerts(division_code: str) -> str:
    return f"{COUNTY_ALERTS_PREFIX}{division_code}"


def city_alerts(city_code: str) -> str:
    return f"{CITY_ALERTS_PREFIX}{city_code}"


def intake(department: str) -> str:
    """Where a department's own systems produce their records (Kafka channel of ingest)."""
    return f"{INTAKE_PREFIX}{department}"


def intake_results(department: str) -> str:
    """Where ingest answers each intake message: counts and per-row errors, keyed like the message."""
    return f"{intake(department)}.results"


def dead_letter(topic: str) -> str:
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def consumer_group(service: str) -> str:
    """The one consumer group of a service: its replicas share the partitions."""
    return f"bizpulse-{service}"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # topic-level overrides


def raw_intake_config(retention: timedelta = INTAKE_RETENTION) -> Mapping[str, str]:
    """Topic configuration of a topic holding departments' raw messages (see INTAKE_RETENTION)."""
    milliseconds = int(retention.total_seconds() * 1000)
    segment = min(milliseconds, int(INTAKE_SEGMENT.total_seconds() * 1000))
    return MappingProxyType({"retention.ms": str(milliseconds), "segment.ms": str(segment)})


def all_topics(
    township_codes: Iterable[str], departments: Iterable[str], intake_retention: timedelta = INTAKE_RETENTION
) -> list[TopicSpec]:
    """Every topic to create before the services start (the broker does not auto-create)."""
    intakes = [intake(d) for d in sorted(set(departments))]
    raw = raw_intake_config(intake_retention)
    specs = [TopicSpec(t, HOT_PARTITIONS, FLOW_CONFIG) for t in CONSUMED] + [TopicSpec(t, INTAKE_PARTITIONS, raw) for t in intakes]
    specs += [TopicSpec(dead_letter(t), DEAD_LETTER_PARTITIONS) for t in CONSUMED]
    specs += [TopicSpec(dead_letter(t), DEAD_LETTER_PARTITIONS, raw) for t in intakes]
    specs += [TopicSpec(intake_results(d), INTAKE_RESULT_PARTITIONS) for d in sorted(set(departments))]
    codes = sorted(township_codes)
    specs += [TopicSpec(township_alerts(code), TOWNSHIP_PARTITIONS) for code in codes]
    specs += [TopicSpec(county_alerts(division), TOWNSHIP_PARTITIONS) for division in sorted({c[:6] for c in codes})]
    specs += [TopicSpec(city_alerts(city), TOWNSHIP_PARTITIONS) for city in sorted({c[:4] + "00" for c in codes})]
    return specs
