"""What the fuzzy stage does with its candidates: link, ask a person, or give up.

Auto-linking needs both a high score and a clear winner, because two near-equal candidates
(same trade name in two townships, head office and branch) are exactly where a wrong link would
silently attach one business's tax or electricity data to another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.matcher.domain.index import Candidate


@dataclass(frozen=True)
class Thresholds:
    auto_link: float = 0.92
    review: float = 0.75
    margin: float = 0.05  # how far the best must beat the runner-up to count as unambiguous

    def __post_init__(self) -> None:
        if not 0 <= self.review <= self.auto_link <= 1 or self.margin < 0:
            raise ValueError(f"need 0 <= review <= auto_link <= 1 and margin >= 0, got {self}")


class Outcome(StrEnum):
    AUTO_LINK = "auto_link"
    REVIEW = "review"
    NO_MATCH = "no_match"


def decide(candidates: list[Candidate], t: Thresholds) -> tuple[Outcome, str]:
    """(outcome, reason) with reason one of "confident", "low_confidence", "ambiguous", "no_candidate"."""
    if not candidates:
        return Outcome.NO_MATCH, "no_candidate"
    best, *rest = sorted(candidates, key=lambda c: c.score, reverse=True)
    if best.score < t.review:
        return Outcome.NO_MATCH, "low_confidence"
    if rest and best.score - rest[0].score < t.margin:
        return Outcome.REVIEW, "ambiguous"
    if best.score >= t.auto_link:
        return Outcome.AUTO_LINK, "confident"
    return Outcome.REVIEW, "low_confidence"
