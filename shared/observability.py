"""Metrics common to every service (domain counters live with each service) and logging set-up."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram

EVENTS_HANDLED = Counter(
    "bizpulse_events_handled_total",
    "Consumed events by outcome: applied, duplicate (already processed), dead_lettered",
    ["service", "topic", "outcome"],
)
DEAD_LETTERS = Counter(
    "bizpulse_dead_letters_total",
    "Messages sent to a dead-letter topic, by reason code",
    ["service", "topic", "error_code"],
)
BATCH_SECONDS = Histogram(
    "bizpulse_batch_handling_seconds",
    "Time to decode and apply one consumed batch (a batch may hold several topics)",
    ["service"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CONSUMER_LAG = Gauge(
    "bizpulse_consumer_lag",
    "Messages behind the partition's high watermark after the last batch",
    ["service", "topic", "partition"],
)
OUTBOX_PUBLISHED = Counter(
    "bizpulse_outbox_published_total", "Events relayed from the outbox to Kafka", ["service", "topic"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "bizpulse_outbox_publish_failures_total",
    "Outbox events the broker did not take, by reason: transient (the batch is retried) or permanent "
    "(moved to the outbox's dead letters)",
    ["service", "error_code", "failure"],
)
OUTBOX_PENDING = Gauge("bizpulse_outbox_pending", "Events waiting in the outbox", ["service"])
TRANSIENT_ERRORS = Counter(
    "bizpulse_transient_errors_total",
    "Infrastructure errors (database or broker unreachable) that were retried",
    ["service", "stage"],
)


def configure_logging(level: str, service: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
