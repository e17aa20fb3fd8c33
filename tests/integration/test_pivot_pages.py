"""企业信息多维分析 (#4) over records posted to ingest as departments do: the pivot counts them by
township, 规模档, 主体类型 and month; every cell's entity list is exactly the entities it counts; the
workbook and the CSV carry the pivot's numbers; a township reads its own township only (another's
pivot and exports are 404); a misspelt filter is refused. In a real browser: the county supervisor
at a desk drills from a cell of the chart's table to its entities, the township officer reads it on a
phone without the page scrolling sideways (the table scrolls in its own box)."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from playwright.async_api import expect

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.analytics.domain.size_bands import DEFAULT_SIZE_BANDS, load_size_bands, parse_size_bands
from services.analytics.storage import repository
from shared import uscc as codes
from tests.integration.harness import Api, eventually, new_uscc, power_row, raise_alert, registered, tax_row
from tests.integration.test_dashboard_pages import DESKTOP, HOME, NEIGHBOUR, PHONE, _done, _drawn, _entity, _fits_the_screen, _person

pytestmark = pytest.mark.integration

BEFORE, MONTH = "2025-08", "2025-09"  # months no other test posts figures for: the counts are these entities'
ALERTED = "2025-06"  # the month of this module's alert (its entity's figures stay out of the months above)
ONLY_ALERTED = {"from": ALERTED, "to": ALERTED}
COUNTY = HOME[:6]


def _of_type(township: str, industry: str, category: str, kind: str = "商行") -> dict:
    """An entity of the USCC category 9`category`: 2 个体工商户, 3 农民专业合作社."""
    code = new_uscc(township[:6])
    return {**_entity(township, industry, kind), "uscc": codes.build("9", category, code[2:8], code[8:16])}


@pytest.fixture(scope="module")
async def city(platform):
    """In 榕华街道: a plant (企业, 注册资本 800 万元 → 500万至5000万元, 制造业) with power and tax in
    both months, a shop (个体工商户, 50 万元, 批发和零售业) with tax in September, a workshop (企业,
    no capital declared, 制造业) with power in August only; in 新兴街道 a mill (企业, 2 亿元) in September."""
    api = Api(platform)
    try:
        plant = {**_entity(HOME, "3311", "五金制品"), "registered_capital": "800"}
        shop = {**_of_type(HOME, "5212", "2"), "registered_capital": "50"}
        workshop = _entity(HOME, "3311", "加工坊")
        mill = {**_entity(NEIGHBOUR, "3311", "机械制造"), "registered_capital": "20000"}
        await api.submit_all("market_regulation", "registration", [plant, shop, workshop, mill])
        await registered(platform, plant["uscc"], shop["uscc"], workshop["uscc"], mill["uscc"])
        await api.submit_all("tax", "tax_payment", [
            tax_row(plant, BEFORE, "1000.00"), tax_row(plant, MONTH, "1500.00"), tax_row(shop, MONTH, "200.00"),
            tax_row(mill, MONTH, "900.00")])
        await api.submit_all("power_supply", "power_usage", [
            power_row(plant, BEFORE, 30000.0), power_row(plant, MONTH, 36000.0), power_row(workshop, BEFORE, 4000.0),
            power_row(mill, MONTH, 8000.0)])

        async def arrived():
            reply = await api.as_supervisor("analytics", "/v1/pivot", params={
                "rows": "township", "measure": "tax", "from": BEFORE, "to": MONTH, "area": COUNTY})
            assert reply.status_code == 200, reply.text
            return reply.json()["total"] == 3600.0 and reply.json()

        await eventually(arrived, what="the four entities' figures in the pivot")
        return {"plant": plant, "shop": shop, "workshop": workshop, "mill": mill}
    finally:
        await api.client.aclose()


async def _pivot(api, **params) -> dict:
    reply = await api.as_supervisor("analytics", "/v1/pivot", params={"from": BEFORE, "to": MONTH, "area": COUNTY, **params})
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _alerts(api, url: str) -> list[dict]:
    """The alerts an alert list's address lists (all of them: the largest page)."""
    reply = await api.as_supervisor("analytics", f"{url}&limit=500")
    assert reply.status_code == 200, reply.text
    return reply.json()


async def _listed(api, url: str) -> set[str]:
    """The entities an entity_url lists (the API's own list)."""
    reply = await api.as_supervisor("analytics", url)
    assert reply.status_code == 200, reply.text
    return {r["uscc"] for r in reply.json()}


