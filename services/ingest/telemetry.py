from prometheus_client import Counter

ROWS = Counter(
    "bizpulse_ingest_rows_total",
    "Submitted rows by department, kind and outcome (accepted, correction, duplicate, rejected)",
    ["department", "kind", "outcome"],
)
