"""企业信息多维分析: the 规模档 file (services/analytics/domain/size_bands.py) and the pivot's
assembly, order, labels, totals and drill filters (services/analytics/domain/pivot.py)."""

import pytest

from services.analytics.domain import pivot as p
from services.analytics.domain.size_bands import DEFAULT_SIZE_BANDS, UNDECLARED, SizeBandsError, load_size_bands, parse_size_bands

BANDS = parse_size_bands("code,name,lower_wan\nmicro,100万元以下,0\nsmall,100万至500万元,100\nlarge,500万元及以上,500\n", "bands.csv")
HOME, NEIGHBOUR = "445202001", "445202002"


def test_a_capital_falls_in_the_band_of_the_highest_lower_bound_not_above_it():
    assert [BANDS.band_of(c) for c in (0, 99.99, 100, 499, 500, 1e9)] == ["micro", "micro", "small", "small", "large", "large"]
    assert BANDS.band_of(None) == UNDECLARED
    assert BANDS.codes == ["micro", "small", "large", UNDECLARED]
    assert (BANDS.name("small"), BANDS.name(UNDECLARED)) == ("100万至500万元", "未申报")


def test_the_packaged_band_file_loads():
    bands = load_size_bands(DEFAULT_SIZE_BANDS)
    assert bands.bands[0].lower == 0 and bands.band_of(50_000) == bands.bands[-1].code


@pytest.mark.parametrize(("text", "line", "field", "reason"), [
    ("code,name\nmicro,小,0\n", 1, "", "表头"),
    ("code,name,lower_wan\nmicro,小,10\n", 2, "lower_wan", "第一档的下限应为 0"),
    ("code,name,lower_wan\nmicro,小,0\nsmall,中,500\nlarge,大,100\n", 4, "lower_wan", "应大于上一档的下限 500"),
    ("code,name,lower_wan\nmicro,小,0\nsmall,中,0\n", 3, "lower_wan", "不能重叠"),
    ("code,name,lower_wan\nmicro,小,0\nmicro,中,100\n", 3, "code", "重复"),
    ("code,name,lower_wan\nmicro,小,0\nsmall,中,一百\n", 3, "lower_wan", "应为数字"),
    ("code,name,lower_wan\nmicro,小,0\nsmall,中,inf\n", 3, "lower_wan", "有限的数字"),
    ("code,name,lower_wan\nmicro,小,0\nundeclared,中,100\n", 3, "code", "保留代码"),
    ("code,name,lower_wan\nmicro,,0\n", 2, "name", "缺少中文名称"),
    ("code,name,lower_wan\nmicro,小\n", 2, "", "应有 3 列"),
    ("code,name,lower_wan\n", 1, "", "至少需要一档"),
])
def test_a_broken_band_file_is_refused_with_its_line_and_reason(text, line, field, reason):
    with pytest.raises(SizeBandsError) as refused:
        parse_size_bands(text, "size_bands.csv")
    assert (refused.value.file, refused.value.line, refused.value.field) == ("size_bands.csv", line, field)
    assert reason in refused.value.reason and str(refused.value).startswith(f"size_bands.csv:{line}:")


def test_a_pivot_orders_its_rows_and_columns_and_keeps_the_databases_totals():
    found = [  # (row, column, value); None: the total over that key (entities counted once there, not summed)
        ("C", "2026-11", 2), ("C", "2026-10", 1), ("G", "2026-11", 1), ("unknown", "2026-11", 1),
        ("C", None, 2), ("G", None, 1), ("unknown", None, 1),
        (None, "2026-10", 1), (None, "2026-11", 4), (None, None, 4),
    ]
    t = p.table(found, p.Dimension.INDUSTRY, p.Dimension.PERIOD, "445202", "2026-09", "2026-11", BANDS)
    assert [(h.key, h.label) for h in t.rows] == [("C", "C 制造业"), ("G", "G 交通运输、仓储和邮政业"), ("unknown", "行业不详")]
    assert [h.key for h in t.columns] == ["2026-10", "2026-11"]  # September had no entity
    assert t.cells == [[1, 2], [None, 1], [None, 1]]
    assert (t.row_totals, t.column_totals, t.total) == ([2, 1, 1], [1, 4], 4)


def test_a_pivot_without_columns_has_one_column_of_its_rows_totals():
    found = [(NEIGHBOUR, None, 300.0), (HOME, None, 2600.0), (None, None, 2900.0)]
    t = p.table(found, p.Dimension.TOWNSHIP, None, "445202", "2026-11", "2026-11", BANDS)
    assert [(h.key, h.label) for h in t.rows] == [(HOME, "榕华街道"), (NEIGHBOUR, "新兴街道")]
    assert [(h.key, h.label) for h in t.columns] == [(p.ALL, "合计")]
    assert (t.cells, t.row_totals, t.column_totals, t.total) == ([[2600.0], [300.0]], [2600.0, 300.0], [2900.0], 2900.0)
    assert p.table([], p.Dimension.TOWNSHIP, None, "", "2026-11", "2026-11", BANDS).columns == []


def test_labels_of_types_bands_and_areas_are_chinese():
    assert p.label(p.Dimension.ENTITY_TYPE, "92") == "个体工商户" and p.label(p.Dimension.ENTITY_TYPE, "unknown") == "未知"
    assert p.label(p.Dimension.SIZE_BAND, "large", BANDS) == "500万元及以上"
    assert p.label(p.Dimension.COUNTY, "445202") == "榕城区"
    assert (p.area_name(""), p.area_name("445202"), p.area_name(HOME)) == ("揭阳市", "榕城区", "榕城区榕华街道")
    assert p.filters_zh("C", "92", UNDECLARED, BANDS) == "C 制造业、个体工商户、未申报" and p.filters_zh(None, None, None, BANDS) == "无"


