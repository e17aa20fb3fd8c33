"""区域概况's map and ranking (services/analytics/domain/regions.py) and which trend series a chart draws."""

from services.analytics.domain import regions
from services.analytics.domain.industries import largest


def _township(code: str, division: str, **figures) -> dict:
    return {"township_code": code, "township_name": f"镇{code[-3:]}", "division_code": division, "division_name": f"区{division}",
            **dict.fromkeys(regions.COUNTS, 0), **figures}


def test_an_unknown_or_missing_measure_falls_back_to_entities():
    assert regions.measure_of(None).key == "entities"
    assert regions.measure_of("nonsense").key == "entities"
    assert regions.measure_of("unmatched_share").unit == "%"


def test_a_share_without_a_base_is_unknown_not_zero():
    share = regions.MEASURES["unmatched_share"]
    assert share.of(_township("445202001", "445202", records=8, unmatched_records=2)) == 25.0
    assert share.of(_township("445202001", "445202")) is None
    resolved = regions.MEASURES["resolved_share"]
    figures = regions.with_all_alerts(_township("445202001", "445202", open_alerts=1, acknowledged_alerts=1, resolved_alerts=2))
    assert resolved.of(figures) == 50.0


def test_townships_sum_into_their_division_in_code_order():
    rows = regions.by_division([
        _township("445281001", "445281", entities=3, records=5),
        _township("445202001", "445202", entities=2),
        _township("445202002", "445202", entities=4, open_alerts=1),
    ])
    assert [(r["division_code"], r["townships"], r["entities"], r["open_alerts"]) for r in rows] == [
        ("445202", 2, 6, 1), ("445281", 1, 3, 0)]


def test_ranking_puts_the_largest_first_and_the_unknown_last():
    rows = [_township("445202001", "445202", records=10, unmatched_records=1),
            _township("445202002", "445202"),
            _township("445202003", "445202", records=4, unmatched_records=2)]
    ranked = regions.ranked(rows, regions.MEASURES["unmatched_share"])
    assert [(r["township_code"], r["value"]) for r in ranked] == [("445202003", 50.0), ("445202001", 10.0), ("445202002", None)]


def test_shares_get_equal_steps_one_colour_each():
    steps = regions.scale([0.0, 50.0, 100.0, None], counts=False)
    assert [(s.low, s.high) for s in steps] == [(0.0, 20.0), (20.0, 40.0), (40.0, 60.0), (60.0, 80.0), (80.0, 100.0)]
    assert [s.colour for s in steps] == list(regions.PALETTE)
    assert regions.colour_of(0.0, steps) == regions.PALETTE[0]
    assert regions.colour_of(50.0, steps) == regions.PALETTE[2]
    assert regions.colour_of(100.0, steps) == regions.PALETTE[-1]
    assert regions.colour_of(None, steps) == regions.NO_DATA_COLOUR


def test_counts_get_whole_number_steps():
    steps = regions.scale([0, 40, 86], counts=True)
    assert [(s.low, s.high) for s in steps] == [(0, 17), (18, 35), (36, 53), (54, 71), (72, 86)]
    assert regions.colour_of(17, steps) == regions.PALETTE[0] and regions.colour_of(18, steps) == regions.PALETTE[1]
    few = regions.scale([1, 2], counts=True)  # two values: two steps, the lightest and the darkest
    assert [(s.low, s.high, s.colour) for s in few] == [(1, 1, regions.PALETTE[0]), (2, 2, regions.PALETTE[-1])]
    assert [(s.low, s.high) for s in regions.scale([0, 3], counts=True)] == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert [s.colour for s in regions.scale([7, 7], counts=True)] == [regions.PALETTE[-1]]
    assert regions.scale([None], counts=True) == [] and regions.colour_of(3, []) == regions.NO_DATA_COLOUR


def test_a_chart_draws_the_largest_series_first():
    assert largest({"b": 5.0, "a": 5.0, "c": None, "d": 9.0}, 3) == ["d", "a", "b"]
    assert largest({}, 10) == []