async def test_power_by_township_and_month_is_summed_restated_and_as_reported(api, city):
    """By the rollup's own dimensions (乡镇 × 月份, 行业门类) the sums come from area_months: the same
    figures, totals and empty cells as any other pivot."""
    found = await _pivot(api, rows="township", columns="period", measure="kwh")
    assert [r["key"] for r in found["rows"]] == [HOME, NEIGHBOUR]
    assert [[c["value"] for c in r["cells"]] for r in found["rows"]] == [[34000.0, 36000.0], [None, 8000.0]]
    assert ([r["total"] for r in found["rows"]], [c["total"] for c in found["columns"]], found["total"]) == (
        [70000.0, 8000.0], [34000.0, 44000.0], 78000.0)
    shops = await _pivot(api, rows="industry", measure="tax", industry="F")
    assert ([(r["key"], r["total"]) for r in shops["rows"]], shops["total"]) == ([("F", 200.0)], 200.0)
    # sent long after 2025-09's month-end cutoff: as reported there was nothing (a row, no figure)
    reported = await _pivot(api, rows="industry", measure="tax", industry="F", basis="reported")
    assert ([(r["key"], r["total"]) for r in reported["rows"]], reported["total"]) == ([("F", None)], None)
    unmetered = await _pivot(api, rows="township", measure="kwh", industry="F")  # the shop pays tax, uses no metered power
    assert ([(r["key"], r["total"]) for r in unmetered["rows"]], unmetered["total"]) == ([(HOME, None)], None)


async def test_imported_records_are_counted_by_township_and_size_band_and_each_cell_lists_its_entities(api, city):
    plant, shop, workshop, mill = (city[k]["uscc"] for k in ("plant", "shop", "workshop", "mill"))
    found = await _pivot(api, rows="township", columns="size_band")
    assert [(r["key"], r["label"]) for r in found["rows"]] == [(HOME, "榕华街道"), (NEIGHBOUR, "新兴街道")]
    assert [(c["key"], c["label"]) for c in found["columns"]] == [
        ("micro", "100万元以下"), ("medium", "500万至5000万元"), ("huge", "1亿元及以上"), ("undeclared", "未申报")]
    assert [[c["value"] for c in r["cells"]] for r in found["rows"]] == [[1, 1, None, 1], [None, None, 1, None]]
    assert ([r["total"] for r in found["rows"]], [c["total"] for c in found["columns"]], found["total"]) == ([3, 1], [1, 1, 1, 1], 4)
    expected = {(HOME, "micro"): {shop}, (HOME, "medium"): {plant}, (HOME, "undeclared"): {workshop}, (NEIGHBOUR, "huge"): {mill}}
    for r in found["rows"]:
        for c, cell in zip(found["columns"], r["cells"], strict=True):
            assert await _listed(api, cell["entities_url"]) == expected.get((r["key"], c["key"]), set()), cell
        assert len(await _listed(api, r["entities_url"])) == r["total"]
    for c in found["columns"]:
        assert len(await _listed(api, c["entities_url"])) == c["total"]
    assert await _listed(api, found["entities_url"]) == {plant, shop, workshop, mill}
    only_rows = await _pivot(api, rows="township")  # no columns: each entity once in its row and once in all
    assert ([(r["key"], r["total"]) for r in only_rows["rows"]], only_rows["total"]) == ([(HOME, 3), (NEIGHBOUR, 1)], 4)
    # by month: a month's cells and total count rows (an entity has one a month), a row spanning both months
    # and the grand total count the plant, there in both, once
    monthly = await _pivot(api, rows="township", columns="period")
    assert ([[c["value"] for c in r["cells"]] for r in monthly["rows"]], [r["total"] for r in monthly["rows"]],
            [c["total"] for c in monthly["columns"]], monthly["total"]) == ([[2, 2], [None, 1]], [3, 1], [2, 3], 4)
    months = await _pivot(api, rows="period")
    assert ([(r["key"], r["total"]) for r in months["rows"]], months["total"]) == ([(BEFORE, 2), (MONTH, 3)], 4)

    by_month = await _pivot(api, rows="entity_type", columns="period", measure="kwh")
    assert [(r["key"], r["label"], [c["value"] for c in r["cells"]], r["total"]) for r in by_month["rows"]] == [
        ("91", "企业", [34000.0, 44000.0], 78000.0), ("92", "个体工商户", [None, None], None)]  # the shop: tax, no power
    row = by_month["rows"][0]
    august = parse_qs(urlsplit(row["cells"][0]["entities_url"]).query)
    assert (august["period"], august["entity_type"]) == ([BEFORE], ["91"]) and "to" not in august
    assert await _listed(api, row["cells"][0]["entities_url"]) == {plant, workshop}
    people = await _pivot(api, rows="industry", entity_type="92", measure="tax")
    assert [(r["label"], r["total"]) for r in people["rows"]] == [("F 批发和零售业", 200.0)]


