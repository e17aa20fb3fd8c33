"""The monthly read model over the real broker, database and services: registrations, power and tax
posted to ingest as the departments do appear in 产业运行监控, 用电趋势 and the entity list behind
them; a correction restates the month while the as-reported figure stays; a township reads only
its own township."""

from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest

from tests.integration.harness import eventually, new_uscc, power_row, registered, tax_row, townships_of

pytestmark = pytest.mark.integration

HOME, NEIGHBOUR = townships_of("445281")[12:14]
DIVISION = HOME[:6]
# today (the tests' clock) is after October's month-end cutoff (1 December) and before November's
LATE, OPEN = "2026-10", "2026-11"


def _entity(township: str, industry: str, name: str) -> dict:
    return {"uscc": new_uscc(DIVISION), "name": name, "township_code": township, "industry_code": industry}


async def test_figures_reach_the_analyses_restated_and_as_reported_within_scope(api, platform):
    plant = _entity(HOME, "3311", "普宁市恒盛五金制品有限公司")
    shop = _entity(HOME, "5212", "普宁市佳美百货商行有限公司")
    beside = _entity(NEIGHBOUR, "3311", "普宁市远航机械制造有限公司")
    await api.submit_all("market_regulation", "registration", [plant, shop, beside])
    await registered(platform, plant["uscc"], shop["uscc"], beside["uscc"])
    await api.submit_all("power_supply", "power_usage", [
        power_row(plant, OPEN, 1000.0), power_row(shop, OPEN, 500.0), power_row(beside, OPEN, 700.0), power_row(plant, LATE, 800.0)])
    await api.submit_all("tax", "tax_payment", [tax_row(plant, OPEN, "300.00")])

    async def listed(township: str, period: str, count: int, **params):
        reply = await api.as_township(township, "GET", "analytics", "/v1/entities", params={"period": period, **params})
        assert reply.status_code == 200, reply.text
        rows = {r["uscc"]: r for r in reply.json()}
        return rows if len(rows) >= count and all(r["kwh"] is not None for r in rows.values()) else None

    rows = await eventually(lambda: listed(HOME, OPEN, 2), what="November's figures in the entity list")
    assert set(rows) == {plant["uscc"], shop["uscc"]}  # the neighbour's entity is not ours to see
    mine = rows[plant["uscc"]]
    assert (mine["kwh"], mine["tax"], mine["kwh_reported"], mine["tax_reported"]) == (1000.0, 300.0, 1000.0, 300.0)
    assert (mine["industry"], mine["industry_code"], mine["township_code"], mine["restated"]) == ("C", "3311", HOME, False)
    # October's record arrived after October's month-end cutoff: it restates October, it was not reported
    october = (await eventually(lambda: listed(HOME, LATE, 1), what="October's late record"))[plant["uscc"]]
    assert (october["kwh"], october["kwh_reported"], october["restated"]) == (800.0, None, True)

    # the power company corrects November: the month is restated, the as-reported figure stays
    await api.submit_all("power_supply", "power_usage", [power_row(plant, OPEN, 1200.0)])

    async def corrected():
        rows = await listed(HOME, OPEN, 2)
        return rows if rows and rows[plant["uscc"]]["kwh"] == 1200.0 else None

    mine = (await eventually(corrected, what="the correction in the entity list"))[plant["uscc"]]
    assert (mine["kwh"], mine["kwh_reported"], mine["restated"]) == (1200.0, 1000.0, True)

    # 产业运行监控 for the township: per 门类, restated and as reported, drillable to the same entities
    industries = await api.as_township(HOME, "GET", "analytics", "/v1/industries", params={"period": OPEN})
    assert industries.status_code == 200, industries.text
    body = industries.json()
    assert body["area"] == HOME
    by_section = {r["industry"]: r for r in body["industries"]}
    assert (by_section["C"]["industry_name"], by_section["C"]["kwh"], by_section["C"]["tax"]) == ("制造业", 1200.0, 300.0)
    assert by_section["C"]["kwh_mom_pct"] == 50.0  # 800 in October, restated
    assert (by_section["F"]["kwh"], by_section["F"]["entities"]) == (500.0, 1)
    assert (by_section["C"]["kwh_share_pct"], by_section["C"]["tax_share_pct"]) == (70.6, 100.0)
    assert body["totals"]["kwh"] == 1700.0
    # the shop appeared (+500 from nothing), the plant grew by 400 from October's 800
    assert [(m["uscc"], m["delta"], m["change_pct"]) for m in body["movers_kwh"]] == [
        (shop["uscc"], 500.0, None), (plant["uscc"], 400.0, 50.0)]
    drill = urlsplit(by_section["C"]["entities_url"])
    assert drill.path == "/v1/entities" and parse_qs(drill.query) == {"period": [OPEN], "industry": ["C"]}
    drilled = await api.as_township(HOME, "GET", "analytics", by_section["C"]["entities_url"])
    assert [r["uscc"] for r in drilled.json()] == [plant["uscc"]]
    reported = await api.as_township(HOME, "GET", "analytics", "/v1/industries", params={"period": OPEN, "basis": "reported"})
    assert {r["industry"]: r["kwh"] for r in reported.json()["industries"]}["C"] == 1000.0

    # 用电趋势 for the county, by township: the supervisor sees both townships, each month drillable
    trend = await api.as_supervisor("analytics", "/v1/power-trend", params={
        "from": LATE, "to": OPEN, "group": "township", "area": DIVISION})
    assert trend.status_code == 200, trend.text
    series = {s["key"]: s for s in trend.json()["series"]}
    assert {HOME, NEIGHBOUR} <= set(series)
    home = {p["period"]: p for p in series[HOME]["points"]}
    assert (home[LATE]["kwh"], home[OPEN]["kwh"], home[OPEN]["entities"]) == (800.0, 1700.0, 2)
    assert parse_qs(urlsplit(home[OPEN]["entities_url"]).query) == {"area": [HOME], "period": [OPEN]}
    by_industry = await api.as_township(HOME, "GET", "analytics", "/v1/power-trend", params={
        "from": LATE, "to": OPEN, "group": "industry"})
    assert {s["key"] for s in by_industry.json()["series"]} == {"C", "F"}

    # scope by construction: the neighbour's township is not ours, in any analysis or list
    for path, params in [("/v1/entities", {"period": OPEN, "area": NEIGHBOUR}),
                         ("/v1/industries", {"period": OPEN, "area": NEIGHBOUR}),
                         ("/v1/power-trend", {"from": LATE, "to": OPEN, "area": NEIGHBOUR}),
                         ("/v1/industries", {"period": OPEN, "area": DIVISION})]:
        reply = await api.as_township(HOME, "GET", "analytics", path, params=params)
        assert reply.status_code == 404 and reply.json()["detail"]["code"] == "area_not_found", (path, params, reply.text)
    theirs = await api.as_township(NEIGHBOUR, "GET", "analytics", "/v1/entities", params={"period": OPEN})
    assert [r["uscc"] for r in theirs.json()] == [beside["uscc"]]
    city = await api.as_supervisor("analytics", "/v1/entities", params={"period": OPEN, "area": DIVISION, "industry": "C"})
    assert {plant["uscc"], beside["uscc"]} <= {r["uscc"] for r in city.json()}


