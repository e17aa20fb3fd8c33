"""用电趋势 on hand-made data: year on year aligned to the Spring Festival (2024-02-10, 2025-01-29,
2026-02-17), average daily use across a leap February, and the 用电景气 index's share of entities
below last year (an entity without last year's figure is not compared)."""

from services.analytics.domain.power import (
    Month,
    aligned_base,
    based_on,
    below_last_year,
    combine,
    compare_entities,
    daily,
    days_in,
    first_needed,
    known_base,
    trend,
)
from services.analytics.domain.months import months_between

# a group that uses 1,000 kWh a day and 600 in its festival month, whichever month that is
FESTIVAL_DIPS = {
    "2024-01": Month(10, 31 * 1000.0), "2024-02": Month(10, 29 * 600.0),  # leap February, the festival's
    "2024-03": Month(10, 31 * 1000.0),
    "2025-01": Month(10, 31 * 600.0), "2025-02": Month(10, 28 * 1000.0), "2025-03": Month(10, 31 * 1000.0),
    "2026-01": Month(10, 31 * 1000.0), "2026-02": Month(10, 28 * 600.0), "2026-03": Month(10, 31 * 1100.0),
}


def test_the_aligned_base_is_last_years_festival_month_for_the_festival_month_and_the_other_for_the_other():
    assert aligned_base("2025-01") == "2024-02" and aligned_base("2025-02") == "2024-01"  # festival moved to January
    assert aligned_base("2026-02") == "2025-01" and aligned_base("2026-01") == "2025-02"  # and back to February
    assert aligned_base("2027-02") == "2026-02" and aligned_base("2027-01") == "2026-01"  # February both years
    assert aligned_base("2026-03") == "2025-03" and aligned_base("2025-12") == "2024-12"
    assert first_needed("2025-01") == "2023-12" and first_needed("2026-02") <= aligned_base("2026-02")


def test_a_month_is_the_base_of_the_months_that_compare_with_it():
    """What analytics re-judges when a month's figure changes: every month whose aligned base it is."""
    assert based_on("2024-02") == ["2025-01"] and based_on("2024-01") == ["2025-02"]
    assert based_on("2025-01") == ["2026-02"] and based_on("2025-02") == ["2026-01"]
    assert based_on("2025-03") == ["2026-03"] and based_on("2025-12") == ["2026-12"]
    for period in months_between("2016-01", "2035-12"):  # the inverse of aligned_base, every month
        assert all(aligned_base(later) == period for later in based_on(period))
        assert period in based_on(aligned_base(period))


def test_a_january_beyond_the_festival_dates_known_is_not_compared_rather_than_refused():
    assert known_base("2040-01") is None and known_base("2040-03") == "2039-03"
    assert based_on("2035-01") == [] and based_on("2035-03") == ["2036-03"]
    (point,) = trend({"2040-01": Month(3, 900.0)}, "2040-01", "2040-01")
    assert (point.base_period, point.kwh, point.kwh_yoy_aligned_pct, point.kwh_daily_yoy_pct) == (None, 900.0, None, None)


def test_days_and_the_average_daily_use_know_the_leap_february():
    assert [days_in(p) for p in ("2024-02", "2025-02", "2028-02", "2100-02", "2026-01")] == [29, 28, 29, 28, 31]
    assert daily(2900.0, "2024-02") == 100.0 and daily(2900.0, "2025-02") == 2900.0 / 28 and daily(None, "2024-02") is None