async def test_power_by_size_band_and_type_is_summed_and_a_new_band_file_bands_every_month_again(api, city, platform):
    """By 规模档 and 主体类型 the sums come from kind_months (kept by the same deltas as area_months).
    A city that changes its band file: at the service's next start (repository.apply_size_bands, run
    here as the start runs it) every entity-month is banded again and the pivot sums the new bands."""
    found = await _pivot(api, rows="size_band", columns="entity_type", measure="kwh")
    assert [c["key"] for c in found["columns"]] == ["91", "92"] and found["total"] == 78000.0
    assert {r["key"]: [c["value"] for c in r["cells"]] for r in found["rows"]} == {  # the plant, the mill, the workshop (企业)
        "micro": [None, None], "medium": [66000.0, None], "huge": [8000.0, None], "undeclared": [4000.0, None]}  # the shop: no power
    narrowed = await _pivot(api, rows="township", measure="tax", size_band="medium", entity_type="91")
    assert [(r["key"], r["total"]) for r in narrowed["rows"]] == [(HOME, 2500.0)]

    engine = create_async_engine(platform.database_url)
    sessions = async_sessionmaker(engine)

    async def apply(bands) -> bool:
        async with sessions() as session, session.begin():
            applied = await repository.apply_size_bands(session, bands)
            await session.execute(sa.text("SELECT nextval('analytics.read_version_figures')"))  # as the start does: cached answers out of date
            return applied

    try:
        assert not await apply(load_size_bands(DEFAULT_SIZE_BANDS))  # the file the service started with: nothing to do
        assert await apply(parse_size_bands("code,name,lower_wan\nsmall,1000万元以下,0\nbig,1000万元及以上,1000\n", "bands.csv"))
        rebanded = await _pivot(api, rows="size_band", measure="kwh")
        assert {r["key"]: r["total"] for r in rebanded["rows"]} == {"small": 66000.0, "big": 8000.0, "undeclared": 4000.0}
        assert [r["key"] for r in rebanded["rows"]] == ["small", "undeclared", "big"]  # a band the service's file does not name: last
    finally:
        assert await apply(load_size_bands(DEFAULT_SIZE_BANDS))
        await engine.dispose()
    again = await _pivot(api, rows="size_band", measure="kwh")
    assert {r["key"]: r["total"] for r in again["rows"]} == {"micro": None, "medium": 66000.0, "huge": 8000.0, "undeclared": 4000.0}


def _cooperative(township: str, established_on: str, capital: str | None) -> dict:
    """A 农民专业合作社 in 农业 (门类 A): no other test registers one, so a pivot filtered to them counts these alone."""
    entity = {**_of_type(township, "0111", "3", "种植专业合作社"), "established_on": established_on, "event_date": established_on}
    return {**entity, "registered_capital": capital} if capital else entity


COOPERATIVES = {"entity_type": "93", "industry": "A"}


@pytest.fixture(scope="module")
async def registry(platform):
    """农民专业合作社 of 榕华街道: one founded long before (50 万元), one founded in September (800 万元),
    one deregistered on 15 September (50 万元); one of 新兴街道 founded this year (no capital)."""
    api = Api(platform)
    try:
        found = {"old": _cooperative(HOME, "2024-05-01", "50"), "new": _cooperative(HOME, f"{MONTH}-10", "800"),
                 "gone": _cooperative(HOME, "2024-01-01", "50"), "beside": _cooperative(NEIGHBOUR, "2025-01-01", None)}
        await api.submit_all("market_regulation", "registration", list(found.values()))
        await api.submit_all("market_regulation", "registration", [
            {**found["gone"], "status": "注销", "event": "注销", "event_date": f"{MONTH}-15"}])

        async def ended():
            reply = await api.as_supervisor("analytics", "/v1/registrations", params={"event": "ended", "month": MONTH, **COOPERATIVES})
            return {r["uscc"] for r in reply.json()} == {found["gone"]["uscc"]}

        await eventually(ended, what="the cooperatives' registrations in analytics")
        return {k: e["uscc"] for k, e in found.items()}
    finally:
        await api.client.aclose()


