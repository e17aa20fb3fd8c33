"""The monthly read model's arithmetic on hand-made data: as known at month end, 门类, changes,
shares, movers and the 产业运行监控 rows (the power trend: test_analytics_power.py)."""

import random
from datetime import datetime, timedelta

from services.analytics.domain.changes import change_pct, movers, outside_bound, proven_movers, share_pct, total
from services.analytics.domain.industries import Cell, section_rows
from services.analytics.domain.months import BEIJING, known_at_month_end, month_end_cutoff, months_between, section, shift


def test_the_as_reported_cutoff_is_the_end_of_the_reporting_month_in_beijing_time():
    assert month_end_cutoff("2026-10") == datetime(2026, 12, 1, tzinfo=BEIJING)
    assert month_end_cutoff("2026-11") == datetime(2027, 1, 1, tzinfo=BEIJING)  # across the year
    assert month_end_cutoff("2026-12") == datetime(2027, 2, 1, tzinfo=BEIJING)
    cutoff = month_end_cutoff("2026-10")
    assert known_at_month_end("2026-10", datetime(2026, 11, 8, 9, tzinfo=BEIJING))  # on time
    assert known_at_month_end("2026-10", cutoff - timedelta(microseconds=1))  # a late correction, still in November
    assert not known_at_month_end("2026-10", cutoff)  # from 1 December on it restates October
    # 23:30 UTC on 30 November is already 1 December in Beijing
    assert not known_at_month_end("2026-10", datetime.fromisoformat("2026-11-30T16:30:00+00:00"))
    assert known_at_month_end("2026-10", datetime.fromisoformat("2026-11-30T15:59:59+00:00"))


def test_section_reads_every_form_of_the_industry_code():
    assert section("3311") == "C" and section("C3311") == "C" and section("C33") == "C" and section("C") == "C"
    assert section("0511") == "A" and section("0610") == "B" and section("4411") == "D" and section("5212") == "F"
    assert section("7010") == "K" and section("9700") == "T" and section("9610") == "S"
    assert section(None) is None and section("") is None and section("Z") is None


def test_months():
    assert shift("2026-01", -1) == "2025-12" and shift("2026-10", -12) == "2025-10" and shift("2026-12", 2) == "2027-02"
    assert months_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-02", "2026-01") == []


def test_changes_are_unknown_without_a_positive_base():
    assert change_pct(120.0, 100.0) == 20.0
    assert change_pct(50.0, 200.0) == -75.0
    assert change_pct(1.0, 3.0) == -66.7
    assert change_pct(100.0, None) is None and change_pct(None, 100.0) is None
    assert change_pct(100.0, 0.0) is None  # from nothing: no percentage
    assert change_pct(100.0, -20.0) is None  # a net refund is no base
    assert share_pct(25.0, 200.0) == 12.5 and share_pct(1.0, 0.0) is None and share_pct(None, 10.0) is None
    assert total([1.0, None, 2.5]) == 3.5 and total([None, None]) is None and total([0.0]) == 0.0


def test_movers_rank_by_absolute_change_counting_an_absent_month_as_zero():
    pairs = {
        "a": (100.0, 90.0),  # +10
        "b": (10.0, 200.0),  # −190
        "c": (50.0, None),  # appeared: +50
        "d": (None, 60.0),  # disappeared: −60
        "e": (None, None),  # nothing either month
        "f": (7.0, 7.0),  # unchanged
        "g": (150.0, 140.0),  # +10, ties with a: by key
    }
    top = movers(pairs, 4)
    assert [m.key for m in top] == ["b", "d", "c", "a"]
    assert (top[0].delta, top[0].pct) == (-190.0, -95.0)
    assert (top[1].now, top[1].delta, top[1].pct) == (None, -60.0, None)
    assert [m.key for m in movers(pairs, 10)] == ["b", "d", "c", "a", "g"]


def _read_ends(figures: dict[str, float], k: int) -> list[tuple[int, float | None]]:
    """What the repository reads of a month: of the k largest positive figures and of the k most
    negative, how many there are and the smallest size."""
    ends = [sorted((v for v in figures.values() if v > 0), reverse=True)[:k], sorted(v for v in figures.values() if v < 0)[:k]]
    return [(len(end), min(map(abs, end), default=None)) for end in ends]