def test_each_dimension_drills_with_the_entity_lists_own_filter():
    assert p.drill_filters(p.Dimension.COUNTY, "445202") == {"area": "445202"}
    assert p.drill_filters(p.Dimension.TOWNSHIP, HOME) == {"area": HOME}
    assert p.drill_filters(p.Dimension.PERIOD, "2026-11") == {"period": "2026-11", "to": "2026-11"}
    assert p.drill_filters(p.Dimension.SIZE_BAND, "micro") == {"size_band": "micro"}
    assert p.drill_filters(p.Dimension.ENTITY_TYPE, "91") == {"entity_type": "91"}


def test_registered_and_alerts_drill_to_their_own_lists_with_their_own_month_filters():
    assert p.drill_filters(p.Dimension.PERIOD, "2026-11", p.Measure.REGISTERED) == {"month": "2026-11"}
    assert p.drill_filters(p.Dimension.PERIOD, "2026-11", p.Measure.ALERTS) == {"from": "2026-11", "to": "2026-11"}
    assert p.drill_filters(p.Dimension.SIZE_BAND, "micro", p.Measure.ALERTS) == {"size_band": "micro"}
    # a total over a range: registered at the last month's end, alerts of the range, entities with figures in any month
    assert p.drill_range(p.Measure.REGISTERED, "2026-09", "2026-11") == {"event": "active", "month": "2026-11"}
    assert p.drill_range(p.Measure.ALERTS, "2026-09", "2026-11") == {"from": "2026-09", "to": "2026-11"}
    assert p.drill_range(p.Measure.KWH, "2026-09", "2026-11") == {"period": "2026-09", "to": "2026-11"}
    assert (p.LISTING.get(p.Measure.REGISTERED), p.LISTING.get(p.Measure.ALERTS), p.LISTING.get(p.Measure.TAX)) == (
        p.Listing.REGISTRATIONS, p.Listing.ALERTS, None)


def test_registered_is_counted_at_each_months_end_by_month_else_at_the_last_months_end():
    assert p.counted_months(p.Measure.REGISTERED, p.Dimension.TOWNSHIP, p.Dimension.PERIOD, "2026-09", "2026-11") == [
        "2026-09", "2026-10", "2026-11"]
    assert p.counted_months(p.Measure.REGISTERED, p.Dimension.TOWNSHIP, None, "2026-09", "2026-11") == ["2026-11"]
    assert p.counted_months(p.Measure.ALERTS, p.Dimension.PERIOD, None, "2026-09", "2026-11") == []
    assert "2026-11 月末" in p.note(p.Measure.REGISTERED, p.Dimension.TOWNSHIP, None, "2026-09", "2026-11")
    assert "各月末" in p.note(p.Measure.REGISTERED, p.Dimension.TOWNSHIP, p.Dimension.PERIOD, "2026-09", "2026-11")


def test_a_registered_total_over_months_is_the_last_months_count_not_their_sum():
    by_columns = [  # townships × months as the aggregate sums them: the totals over months are sums of stocks
        (HOME, "2026-10", 3), (HOME, "2026-11", 4), (NEIGHBOUR, "2026-10", 2),
        (HOME, None, 7), (NEIGHBOUR, None, 2), (None, "2026-10", 5), (None, "2026-11", 4), (None, None, 11)]
    assert p.at_month_end(by_columns, p.Dimension.TOWNSHIP, p.Dimension.PERIOD, "2026-11") == [
        (HOME, "2026-10", 3), (HOME, "2026-11", 4), (NEIGHBOUR, "2026-10", 2),
        (HOME, None, 4), (NEIGHBOUR, None, None), (None, "2026-10", 5), (None, "2026-11", 4), (None, None, 4)]
    by_rows = [("2026-10", "C", 3), ("2026-11", "C", 4), ("2026-11", "G", 1),
               ("2026-10", None, 3), ("2026-11", None, 5), (None, "C", 7), (None, "G", 1), (None, None, 8)]
    assert p.at_month_end(by_rows, p.Dimension.PERIOD, p.Dimension.INDUSTRY, "2026-11")[-3:] == [
        (None, "C", 4), (None, "G", 1), (None, None, 5)]
    alone = [("2026-10", None, 3), ("2026-11", None, 5), (None, None, 8)]
    assert p.at_month_end(alone, p.Dimension.PERIOD, None, "2026-11")[-1] == (None, None, 5)
    unchanged = [(HOME, None, 3), (None, None, 3)]  # one month's end: every total is a sum
    assert p.at_month_end(unchanged, p.Dimension.TOWNSHIP, None, "2026-11") == unchanged


def test_the_cell_count_is_known_before_the_query_from_the_area_and_months():
    assert p.cell_count(p.Dimension.TOWNSHIP, p.Dimension.PERIOD, "", "2024-01", "2026-12", BANDS) > p.MAX_CELLS
    assert p.cell_count(p.Dimension.COUNTY, None, "", "2026-01", "2026-12", BANDS) == 5
    assert p.cell_count(p.Dimension.SIZE_BAND, p.Dimension.PERIOD, HOME, "2026-01", "2026-12", BANDS) == 4 * 12


def test_analytics_refuses_to_start_with_a_broken_band_file(tmp_path, monkeypatch):
    from services.analytics import app

    broken = tmp_path / "size_bands.csv"
    broken.write_text("code,name,lower_wan\nmicro,小,0\nsmall,中,100\nmedium,较大,50\n", encoding="utf-8")
    monkeypatch.setenv("BIZPULSE_SIZE_BANDS", str(broken))
    with pytest.raises(SizeBandsError, match=r"size_bands.csv:4: lower_wan: 下限 50 应大于上一档的下限 100"):
        app.build()