async def test_registered_entities_are_counted_at_each_months_end_and_each_cell_lists_its_registrations(api, registry):
    old, new, gone, beside = (registry[k] for k in ("old", "new", "gone", "beside"))
    found = await _pivot(api, rows="township", columns="period", measure="registered", **COOPERATIVES)
    assert (found["measure_zh"], "各月末" in found["note_zh"]) == ("登记在业主体数", True)
    assert [(r["key"], [c["value"] for c in r["cells"]], r["total"]) for r in found["rows"]] == [
        (HOME, [2, 2], 2), (NEIGHBOUR, [1, 1], 1)]  # a total across months: September's end, not the sum
    assert ([c["total"] for c in found["columns"]], found["total"]) == ([3, 3], 3)
    home = found["rows"][0]
    assert await _listed(api, home["cells"][0]["entities_url"]) == {old, gone}  # August's end: the deregistered one still
    assert await _listed(api, home["cells"][1]["entities_url"]) == {old, new}
    assert await _listed(api, home["entities_url"]) == {old, new}
    assert await _listed(api, found["columns"][0]["entities_url"]) == {old, gone, beside}
    assert await _listed(api, found["entities_url"]) == {old, new, beside}
    assert parse_qs(urlsplit(home["cells"][0]["entities_url"]).query) == {
        "event": ["active"], "month": [BEFORE], "area": [HOME], "industry": ["A"], "entity_type": ["93"]}

    bands = await _pivot(api, rows="size_band", measure="registered", **COOPERATIVES)  # no 月份: at the range's last month's end
    assert f"{MONTH} 月末" in bands["note_zh"]
    assert [(r["key"], r["total"]) for r in bands["rows"]] == [("micro", 1), ("medium", 1), ("undeclared", 1)]
    assert [await _listed(api, r["entities_url"]) for r in bands["rows"]] == [{old}, {new}, {beside}]  # 登记名录's size_band


@pytest.fixture(scope="module")
async def alerted(platform):
    """A 用电无税 alert of ALERTED for a new 企业 of 榕华街道 in 制造业 without a declared capital,
    once the pivot counts it: the entity's name."""
    api = Api(platform)
    try:
        _, name = await raise_alert(api, platform, HOME, ALERTED)

        async def counted():
            found = await _pivot(api, rows="township", measure="alerts", **ONLY_ALERTED)
            return any(a["entity_name"] == name for a in await _alerts(api, found["entities_url"]))

        await eventually(counted, what="the alert in the pivot")
        return name
    finally:
        await api.client.aclose()


async def test_alerts_are_counted_in_their_month_and_each_cell_lists_its_alerts(api, alerted):
    found = await _pivot(api, rows="township", columns="size_band", measure="alerts", **ONLY_ALERTED)
    every = await _alerts(api, found["entities_url"])
    raised = next(a for a in every if a["entity_name"] == alerted)
    assert len(every) == found["total"] and all(a["state"] != "withdrawn" and a["month"] == ALERTED for a in every)
    for r in found["rows"]:  # each cell lists exactly the alerts it counts: of its township and band, together all of them
        assert r["total"] == sum(c["value"] or 0 for c in r["cells"])  # alerts add up
        for cell in r["cells"]:
            listed = await _alerts(api, cell["entities_url"])
            assert len(listed) == (cell["value"] or 0) and {a["township_code"] for a in listed} <= {r["key"]}, cell
    home = next(r for r in found["rows"] if r["key"] == HOME)
    undeclared = home["cells"][[c["key"] for c in found["columns"]].index("undeclared")]
    assert raised["alert_id"] in {a["alert_id"] for a in await _alerts(api, undeclared["entities_url"])}
    assert parse_qs(urlsplit(undeclared["entities_url"]).query) == {
        "from": [ALERTED], "to": [ALERTED], "area": [HOME], "size_band": ["undeclared"]}
    # by 门类 and type too (the alert's entity: 企业, 制造业), through /v1/alerts' industry and entity_type
    narrowed = await _pivot(api, rows="industry", measure="alerts", entity_type="91", **ONLY_ALERTED)
    manufacturing = next(r for r in narrowed["rows"] if r["key"] == "C")
    listed = await _alerts(api, manufacturing["entities_url"])
    assert len(listed) == manufacturing["total"] and raised["alert_id"] in {a["alert_id"] for a in listed}


