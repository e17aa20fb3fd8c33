"""The analytics dashboard in a real headless browser, over records posted to ingest as departments
do: the city leader at a desk sees the map, the ranking and the tables, and drills from a township's
figure to the entity list and an entity's panorama; the county supervisor reads 产业运行监控 and
用电趋势 and drills from a 门类 to the panorama; a township officer on a phone reads the pages of
his own township and cannot open another township's entity or figures."""

import uuid

import pytest
from playwright.async_api import expect

from deploy.local.credentials import DEMO_PASSWORD
from tests.integration.browser import OfflinePage
from tests.integration.harness import Api, eventually, new_uscc, registered

pytestmark = pytest.mark.integration

HOME, NEIGHBOUR = "445202001", "445202002"  # 榕华街道 (zhangwei), 新兴街道 (wangfang); chenjing: 榕城区; zhaolei: the city
BEFORE, MONTH = "2026-10", "2026-11"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def _entity(township: str, industry: str, kind: str) -> dict:
    return {"uscc": new_uscc(township[:6]), "name": f"揭阳{uuid.uuid4().hex[:4]}{kind}有限公司",
            "township_code": township, "industry_code": industry}


def _power(entity: dict, period: str, kwh: float) -> dict:
    return {"power_account": f"P{entity['uscc'][-10:]}", "uscc": entity["uscc"], "account_name": entity["name"],
            "township_code": entity["township_code"], "period": period, "kwh": kwh}


def _tax(entity: dict, period: str, amount: str) -> dict:
    return {"taxpayer_id": entity["uscc"], "uscc": entity["uscc"], "taxpayer_name": entity["name"],
            "township_code": entity["township_code"], "period": period, "amount": amount}


async def _submit(api, department: str, kind: str, records: list) -> None:
    reply = await api.submit(department, kind, records)
    assert reply.status_code == 200 and not reply.json()["rejected"], reply.text


async def _person(browser, base: str, username: str, **context) -> OfflinePage:
    page = await OfflinePage.open(await browser.new_context(locale="zh-CN", **context))
    await page.log_in(base, username, DEMO_PASSWORD)
    return page


async def _fits_the_screen(page) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


async def _drawn(page, chart: str) -> None:
    await expect(page.locator(f"#{chart} canvas").first).to_be_visible()


@pytest.fixture(scope="module")
async def city(platform):
    """Two entities of 榕华街道 and one of 新兴街道, with power and tax for October and November (once
    for the module: the pages' counts are of these)."""
    api = Api(platform)
    try:
        return await _post_city(api, platform)
    finally:
        await api.client.aclose()


async def _post_city(api, platform):
    plant, shop = _entity(HOME, "3311", "五金制品"), _entity(HOME, "5212", "百货商行")
    beside = _entity(NEIGHBOUR, "3311", "机械制造")
    await _submit(api, "market_regulation", "registration", [plant, shop, beside])
    await registered(platform, plant["uscc"], shop["uscc"], beside["uscc"])
    await _submit(api, "tax", "tax_payment", [
        _tax(plant, BEFORE, "2000.00"), _tax(plant, MONTH, "2600.00"), _tax(shop, MONTH, "300.00"), _tax(beside, MONTH, "900.00")])
    await _submit(api, "power_supply", "power_usage", [
        _power(plant, BEFORE, 40000.0), _power(plant, MONTH, 52000.0), _power(shop, MONTH, 3000.0),
        _power(beside, BEFORE, 9000.0), _power(beside, MONTH, 8000.0)])

    async def arrived():
        reply = await api.as_supervisor("analytics", "/v1/entities", params={"period": MONTH, "area": "445202"})
        rows = {r["uscc"]: r for r in reply.json()}
        return all(e["uscc"] in rows and rows[e["uscc"]]["kwh"] and rows[e["uscc"]]["tax"] for e in (plant, shop, beside))

    await eventually(arrived, what="November's figures of the three entities")
    return plant, shop, beside


async def test_the_panorama_is_scoped_json_too(api, city):
    plant, _, beside = city
    mine = await api.as_township(HOME, "GET", "analytics", f"/v1/entities/{plant['uscc']}")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["registration"]["name"], body["registration"]["industry"], body["registration"]["status_zh"]) == (
        plant["name"], "C", "存续")
    assert [(m["period"], m["kwh"], m["tax"]) for m in body["months"]] == [(BEFORE, 40000.0, 2000.0), (MONTH, 52000.0, 2600.0)]
    assert {(r["kind"], r["period"], r["link"], r["value"]) for r in body["records"]} >= {
        ("power_usage", MONTH, "linked", 52000.0), ("tax_payment", MONTH, "linked", 2600.0)}
    theirs = await api.as_township(HOME, "GET", "analytics", f"/v1/entities/{beside['uscc']}")
    assert theirs.status_code == 404 and theirs.json()["detail"]["code"] == "entity_not_found"
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/entities/not-a-code")).status_code == 422
    assert (await api.as_supervisor("analytics", f"/v1/entities/{beside['uscc']}")).status_code == 200


