"""The arithmetic of every figure that compares months: changes, shares, movers.

Figures are None where nothing was reported (no record), which is not zero: a change from or to
"nothing reported" is unknown (None), and so is a change from zero (no base to divide by).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


def change_pct(now: float | None, before: float | None) -> float | None:
    """Percentage change from `before` to `now` (MoM, YoY): None without both, or from a zero or
    negative base (a net tax refund is no base for a percentage). Rounded to 0.1 %."""
    if now is None or before is None or before <= 0:
        return None
    return round((now - before) / before * 100, 1)


def share_pct(part: float | None, total: float | None) -> float | None:
    """`part` as a percentage of `total`; None where the total is not positive. Rounded to 0.1 %."""
    if part is None or total is None or total <= 0:
        return None
    return round(part / total * 100, 1)


def total(values: Iterable[float | None]) -> float | None:
    """The sum of what was reported; None when nothing was."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


@dataclass(frozen=True)
class Move:
    key: str
    now: float | None
    before: float | None
    delta: float  # now − before, an absent month counted as 0
    pct: float | None


def movers(pairs: Mapping[str, tuple[float | None, float | None]], n: int) -> list[Move]:
    """The `n` keys (entities) whose figure moved most between two months, by the absolute change;
    an entity that appeared or disappeared moved by its whole figure. Ties by key, for a stable answer.
    Entities with nothing reported in either month did not move."""
    moves = [
        Move(key, now, before, (now or 0.0) - (before or 0.0), change_pct(now, before))
        for key, (now, before) in pairs.items()
        if now is not None or before is not None
    ]
    moves = [m for m in moves if m.delta != 0]
    moves.sort(key=lambda m: (-abs(m.delta), m.key))
    return moves[:n]


def proven_movers(pairs: Mapping[str, tuple[float | None, float | None]], n: int, bound: float | None) -> list[Move] | None:
    """`movers(pairs, n)` where `pairs` are only candidates (or the `n` of them that changed most, as
    the repository ranks them: the answer is the same): the area's movers if no entity outside
    them can have moved more — `bound` is the most any of those can have moved (None: there are none
    outside) and the `n`-th mover found moved strictly more. None when the candidates cannot tell."""
    found = movers(pairs, n)
    if bound is None or (len(found) == n and abs(found[-1].delta) > bound):
        return found
    return None


def outside_bound(months: Sequence[Sequence[tuple[int, float | None]]], k: int) -> float | None:
    """The most an entity outside the candidates can have moved, for `proven_movers`: `months` holds,
    for each of the two months and each end read (the largest positive figures, the most negative),
    how many figures were read (at most `k`) and the smallest size among them. An entity's move is at
    most the sum of its two figures' sizes; an end read short of `k` was read whole, so no entity is
    beyond it. None: all were read."""
    bound, everyone = 0.0, True
    for ends in months:
        largest = 0.0
        for count, smallest in ends:
            if count == k:
                everyone, largest = False, max(largest, abs(smallest))
        bound += largest
    return None if everyone else bound