async def test_unknown_filters_and_periods_are_refused_in_chinese(api):
    cases = [
        ("/v1/industries", {"period": "2026-13"}, "request_invalid"),
        ("/v1/industries", {"period": "2026-11", "industy": "C"}, "unknown_filter"),
        ("/v1/entities", {"period": "2026-11", "industry": "Z"}, "request_invalid"),
        ("/v1/entities", {"period": "2026-11", "area": "445299999"}, "unknown_area"),
        ("/v1/entities", {"period": "2026-11", "limit": "100000"}, "request_invalid"),
        ("/v1/power-trend", {"from": "2026-11", "to": "2026-01"}, "period_range_invalid"),
        ("/v1/power-trend", {"from": "2020-01", "to": "2026-01"}, "period_range_too_long"),
        ("/v1/power-trend", {"from": "2026-01", "to": "2026-11", "group": "county"}, "request_invalid"),
    ]
    for path, params, code in cases:
        reply = await api.as_supervisor("analytics", path, params=params)
        detail = reply.json()["detail"]
        assert (reply.status_code, detail["code"]) == (422, code), (path, params, reply.text)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in detail["message"]), detail


async def test_power_trend_compares_the_festival_month_with_last_years_festival_month(api, platform):
    """The Spring Festival fell in January 2025 and in February 2026: February 2026 is compared with
    January 2025 (同比（春节对齐）), per day, and the 用电景气 index counts who is below last year."""
    township = townships_of("445224")[9]
    slower = _entity(township, "3311", "惠来县恒泰五金制品有限公司")
    busier = _entity(township, "3311", "惠来县广达机械制造有限公司")
    newcomer = _entity(township, "3311", "惠来县新源塑料制品有限公司")
    await api.submit_all("market_regulation", "registration", [slower, busier, newcomer])
    await registered(platform, slower["uscc"], busier["uscc"], newcomer["uscc"])
    await api.submit_all("power_supply", "power_usage", [
        power_row(slower, "2025-01", 3100.0), power_row(slower, "2025-02", 2900.0), power_row(slower, "2026-02", 2240.0),
        power_row(busier, "2025-01", 310.0), power_row(busier, "2025-02", 280.0), power_row(busier, "2026-02", 560.0),
        power_row(newcomer, "2026-02", 1000.0)])

    async def trend():
        reply = await api.as_supervisor("analytics", "/v1/power-trend", params={
            "from": "2026-01", "to": "2026-02", "group": "industry", "area": township})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        series = {s["key"]: s for s in body["series"]}
        if "C" not in series or series["C"]["points"][-1]["entities"] < 3:
            return None
        return body, {p["period"]: p for p in series["C"]["points"]}

    body, points = await eventually(trend, what="February 2026's power in 用电趋势")
    february = points["2026-02"]
    assert (february["base_period"], february["kwh"], february["entities"]) == ("2025-01", 3800.0, 3)
    # calendar YoY against February 2025 (3,180) looks like growth; against last year's festival
    # month the township's use is measured fairly: per day 3800/28 against 3410/31
    assert february["kwh_yoy_pct"] == 19.5
    assert february["kwh_yoy_aligned_pct"] == 11.4
    assert (february["kwh_daily"], february["kwh_daily_yoy_pct"]) == (135.7, 23.4)
    # 用电景气: the slower plant uses 80 a day against 100, the busier 20 against 10; the newcomer has no base
    assert (february["entities_compared"], february["entities_below"], february["below_share_pct"]) == (2, 1, 50.0)
    assert points["2026-01"]["base_period"] == "2025-02" and points["2026-01"]["kwh"] is None
    # the area's index is the groups' months summed: here one 门类
    index = {p["period"]: p for p in body["index"]}
    assert (index["2026-02"]["entities_compared"], index["2026-02"]["below_share_pct"]) == (2, 50.0)
    assert body["area"] == township

    # last year's figures arriving after this year's: the newcomer's base month comes in late (10 a
    # day, below its 35.7 now), the busier plant's is corrected upwards (30 a day: now it is below)
    await api.submit_all("power_supply", "power_usage", [power_row(newcomer, "2025-01", 310.0), power_row(busier, "2025-01", 930.0)])

    async def rejudged():
        found = await trend()
        return found if found and found[1]["2026-02"]["entities_compared"] == 3 and found[1]["2026-02"]["entities_below"] == 2 else None

    _, points = await eventually(rejudged, what="February 2026 compared again with the late and corrected January 2025")
    assert points["2026-02"]["below_share_pct"] == 66.7