async def test_a_leader_drills_from_the_map_page_to_an_entity(platform, browser, city):
    plant, _, _ = city
    base = platform.url("analytics")
    leader = await _person(browser, base, "zhaolei", **DESKTOP)
    page = leader.page
    assert page.url.endswith("/overview")  # the dashboard is home after logging in
    await expect(page.get_by_role("heading", name="区域概况 · 揭阳市")).to_be_visible()
    await _drawn(page, "map-chart")
    await _drawn(page, "rank-chart")
    await expect(page.locator("#map-legend li").first).to_be_visible()
    await expect(page.locator("#divisions tbody tr")).to_have_count(5)
    row = page.locator(f'#townships tr[data-township="{HOME}"]')
    await expect(row.locator('td[data-label="登记主体"]')).not_to_have_text("0")
    await leader.photograph("dashboard-overview-desktop")

    await page.goto(f"{base}/overview?measure=unmatched_share&area=445202")
    await expect(page.get_by_role("heading", name="区域概况 · 榕城区")).to_be_visible()
    await _drawn(page, "map-chart")
    await row.locator('td[data-label="登记主体"] a').click()  # the drill: the township's entity list
    await expect(page.get_by_role("heading", name=f"企业名录 · 榕城区榕华街道 · {MONTH}")).to_be_visible()
    await page.get_by_role("link", name=plant["name"]).click()
    await expect(page.get_by_role("heading", name=plant["name"])).to_be_visible()
    await _drawn(page, "entity-chart")
    await expect(page.locator("#records")).to_contain_text("月度用电")
    await leader.photograph("dashboard-entity-desktop")
    assert leader.blocked == [] and leader.errors == []
    await page.context.close()


async def test_a_supervisor_reads_industries_and_the_power_trend(platform, browser, city):
    plant, _, beside = city
    base = platform.url("analytics")
    supervisor = await _person(browser, base, "chenjing", **DESKTOP)
    page = supervisor.page
    await page.goto(f"{base}/industries?period={MONTH}")
    manufacturing = page.locator('#industries tr[data-industry="C"]')
    await expect(manufacturing).to_contain_text("制造业")
    await expect(manufacturing.locator('td[data-label="纳税（元）"]')).to_contain_text("3,500.00")  # 2,600 + 900
    await _drawn(page, "industries-chart")
    await expect(page.locator("#movers-kwh")).to_contain_text(plant["name"])
    await supervisor.photograph("dashboard-industries-desktop")
    await page.select_option("select[name=basis]", "reported")
    await page.get_by_role("button", name="查看").click()
    await expect(page.locator("select[name=basis]")).to_have_value("reported")
    await manufacturing.locator('td[data-label="门类"] a').click()
    await expect(page.locator("#entities tbody tr")).to_have_count(2)  # both 制造业 entities of 榕城区
    await page.get_by_role("link", name=beside["name"]).click()
    await expect(page.get_by_role("heading", name=beside["name"])).to_be_visible()
    await _drawn(page, "entity-chart")

    await page.goto(f"{base}/power-trend?from=2026-01&to={MONTH}")
    await _drawn(page, "trend-chart")
    await expect(page.locator(f'#series tr[data-key="{HOME}"]')).to_contain_text("55,000")
    await supervisor.photograph("dashboard-power-trend-desktop")
    assert supervisor.blocked == [] and supervisor.errors == []
    await page.context.close()


async def test_a_township_officer_on_a_phone_sees_only_his_township(platform, browser, city):
    plant, shop, beside = city
    base = platform.url("analytics")
    officer = await _person(browser, base, "zhangwei", **PHONE)
    page = officer.page
    await expect(page.get_by_role("heading", name="区域概况 · 榕城区榕华街道")).to_be_visible()
    await expect(page.locator("#townships tbody tr")).to_have_count(1)
    await _drawn(page, "map-chart")
    await _drawn(page, "rank-chart")
    await _fits_the_screen(page)
    await officer.photograph("dashboard-overview-phone")

    await page.goto(f"{base}/industries?period={MONTH}")
    await expect(page.locator('#industries tr[data-industry="C"] td[data-label="纳税（元）"]')).to_contain_text("2,600.00")
    await _drawn(page, "industries-chart")
    await _fits_the_screen(page)
    await officer.photograph("dashboard-industries-phone")

    await page.goto(f"{base}/power-trend?from=2026-01&to={MONTH}")
    await _drawn(page, "trend-chart")
    await expect(page.locator('#series tr[data-key="C"]')).to_contain_text("52,000")
    await _fits_the_screen(page)
    await officer.photograph("dashboard-power-trend-phone")

    await page.goto(f"{base}/entities?period={MONTH}")
    await expect(page.locator("#entities tbody tr")).to_have_count(2)
    await expect(page.locator(f'#entities tr[data-uscc="{beside["uscc"]}"]')).to_have_count(0)
    await _fits_the_screen(page)
    await officer.photograph("dashboard-entities-phone")
    await page.get_by_role("link", name=plant["name"]).click()
    await expect(page.get_by_role("heading", name=plant["name"])).to_be_visible()
    await _drawn(page, "entity-chart")
    await _fits_the_screen(page)
    await officer.photograph("dashboard-entity-phone")

    # another township's entity and figures: as if they did not exist
    answer = await page.goto(f"{base}/entities/{beside['uscc']}")
    assert answer.status == 404
    for path in (f"/entities?period={MONTH}&area={NEIGHBOUR}", f"/industries?period={MONTH}&area={NEIGHBOUR}",
                 f"/power-trend?area={NEIGHBOUR}", f"/overview?area={NEIGHBOUR}", f"/industries?area=445202"):
        answer = await page.goto(base + path)
        assert answer.status == 404, path
    assert officer.blocked == [] and officer.errors == []
    await page.context.close()
