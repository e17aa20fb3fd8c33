from prometheus_client import Counter, Histogram

from shared.records import RecordKind

ROWS = Counter(
    "bizpulse_ingest_rows_total",
    "Submitted rows by department, kind and outcome (accepted, correction, duplicate, rejected)",
    ["department", "kind", "outcome"],
)
ROW_ERRORS = Counter(
    "bizpulse_ingest_row_errors_total", "Field errors in submitted rows, by stable error code", ["department", "kind", "code"]
)
BATCH_SECONDS = Histogram(
    "bizpulse_ingest_batch_seconds",
    "Time to validate, store and queue one submitted batch (or upload chunk), by channel",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe(kind: RecordKind, report, channel: str, seconds: float) -> None:
    labels = (kind.department, kind.name)
    ROWS.labels(*labels, "accepted").inc(report.accepted)
    ROWS.labels(*labels, "correction").inc(report.corrections)
    ROWS.labels(*labels, "duplicate").inc(report.duplicates)
    ROWS.labels(*labels, "rejected").inc(report.rejected_rows)
    for error in report.errors:
        ROW_ERRORS.labels(*labels, error.code).inc()
    BATCH_SECONDS.labels(channel).observe(seconds)