async def test_the_rollups_are_the_sums_of_what_they_count(api, platform):
    """area_months, kind_months and record_counts are kept by deltas; after imports, a correction and a
    registration that moves an entity to another township, 门类 and 规模档, every group equals what it sums."""
    township, elsewhere = townships_of("445224")[10:12]
    mover = {**_entity(township, "3311", "惠来县金帆五金制品有限公司"), "registered_capital": "80"}  # 100万元以下
    await api.submit_all("market_regulation", "registration", [mover])
    await registered(platform, mover["uscc"])
    await api.submit_all("power_supply", "power_usage", [power_row(mover, OPEN, 900.0), power_row(mover, LATE, 700.0)])
    await api.submit_all("tax", "tax_payment", [tax_row(mover, OPEN, "120.50")])
    await api.submit_all("power_supply", "power_usage", [power_row(mover, OPEN, 950.0)])  # a correction
    await api.submit_all("market_regulation", "registration", [  # a 变更: another township and 门类
        {**mover, "township_code": elsewhere, "industry_code": "5212", "registered_capital": "6000", "event": "变更"}])

    async def moved():
        reply = await api.as_supervisor("analytics", "/v1/entities", params={"period": OPEN, "area": elsewhere})
        rows = [r for r in reply.json() if r["uscc"] == mover["uscc"]]
        return rows if rows and rows[0]["kwh"] == 950.0 and rows[0]["industry"] == "F" else None

    await eventually(moved, what="the entity's months in its new township and 门类")
    conn = await asyncpg.connect(platform.database_url.replace("+asyncpg", "", 1))
    try:
        differences = await conn.fetch("""
            WITH truth AS (
                SELECT period, township_code, coalesce(industry_section, 'unknown') AS section,
                       count(*) FILTER (WHERE kwh IS NOT NULL OR tax IS NOT NULL) AS entities,
                       count(*) FILTER (WHERE kwh_reported IS NOT NULL OR tax_reported IS NOT NULL) AS entities_reported,
                       count(kwh) AS kwh_entities, count(tax) AS tax_entities,
                       count(*) FILTER (WHERE kwh IS NOT NULL AND base_daily_kwh IS NOT NULL) AS kwh_compared,
                       count(*) FILTER (WHERE kwh / analytics.days_in(period) < base_daily_kwh) AS kwh_below,
                       coalesce(sum(kwh::numeric), 0) AS kwh, coalesce(sum(tax::numeric), 0) AS tax,
                       coalesce(sum(kwh_reported::numeric), 0) AS kwh_reported
                FROM analytics.entity_months GROUP BY 1, 2, 3)
            SELECT * FROM truth t FULL JOIN analytics.area_months a USING (period, township_code, section)
            WHERE (t.entities, t.entities_reported, t.kwh_entities, t.tax_entities, t.kwh, t.tax, t.kwh_reported,
                   t.kwh_compared, t.kwh_below)
                  IS DISTINCT FROM (a.entities, a.entities_reported, a.kwh_entities, a.tax_entities, a.kwh, a.tax, a.kwh_reported,
                                    a.kwh_compared, a.kwh_below)
              AND NOT (t.period IS NULL AND a.entities = 0 AND a.entities_reported = 0)""")
        assert [dict(r) for r in differences] == []
        counted = await conn.fetch("""
            SELECT * FROM (SELECT township_code, kind, coalesce(period, '') AS period, match_rank, count(*) AS records
                           FROM analytics.records GROUP BY 1, 2, 3, 4) t
            FULL JOIN analytics.record_counts c USING (township_code, kind, period, match_rank)
            WHERE t.records IS DISTINCT FROM c.records AND NOT (t.records IS NULL AND c.records = 0)""")
        assert [dict(r) for r in counted] == []
        kinds = await conn.fetch("""
            WITH truth AS (
                SELECT m.period, m.township_code, coalesce(m.industry_section, 'unknown') AS section, e.entity_type,
                       CASE WHEN e.registered_capital IS NULL THEN 'undeclared' WHEN e.registered_capital >= 10000 THEN 'huge'
                            WHEN e.registered_capital >= 5000 THEN 'large' WHEN e.registered_capital >= 500 THEN 'medium'
                            WHEN e.registered_capital >= 100 THEN 'small' ELSE 'micro' END AS size_band,
                       count(*) FILTER (WHERE kwh IS NOT NULL OR tax IS NOT NULL) AS entities,
                       count(tax_reported) AS tax_entities_reported,
                       coalesce(sum(kwh::numeric), 0) AS kwh, coalesce(sum(tax_reported::numeric), 0) AS tax_reported
                FROM analytics.entity_months AS m JOIN analytics.entities AS e ON e.entity_key = m.uscc GROUP BY 1, 2, 3, 4, 5)
            SELECT * FROM truth t FULL JOIN analytics.kind_months k USING (period, township_code, section, entity_type, size_band)
            WHERE (t.entities, t.tax_entities_reported, t.kwh, t.tax_reported)
                  IS DISTINCT FROM (k.entities, k.tax_entities_reported, k.kwh, k.tax_reported)
              AND NOT (t.period IS NULL AND k.entities = 0 AND k.tax_entities_reported = 0 AND k.kwh = 0 AND k.tax_reported = 0)""")
        assert [dict(r) for r in kinds] == []  # the packaged band file's bands, from the registrations as they are now
        # the entity took its figures with it: its old groups hold nothing of it — a zero row where its figures
        # arrived before the 变更, none where the 变更 came first (topics are consumed in no order between them)
        moved_from = await conn.fetchrow(
            "SELECT * FROM analytics.kind_months WHERE period = $1 AND township_code = $2 AND section = 'C' AND size_band = 'micro'"
            " AND entity_type = '91'", OPEN, township)
        assert moved_from is None or (moved_from["entities"], moved_from["kwh"]) == (0, 0)
        left = await conn.fetchrow("SELECT * FROM analytics.area_months WHERE period = $1 AND township_code = $2 AND section = 'C'",
                                   OPEN, township)
        assert left is None or (left["entities"], left["kwh"]) == (0, 0)
    finally:
        await conn.close()
