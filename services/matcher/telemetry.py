from functools import cache

from prometheus_client import Counter, Gauge, Histogram

OUTCOMES = Counter(
    "bizpulse_match_outcomes_total",
    "Match decisions: outcome matched (detail = method) or failed (detail = reason code)",
    ["outcome", "detail"],
)
SCORES = Histogram(
    "bizpulse_match_score", "Score of linked records, by method", ["method"],
    buckets=(0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.95, 0.98, 1.0),
)
DECISION_SECONDS = Histogram(
    "bizpulse_match_decision_seconds", "Time to decide one record (cascade incl. fuzzy search), by outcome", ["outcome"],
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
REGISTRY_SIZE = Gauge("bizpulse_matcher_registry_entities", "Entities in this instance's in-memory index")
LEARNED = Counter(
    "bizpulse_match_decisions_learned_total",
    "Townships' decisions taken on as learned links, by action (refused: names an unregistered USCC)",
    ["action"],
)
CASES = Counter("bizpulse_match_cases_total", "The plan's verification cases revealed by decisions", ["case"])


@cache
def score_of(method: str) -> Histogram:
    """SCORES' child for a method: `labels()` takes a lock and checks its arguments on every call."""
    return SCORES.labels(method)


@cache
def decision_seconds_of(outcome: str) -> Histogram:
    return DECISION_SECONDS.labels(outcome)
