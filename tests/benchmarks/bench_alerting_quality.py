"""Alerting quality on a city with planted anomalies: per rule, planted cases found and missed,
and alerts where nothing was planted.

    .venv/bin/python -m tests.benchmarks.bench_alerting_quality [--entities 20000] [--months 36] [--seed 1]

Generates the histories (tests/benchmarks/planted_anomalies.py) and runs the catalogue in batch
mode (`judge_all`) with the city's rule set over every month after the first year, every period
closed for both departments but those the generator says never came. A planted case is found when
its rule raised an alert for its entity in one of its periods. An alert is explained when another
planted case of its entity and period implies it (a stopped factory has dropped its power too),
and false otherwise. Results are recorded in docs/benchmarks/alerting.md.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict

from services.alerting.domain.catalogue import CATALOGUE, judge_all
from services.alerting.domain.ruleset import load_ruleset
from tests.benchmarks.planted_anomalies import generate

TARGET_UNPLANTED = 0.01


def run(entities: int, months: int, seed: int, examples: int) -> bool:
    started = time.perf_counter()
    city = generate(entities, months, seed)
    generated = time.perf_counter() - started
    ruleset = load_ruleset()

    planted = defaultdict(list)  # (uscc, rule) -> the periods of each case
    explained = set()  # (uscc, rule, period) another case implies
    for case in city.truth:
        planted[case.uscc, case.rule].append(case.periods)
        explained |= {(case.uscc, rule, p) for rule in case.also for p in case.periods}

    started = time.perf_counter()
    found, alerts, extra, false = set(), Counter(), Counter(), defaultdict(list)
    for judgement in judge_all(ruleset, city.histories, city.judged, city.closures):
        for f in judgement.findings:
            alerts[f.rule] += 1
            cases = planted.get((f.uscc, f.rule), ())
            hit = [i for i, periods in enumerate(cases) if f.period in periods]
            found |= {(f.uscc, f.rule, i) for i in hit}
            if not hit:
                if (f.uscc, f.rule, f.period) in explained:
                    extra[f.rule] += 1
                else:
                    false[f.rule].append(f)
    judged = time.perf_counter() - started

    cases = Counter(case.rule for case in city.truth)
    hits = Counter(rule for _, rule, _ in found)
    print(f"{entities:,} entities, {months} months from {city.periods[0]} (judged {city.judged[0]} to {city.judged[-1]}), "
          f"seed {seed}: generated in {generated:.1f} s, judged in {judged:.1f} s")
    print(f"departments missing a month (not closed for it): {', '.join(f'{d} {p}' for d, p in city.late) or 'none'}")
    print()
    print(f"{'rule':<26}{'planted':>8}{'found':>7}{'missed':>7}{'alerts':>8}{'explained':>10}{'false':>7}{'precision':>11}")
    for rule in CATALOGUE:
        n_false = len(false[rule])
        precision = 1 - n_false / alerts[rule] if alerts[rule] else 1.0
        print(f"{rule:<26}{cases[rule]:>8}{hits[rule]:>7}{cases[rule] - hits[rule]:>7}{alerts[rule]:>8}"
              f"{extra[rule]:>10}{n_false:>7}{100 * precision:>10.2f}%")
    total_false, total_alerts = sum(len(v) for v in false.values()), sum(alerts.values())
    share = total_false / total_alerts if total_alerts else 0.0
    print(f"{'all':<26}{sum(cases.values()):>8}{sum(hits.values()):>7}{sum(cases.values()) - sum(hits.values()):>7}"
          f"{total_alerts:>8}{sum(extra.values()):>10}{total_false:>7}{100 * (1 - share):>10.2f}%")
    print()
    met = hits == cases and share <= TARGET_UNPLANTED
    print(f"alerts where nothing was planted: {100 * share:.2f}% (target ≤ {100 * TARGET_UNPLANTED:.0f}%); "
          f"every planted case found: {hits == cases} → target {'met' if met else 'NOT met'}")
    missed = [c for c in city.truth if not any((c.uscc, c.rule, i) in found for i in range(len(planted[c.uscc, c.rule])))]
    for case in missed[:examples]:
        print(f"  missed {case.rule} {case.uscc} {case.scenario} in {min(case.periods)}–{max(case.periods)}")
    for rule, findings in false.items():
        for f in findings[:examples]:
            print(f"  false {rule} {f.period}: {f.message_zh}")
    return met


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=36, help="generated; the first 12 are history only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--examples", type=int, default=5, help="missed cases and false alerts to print per rule")
    args = parser.parse_args(argv)
    run(args.entities, args.months, args.seed, args.examples)


if __name__ == "__main__":
    main()
