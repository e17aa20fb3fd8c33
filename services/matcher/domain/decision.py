"""What the fuzzy stage does with its candidates: link, ask a person, or give up.

A candidate's score is its share of the odds that the record belongs to it, against the other
candidates and against "none of them" (see `index.EntityIndex.candidates`). Auto-linking needs
both a high share and a clear winner, because two near-equal candidates (same trade name in two
townships, head office and branch) are exactly where a wrong link would silently attach one
business's tax or electricity data to another; two such candidates split the odds between them,
so it is their sum that says whether a person should look.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.matcher.domain.index import Candidate


@dataclass(frozen=True)
class Thresholds:
    auto_link: float = 0.92  # the best candidate's share from which it is linked
    review: float = 0.75  # the two best candidates' share from which a person can likely decide
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
    runner_up = rest[0].score if rest else 0.0
    if best.score + runner_up < t.review:
        return Outcome.NO_MATCH, "low_confidence"
    if best.score - runner_up < t.margin:
        return Outcome.REVIEW, "ambiguous"
    if best.score >= t.auto_link:
        return Outcome.AUTO_LINK, "confident"
    return Outcome.REVIEW, "low_confidence"