def test_movers_proven_from_the_largest_figures_are_the_movers_of_everyone():
    """Whatever the population, the movers found among the candidates (the largest figures of each
    month, both ends) are either refused (the repository then ranks everyone) or exactly everyone's."""
    r = random.Random(4)
    proven = 0
    for _ in range(1000):
        size, n = r.choice((5, 40, 300)), 5
        k = r.choice((n, 2 * n, 4 * n))
        draw = r.choice((lambda: r.lognormvariate(3, 1.5), lambda: r.uniform(0, 100)))  # heavy-tailed or even sizes
        present = r.choice((0.5, 0.9))  # entities appearing and disappearing
        now = {f"e{i}": round(draw() * r.choice((1, 1, 1, -1)), 2) for i in range(size) if r.random() < present}
        was = {f"e{i}": round(draw(), 2) for i in range(size) if r.random() < present}
        for e in r.sample(sorted(now), min(3, len(now))):  # unchanged and zero figures too
            now[e] = was.get(e, 0.0)
        keep = lambda figures: {e for e, v in sorted(figures.items(), key=lambda i: -i[1])[:k] if v > 0} | {  # noqa: E731
            e for e, v in sorted(figures.items(), key=lambda i: i[1])[:k] if v < 0}
        candidates = keep(now) | keep(was)
        everyone = {e: (now.get(e), was.get(e)) for e in now.keys() | was.keys()}
        bound = outside_bound([_read_ends(now, k), _read_ends(was, k)], k)
        found = proven_movers({e: everyone[e] for e in candidates}, n, bound)
        change = lambda e: abs((everyone[e][0] or 0.0) - (everyone[e][1] or 0.0))  # noqa: E731
        ranked = sorted(candidates, key=lambda e: (-change(e), e))[:n]  # what PostgreSQL sends back of the candidates
        assert proven_movers({e: everyone[e] for e in ranked}, n, bound) == found
        if found is not None:
            proven += 1
            assert found == movers(everyone, n)
    assert proven > 300  # and many populations are told from their candidates


def test_movers_of_a_small_area_are_all_candidates():
    assert outside_bound([[(2, 3.0), (0, None)], [(1, 9.0), (1, 1.0)]], k=3) is None
    assert outside_bound([[(3, 2.0), (0, None)], [(1, 9.0), (3, 0.5)]], k=3) == 2.0 + 0.5
    pairs = {"a": (10.0, 1.0), "b": (2.0, 2.5)}
    assert [m.key for m in proven_movers(pairs, 5, None)] == ["a", "b"]
    assert proven_movers(pairs, 1, 9.0) is None and [m.key for m in proven_movers(pairs, 1, 8.9)] == ["a"]


def test_section_rows_give_changes_and_shares_of_the_area():
    cells = {
        ("C", "2026-10"): Cell(3, 3000.0, 600.0), ("C", "2026-09"): Cell(3, 2000.0, 500.0), ("C", "2025-10"): Cell(2, 1500.0, None),
        ("F", "2026-10"): Cell(2, 1000.0, 400.0), ("F", "2026-09"): Cell(1, 1000.0, 0.0),
        ("unknown", "2026-09"): Cell(1, 10.0, None),  # gone this month
    }
    rows, totals = section_rows(cells, "2026-10")
    assert (totals.entities, totals.kwh, totals.tax) == (5, 4000.0, 1000.0)
    c, f, unknown = rows
    assert (c.section, c.section_name) == ("C", "制造业")
    assert (c.kwh_mom_pct, c.kwh_yoy_pct, c.tax_mom_pct, c.tax_yoy_pct) == (50.0, 100.0, 20.0, None)
    assert (c.kwh_share_pct, c.tax_share_pct) == (75.0, 60.0)
    assert (f.kwh_mom_pct, f.tax_mom_pct, f.tax_share_pct) == (0.0, None, 40.0)
    assert (unknown.section_name, unknown.entities, unknown.kwh, unknown.kwh_share_pct) == ("行业不详", 0, None, None)