async def test_the_exports_carry_the_registered_and_alert_measures(api, registry):
    params = {"rows": "township", "measure": "registered", "from": BEFORE, "to": MONTH, "area": COUNTY, **COOPERATIVES}
    sheet = load_workbook(io.BytesIO((await api.as_supervisor("analytics", "/v1/pivot.xlsx", params=params)).content)).active
    assert f"登记在业主体数（{MONTH} 月末）" in sheet["A1"].value
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=3)] == [["榕华街道", 2], ["新兴街道", 1], ["合计", 3]]
    text = await api.as_supervisor("analytics", "/v1/pivot.csv", params={**params, "measure": "alerts"})
    title, headers, *_ = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert "预警数" in title[0] and headers[0] == "乡镇（街道）"


async def test_a_supervisor_drills_from_registered_to_registrations_and_from_alerts_to_alerts(platform, browser, registry, alerted):
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
    await page.goto(f"{base}/pivot?rows=township&columns=period&measure=registered&from={BEFORE}&to={MONTH}&entity_type=93&industry=A")
    await expect(page.locator("select[name=measure]")).to_have_value("registered")
    await expect(page.locator("#pivot-note")).to_contain_text("各月末登记存续")
    await _drawn(page, "pivot-chart")
    await expect(page.locator(f'#pivot tr[data-key="{HOME}"] td[data-column="total"]')).to_have_text("2")
    await supervisor.photograph("dashboard-pivot-registered-desktop")
    await page.locator(f'#pivot tr[data-key="{HOME}"] td[data-column="{BEFORE}"] a').click()
    await expect(page.get_by_role("heading", name=f"登记名录 · 榕城区榕华街道 · {BEFORE} 月末存续")).to_be_visible()
    await expect(page.locator("#registrations tbody tr")).to_have_count(2)
    for key in ("old", "gone"):
        await expect(page.locator(f'#registrations tr[data-uscc="{registry[key]}"]')).to_be_visible()
    await page.goto(f"{base}/pivot?rows=township&measure=alerts&from={ALERTED}&to={ALERTED}")
    await expect(page.locator("#pivot-note")).to_contain_text("不含已撤销")
    total = await page.locator("#pivot-totals td").first.inner_text()
    await page.locator("#pivot-totals td a").first.click()
    await expect(page.get_by_role("heading", name="预警清单 · 榕城区")).to_be_visible()
    await expect(page.locator("#alerts tbody tr")).to_have_count(int(total))
    await _done(supervisor)


async def test_the_workbook_and_the_csv_carry_the_pivots_numbers(api, city):
    params = {"rows": "township", "columns": "period", "measure": "tax", "from": BEFORE, "to": MONTH, "area": COUNTY}
    found = (await api.as_supervisor("analytics", "/v1/pivot", params=params)).json()
    lines = [[r["label"], *(c["value"] for c in r["cells"]), r["total"]] for r in found["rows"]]
    lines.append(["合计", *(c["total"] for c in found["columns"]), found["total"]])

    xlsx = await api.as_supervisor("analytics", "/v1/pivot.xlsx", params=params)
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert "榕城区" in sheet["A1"].value and "纳税额（元）" in sheet["A1"].value and f"{BEFORE} 至 {MONTH}" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == ["乡镇（街道）", BEFORE, MONTH, "合计"]
    assert sheet.freeze_panes == "A3"
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=3)] == lines
    assert sheet["D3"].number_format == "#,##0.00" and isinstance(sheet["D3"].value, int | float)

    text = await api.as_supervisor("analytics", "/v1/pivot.csv", params=params)
    assert text.status_code == 200 and text.content.startswith("\ufeff".encode())
    title, headers, *rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    assert "企业信息多维分析" in title[0] and headers == ["乡镇（街道）", BEFORE, MONTH, "合计"]
    assert [[r[0], *(float(v) if v else None for v in r[1:])] for r in rows] == lines


