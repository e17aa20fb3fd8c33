"""Robust intervals and peers, industry divisions, periods and the Spring Festival calendar."""

from datetime import date

import pytest

from shared.festival import festival_month, spring_festival, touched_by_festival, year_on_year_base
from services.alerting.domain.history import (
    Entity,
    History,
    Interval,
    Month,
    Population,
    division,
    finance_periods_ending,
    previous_finance_period,
    shift,
)
from services.alerting.domain.intervals import burden, fenced, fit_population, interval_for, robust_spread, robust_z
from services.alerting.domain.ruleset import load_ruleset

RULESET = load_ruleset()


@pytest.mark.parametrize(
    ("code", "expected"),
    [("C13", "C13"), ("13", "C13"), ("1311", "C13"), ("C1311", "C13"), ("05", "A05"), ("A0511", "A05"), ("70", "K70"), ("98", "T98"), (None, None), ("", None), ("00", None), ("C", None)],
)
def test_industry_codes_normalise_to_section_letter_and_division(code, expected):
    assert division(code) == expected


def test_periods_step_over_years_and_finance_periods_close_in_their_last_month():
    assert shift("2026-01", -1) == "2025-12"
    assert shift("2025-12", 1) == "2026-01"
    assert shift("2026-03", -14) == "2025-01"
    assert finance_periods_ending("2026-08") == ()
    assert finance_periods_ending("2026-09") == ("2026-Q3",)
    assert finance_periods_ending("2026-12") == ("2026-Q4", "2026")
    assert previous_finance_period("2026-Q1") == "2025-Q4"
    assert previous_finance_period("2026-Q3") == "2026-Q2"
    assert previous_finance_period("2026") == "2025"


def test_spring_festival_dates_are_the_lunar_new_year():
    assert spring_festival(2024) == date(2024, 2, 10)
    assert spring_festival(2025) == date(2025, 1, 29)
    assert spring_festival(2026) == date(2026, 2, 17)
    assert spring_festival(2027) == date(2027, 2, 6)
    assert [festival_month(y) for y in (2015, 2035)] == ["2015-02", "2035-02"]
    with pytest.raises(ValueError, match="2036"):
        spring_festival(2036)


def test_year_on_year_compares_festival_month_with_festival_month():
    assert year_on_year_base("2025-01") == "2024-02"  # festival moved from February 2024 to January 2025
    assert year_on_year_base("2025-02") == "2024-01"
    assert year_on_year_base("2026-02") == "2025-01"  # and back to February
    assert year_on_year_base("2026-01") == "2025-02"
    assert year_on_year_base("2027-02") == "2026-02"  # February both years: plain
    assert year_on_year_base("2026-07") == "2025-07"


def test_the_festival_shutdown_touches_the_months_around_it():
    assert touched_by_festival("2025-01", 15, 20) and touched_by_festival("2025-02", 15, 20)  # 01-29: to 02-18
    assert touched_by_festival("2026-02", 15, 20) and touched_by_festival("2026-03", 15, 20)  # 02-17: to 03-09
    assert not touched_by_festival("2026-01", 15, 20)  # from 02-02
    assert not touched_by_festival("2025-03", 15, 20)
    assert touched_by_festival("2026-02", 0, 0)  # the festival's own month always is


def _history(uscc, industry, kwh, tax, township="445202100"):
    return History(Entity(uscc, "甲", township, industry), {"2026-10": Month("2026-10", kwh, tax)})


def test_intervals_are_robust_percentiles_fitted_only_on_enough_peers():
    ratio = RULESET.params("tax_power_ratio")
    many = [_history(f"u{i}", "C13", 10_000.0, 100.0 * (i + 1)) for i in range(ratio.fit.min_peers)]
    few = [_history(f"v{i}", "C14", 10_000.0, 1000.0) for i in range(ratio.fit.min_peers - 1)]
    below_bases = [_history("w", "C13", ratio.min_kwh - 1, 1e9), _history("x", "C13", 1e6, None), _history("y", None, 1e6, 1e3)]
    plain = ratio.fit.model_copy(update={"low_percentile": 5, "high_percentile": 95, "fence": 0.0})
    spec = RULESET.rules["tax_power_ratio"]
    ruleset = RULESET.model_copy(update={"rules": {**RULESET.rules, "tax_power_ratio": spec.model_copy(
        update={"params": ratio.model_copy(update={"fit": plain})})}})
    population = fit_population(ruleset, [*many, *few, *below_bases], "2026-10")
    fitted = population.intervals[("C13", None)]
    assert fitted.sample_size == ratio.fit.min_peers and fitted.source == "fitted"
    assert 0.01 < fitted.low < 0.03 and 0.28 < fitted.high < 0.3  # P5/P95 of 0.01 … 0.30
    assert ("C14", None) not in population.intervals
    assert population.peers["C13"].count == ratio.fit.min_peers


def test_configured_intervals_beat_fitted_and_county_beats_city():
    fitted = Interval(0.1, 0.2, 40, "fitted")
    population = Population(intervals={("C13", None): fitted, ("C14", "445202"): Interval(1, 2, 35, "fitted")})
    configured = RULESET.intervals
    assert interval_for(configured, population, "C13", "445202") == Interval(0.05, 1.5, 0, "configured")
    assert interval_for({}, population, "C13", "445202") == fitted
    assert interval_for({}, population, "C14", "445202").low == 1
    assert interval_for({}, population, "C14", "445203") is None


def test_burden_needs_both_bases_and_mad_spread():
    assert burden(Month("2026-10", 10_000, 500), "tax_per_kwh", 5000, 100) == 0.05
    assert burden(Month("2026-10", 10_000, 50), "tax_per_kwh", 5000, 100) is None
    assert burden(Month("2026-10", None, 500), "tax", 5000, 100) == 500
    peers = robust_spread([1, 2, 3, 4, 100])
    assert (peers.median, peers.mad, peers.count) == (3, 1, 5)
    assert robust_z(3 + 1 / 0.6745, peers) == pytest.approx(1.0)
    assert robust_z(5, robust_spread([2, 2, 2])) is None


def test_the_city_fences_the_quartiles_on_the_log_scale():
    """P5–P95 puts a tenth of every industry outside each month; Tukey's far-out fences on the log
    scale put hardly any ordinary business outside, and still a tenfold ratio."""
    assert fenced([0.1, 0.4], 0) == (0.1, 0.4)
    low, high = fenced([0.1, 0.4], 3)  # the quartiles 4× apart: 4³ beyond each
    assert (round(low, 6), round(high, 6)) == (round(0.1 / 64, 6), round(0.4 * 64, 6))
    assert fenced([0.0, 0.4], 3) == (0.0, 0.4)  # no log scale through zero
    ratio = RULESET.params("tax_power_ratio")
    steady = [_history(f"u{i}", "C13", 10_000.0, 2_000.0 * (1 + (i % 10) / 10)) for i in range(ratio.fit.min_peers)]
    fitted = fit_population(RULESET, steady, "2026-10").intervals[("C13", None)]
    assert 0.29 / 10 < fitted.low and fitted.high < 0.29 * 10  # a tenth or ten times the median is outside
    assert fitted.low < 0.2 and 0.38 < fitted.high  # every ordinary business is inside