def test_the_festival_month_does_not_swing_when_compared_with_last_years_festival_month():
    points = {p.period: p for p in trend(FESTIVAL_DIPS, "2025-01", "2026-03")}
    jan25, feb25, jan26, feb26, mar26 = (points[p] for p in ("2025-01", "2025-02", "2026-01", "2026-02", "2026-03"))
    # by calendar month the festival's move reads as a 40 % fall then a 61 % rise, and the reverse a year later
    assert (jan25.kwh_yoy_pct, feb25.kwh_yoy_pct, jan26.kwh_yoy_pct, feb26.kwh_yoy_pct) == (-40.0, 60.9, 66.7, -40.0)
    # aligned, what is left is the days: 31-day January against a 29-day (leap) February, ...
    assert (jan25.base_period, jan25.kwh_yoy_aligned_pct) == ("2024-02", 6.9)
    assert (feb25.base_period, feb25.kwh_yoy_aligned_pct) == ("2024-01", -9.7)
    assert (jan26.base_period, jan26.kwh_yoy_aligned_pct, feb26.kwh_yoy_aligned_pct) == ("2025-02", 10.7, -9.7)
    # ... and per day nothing changed at all
    assert [p.kwh_daily_yoy_pct for p in (jan25, feb25, jan26, feb26)] == [0.0, 0.0, 0.0, 0.0]
    assert (jan25.kwh_daily, feb26.kwh_daily) == (600.0, 600.0)
    # from March on, aligned is calendar
    assert (mar26.base_period, mar26.kwh_yoy_pct, mar26.kwh_yoy_aligned_pct, mar26.kwh_daily_yoy_pct) == ("2025-03", 10.0, 10.0, 10.0)


def test_a_month_without_figures_or_without_a_base_has_no_change():
    points = trend({"2026-02": Month(1, 500.0), "2025-01": Month(1, 0.0)}, "2026-01", "2026-02")
    assert [(p.period, p.entities, p.kwh, p.kwh_yoy_aligned_pct, p.kwh_daily_yoy_pct, p.below_share_pct) for p in points] == [
        ("2026-01", 0, None, None, None, None), ("2026-02", 1, 500.0, None, None, None)]  # a zero base is no base


def test_an_entity_is_below_last_year_by_its_average_daily_use_in_the_aligned_month():
    # January 2025 (31 days) against the festival February 2024 (29 days): more kWh, less per day
    assert below_last_year(3000.0, 2950.0, "2025-01") is True
    assert below_last_year(3200.0, 2950.0, "2025-01") is False
    assert below_last_year(2900.0, 2900.0, "2025-02") is False  # 28 days against 31: more per day
    assert below_last_year(0.0, 10.0, "2026-05") is True  # a reported zero is a figure
    assert below_last_year(None, 10.0, "2026-05") is None and below_last_year(10.0, None, "2026-05") is None


def test_the_share_below_last_year_counts_only_entities_with_both_figures():
    kwh = {
        "falls": {"2025-01": 2000.0, "2026-02": 1000.0},  # festival month against last year's festival month
        "rises": {"2025-01": 2000.0, "2026-02": 3000.0},
        "calendar_fall": {"2025-02": 5000.0, "2026-02": 4000.0},  # below February 2025, but that is not the base
        "new": {"2026-02": 800.0},  # no figure last year: not compared
        "stopped": {"2025-01": 900.0},  # none this month: not compared
        "zero": {"2025-01": 100.0, "2026-02": 0.0},
    }
    assert compare_entities(kwh, "2026-02") == (3, 2)
    assert compare_entities({"new": {"2026-02": 800.0}}, "2026-02") == (0, 0)


def test_the_index_of_an_area_sums_its_groups():
    north = {"2026-02": Month(3, 300.0, compared=2, below=1), "2025-01": Month(2, 310.0)}
    south = {"2026-02": Month(1, 100.0, compared=1, below=1), "2025-01": Month(1, 90.0), "2025-03": Month(1, 50.0)}
    area = combine([north, south])
    assert area["2026-02"] == Month(4, 400.0, 3, 2) and area["2025-01"] == Month(3, 400.0) and area["2025-03"] == Month(1, 50.0)
    [point] = trend(area, "2026-02", "2026-02")
    # 400 kWh over 28 days against 400 over 31: +10.7 % a day; two of the three compared are below
    assert (point.kwh_yoy_aligned_pct, point.kwh_daily_yoy_pct, point.compared, point.below, point.below_share_pct) == (
        0.0, 10.7, 3, 2, 66.7)
    assert trend(combine([]), "2026-02", "2026-02")[0].below_share_pct is None
