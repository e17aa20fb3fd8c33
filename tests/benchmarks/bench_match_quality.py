"""Matcher quality on labelled noisy records: auto-link precision and recall, review share, and
how often the truth is among the candidates a township officer is shown.

    .venv/bin/python -m tests.benchmarks.bench_match_quality [--entities 50000] [--queries 20000] [--seed 1]

Builds the matcher's in-memory index from the generated registry (tests/benchmarks/noisy_records.py)
and runs the cascade (`link`) on every record, in process: no broker, no database. Results are
recorded in docs/benchmarks/matching-quality.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from services.matcher.domain.decision import Thresholds
from services.matcher.domain.index import EntityIndex
from services.matcher.domain.matching import Linked, Unlinked, link, record_name
from shared.contracts import MatchMethod
from tests.benchmarks.noisy_records import NOISES, LabelledRecord, generate

REVIEW_CANDIDATES = 5  # what a match-failed event carries
KINDS = {"tax_payment": "tax (no address)", "power_account": "power (address)"}


@dataclass
class Tally:
    """Outcomes of one group of records."""

    records: int = 0
    registered: int = 0  # records whose truth is a registered entity
    linked_right: int = 0
    linked_wrong: int = 0
    review: int = 0  # match-failed: the township decides
    review_registered: int = 0
    truth_shown: int = 0  # review cases of a registered truth with the truth among the candidates

    def add(self, labelled: LabelledRecord, decision: Linked | Unlinked) -> None:
        self.records += 1
        self.registered += labelled.truth is not None
        if isinstance(decision, Linked):
            right = decision.entity.uscc == labelled.truth
            self.linked_right += right
            self.linked_wrong += not right
            return
        self.review += 1
        if labelled.truth is not None:
            self.review_registered += 1
            shown = {c.entity.uscc for c in decision.candidates[:REVIEW_CANDIDATES]}
            self.truth_shown += labelled.truth in shown

    @property
    def precision(self) -> float:
        linked = self.linked_right + self.linked_wrong
        return self.linked_right / linked if linked else 1.0

    @property
    def recall(self) -> float:
        return self.linked_right / self.registered if self.registered else 1.0

    @property
    def shown(self) -> float:
        return self.truth_shown / self.review_registered if self.review_registered else 1.0


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _row(label: str, t: Tally) -> None:
    recall = _pct(t.recall) if t.registered else "-"
    review = _pct(t.review / t.records)
    print(f"{label:<24}{t.records:>8}{_pct(t.precision):>11}{recall:>9}{review:>9}{_pct(t.shown):>13}")


def run(entities: int, queries: int, seed: int, thresholds: Thresholds, examples: int) -> None:
    started = time.perf_counter()
    data = generate(entities, queries, seed)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    index = EntityIndex()
    for entity in data.registry:
        index.upsert(entity)
    built = time.perf_counter() - started

    total = Tally()
    by_noise: dict[str, Tally] = defaultdict(Tally)
    by_kind: dict[str, Tally] = defaultdict(Tally)  # with an address or without
    fuzzy_ms: list[float] = []
    wrong: list[tuple[LabelledRecord, Linked]] = []
    reasons: Counter[str] = Counter()
    for labelled in data.records:
        t0 = time.perf_counter()
        decision = link(labelled.record, index, thresholds)
        elapsed = (time.perf_counter() - t0) * 1e3
        if isinstance(decision, Unlinked) or decision.method is MatchMethod.FUZZY_NAME:
            fuzzy_ms.append(elapsed)
        for tally in (total, by_noise[labelled.noise], by_kind[labelled.record.kind]):
            tally.add(labelled, decision)
        if isinstance(decision, Linked):
            if decision.entity.uscc != labelled.truth:
                wrong.append((labelled, decision))
        else:
            reasons[decision.reason] += 1

    fuzzy_ms.sort()
    truths = {e.uscc: e for e in data.registry}
    print(f"registry {len(data.registry):,} entities (index built in {built:.1f} s), {len(data.records):,} "
          f"labelled records ({total.registered:,} of registered entities), generated in {generated:.1f} s")
    print(f"thresholds: auto_link {thresholds.auto_link}, review {thresholds.review}, margin {thresholds.margin}")
    print()
    print(f"auto-link precision   {_pct(total.precision)}  ({total.linked_wrong} wrong of "
          f"{total.linked_right + total.linked_wrong:,} auto-links)")
    print(f"auto-link recall      {_pct(total.recall)}  of records of registered entities")
    print(f"sent to review        {_pct(total.review / total.records)}  of all records "
          f"({', '.join(f'{r} {n:,}' for r, n in reasons.most_common())})")
    print(f"truth among the top {REVIEW_CANDIDATES} review candidates  {_pct(total.shown)}  "
          f"({total.truth_shown:,} of {total.review_registered:,} review cases of registered entities)")
    print(f"link() on records without a registered code: p50 {statistics.median(fuzzy_ms):.2f} ms, "
          f"p99 {fuzzy_ms[int(len(fuzzy_ms) * 0.99)]:.2f} ms")
    print()
    print(f"{'noise':<24}{'records':>8}{'precision':>11}{'recall':>9}{'review':>9}{'truth shown':>13}")
    for noise in NOISES:
        _row(noise, by_noise[noise])
    print("by kind:")
    for kind, what in KINDS.items():
        _row(what, by_kind[kind])
    print()
    print(f"worst false auto-links ({len(wrong)}), highest score first:")
    for labelled, decision in sorted(wrong, key=lambda w: -w[1].score)[:examples]:
        truth = truths[labelled.truth].name if labelled.truth else "(not registered)"
        r = labelled.record
        print(f"  [{labelled.noise}{'+' + labelled.cosmetic if labelled.cosmetic else ''}] {record_name(r)!r} "
              f"{r.township_code} {r.data.get('address', '')!r}\n"
              f"      → {decision.entity.name} {decision.entity.township_code} {decision.entity.address} "
              f"score {decision.score:.3f} {decision.explanation}\n      truth: {truth}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--auto-link", type=float, default=Thresholds.auto_link)
    parser.add_argument("--review", type=float, default=Thresholds.review)
    parser.add_argument("--margin", type=float, default=Thresholds.margin)
    parser.add_argument("--examples", type=int, default=15, help="false auto-links to print")
    args = parser.parse_args(argv)
    run(args.entities, args.queries, args.seed, Thresholds(args.auto_link, args.review, args.margin), args.examples)


if __name__ == "__main__":
    main()