async def test_a_township_reads_only_its_own_township_and_misspelt_filters_are_refused(api, city):
    mine = await api.as_township(HOME, "GET", "analytics", "/v1/pivot", params={"rows": "township", "from": BEFORE, "to": MONTH})
    assert mine.status_code == 200 and [r["key"] for r in mine.json()["rows"]] == [HOME] and mine.json()["total"] == 3
    for path in ("/v1/pivot", "/v1/pivot.xlsx", "/v1/pivot.csv"):
        theirs = await api.as_township(HOME, "GET", "analytics", path, params={"rows": "township", "from": MONTH, "to": MONTH, "area": NEIGHBOUR})
        assert theirs.status_code == 404, path
    refusals = {
        "unknown_filter": {"rows": "township", "from": MONTH, "to": MONTH, "township": HOME},
        "unknown_entity_type": {"rows": "township", "from": MONTH, "to": MONTH, "entity_type": "99"},
        "unknown_size_band": {"rows": "township", "from": MONTH, "to": MONTH, "size_band": "giant"},
        "same_dimension": {"rows": "township", "columns": "township", "from": MONTH, "to": MONTH},
        "too_many_cells": {"rows": "township", "columns": "period", "from": "2023-10", "to": MONTH},
    }
    for code, params in refusals.items():
        reply = await api.as_supervisor("analytics", "/v1/pivot", params=params)
        assert reply.status_code == 422 and reply.json()["detail"]["code"] == code, (code, reply.text)
    assert "不支持的筛选条件：township" in (await api.as_supervisor("analytics", "/v1/pivot", params=refusals["unknown_filter"])).text
    listed = await api.as_supervisor("analytics", "/v1/entities", params={"period": MONTH, "size_band": "giant"})
    assert listed.status_code == 422


async def test_a_supervisor_drills_from_a_cell_and_a_township_officer_reads_it_on_a_phone(platform, browser, city):
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
    await page.goto(f"{base}/pivot?rows=township&columns=size_band&from={BEFORE}&to={MONTH}")
    await expect(page.get_by_role("heading", name=f"企业信息多维分析 · 榕城区 · {BEFORE} 至 {MONTH}")).to_be_visible()
    await _drawn(page, "pivot-chart")
    await expect(page.locator("#pivot-totals td[data-column=total]")).to_have_text("4")
    await supervisor.photograph("dashboard-pivot-desktop")
    await page.locator(f'#pivot tr[data-key="{HOME}"] td[data-column="medium"] a').click()
    await expect(page.get_by_role("heading", name=f"企业名录 · 榕城区榕华街道 · {BEFORE} 至 {MONTH}")).to_be_visible()
    await expect(page.locator("#entities tbody tr")).to_have_count(1)
    await expect(page.locator(f'#entities tr[data-uscc="{city["plant"]["uscc"]}"]')).to_contain_text("2,500.00")  # both months' tax
    await page.goto(f"{base}/pivot")  # the form's own defaults: the newest month, by township
    await page.select_option("select[name=columns]", "entity_type")
    await page.select_option("select[name=measure]", "kwh")
    await page.fill("input[name=from]", BEFORE)
    await page.fill("input[name=to]", MONTH)
    await page.get_by_role("button", name="查看").click()
    await expect(page).to_have_url(f"{base}/pivot?rows=township&columns=entity_type&measure=kwh&from={BEFORE}&to={MONTH}"
                                   "&area=&industry=&entity_type=&size_band=&basis=restated")
    await expect(page.locator(f'#pivot tr[data-key="{HOME}"] td[data-column="91"]')).to_have_text("70,000")
    await _done(supervisor)

    officer, page, base = await _person(browser, platform, "zhangwei", **PHONE)
    await page.goto(f"{base}/pivot?rows=industry&columns=period&measure=tax&from={BEFORE}&to={MONTH}")
    await expect(page.locator("#pivot tbody tr")).to_have_count(2)  # 制造业, 批发和零售业 of his township only
    await expect(page.locator('#pivot tr[data-key="C"] td[data-column="total"]')).to_have_text("2,500.00")
    await _drawn(page, "pivot-chart")
    await _fits_the_screen(page)
    await officer.photograph("dashboard-pivot-phone")
    answer = await page.goto(f"{base}/pivot?rows=township&area={NEIGHBOUR}")
    assert answer.status == 404
    await _done(officer)
