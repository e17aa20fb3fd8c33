from prometheus_client import Counter

OUTCOMES = Counter(
    "bizpulse_match_outcomes_total",
    "Match decisions: outcome matched (detail = method) or failed (detail = reason code)",
    ["outcome", "detail"],
)
