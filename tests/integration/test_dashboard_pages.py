"""The analytics dashboard in a real headless browser, over records posted to ingest as departments
do: the city leader at a desk sees the map, the ranking and the tables, and drills from a township's
figure to the entity list and an entity's panorama; the county supervisor reads 产业运行监控 and
用电趋势 and drills from a 门类 to the panorama; a township officer on a phone reads the pages of
his own township and cannot open another township's entity or figures."""

import uuid

import pytest
from playwright.async_api import Page, expect

from deploy.local.credentials import DEMO_PASSWORD
from tests.integration.browser import OfflinePage
from tests.integration.harness import Api, eventually, new_uscc, power_row, raise_alert, registered, tax_row

pytestmark = pytest.mark.integration

HOME, NEIGHBOUR = "445202001", "445202002"  # 榕华街道 (zhangwei), 新兴街道 (wangfang); chenjing: 榕城区; zhaolei: the city
BEFORE, MONTH = "2026-10", "2026-11"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def _entity(township: str, industry: str, kind: str) -> dict:
    return {"uscc": new_uscc(township[:6]), "name": f"揭阳{uuid.uuid4().hex[:4]}{kind}有限公司",
            "township_code": township, "industry_code": industry}


async def _person(browser, platform, username: str, **context) -> tuple[OfflinePage, Page, str]:
    """A person logged in to the dashboard in their own browser: them, their page, the dashboard's address."""
    base = platform.url("analytics")
    person = await OfflinePage.open(await browser.new_context(locale="zh-CN", **context))
    await person.log_in(base, username, DEMO_PASSWORD)
    return person, person.page, base


async def _done(person: OfflinePage) -> None:
    """The person's pages loaded nothing from outside and ran without a script error."""
    assert person.blocked == [] and person.errors == []
    await person.page.context.close()


async def _fits_the_screen(page) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


async def _drawn(page, chart: str) -> None:
    await expect(page.locator(f"#{chart} canvas").first).to_be_visible()


async def _drill_to_panorama(page, entity: dict) -> None:
    """From an entity's name on a list to its panorama, with its chart drawn."""
    await page.get_by_role("link", name=entity["name"]).click()
    await expect(page.get_by_role("heading", name=entity["name"])).to_be_visible()
    await _drawn(page, "entity-chart")


@pytest.fixture(scope="module")
async def city(platform):
    """Two entities of 榕华街道 and one of 新兴街道, with power and tax for October and November, and
    a third of 榕华街道 with an alert (用电无税 in October); once for the module: the pages' counts are of these."""
    api = Api(platform)
    try:
        return await _post_city(api, platform)
    finally:
        await api.client.aclose()


async def _post_city(api, platform):
    plant, shop = _entity(HOME, "3311", "五金制品"), _entity(HOME, "5212", "百货商行")
    beside = _entity(NEIGHBOUR, "3311", "机械制造")
    await api.submit_all("market_regulation", "registration", [plant, shop, beside])
    await registered(platform, plant["uscc"], shop["uscc"], beside["uscc"])
    await api.submit_all("tax", "tax_payment", [
        tax_row(plant, BEFORE, "2000.00"), tax_row(plant, MONTH, "2600.00"), tax_row(shop, MONTH, "300.00"), tax_row(beside, MONTH, "900.00")])
    await api.submit_all("power_supply", "power_usage", [
        power_row(plant, BEFORE, 40000.0), power_row(plant, MONTH, 52000.0), power_row(shop, MONTH, 3000.0),
        power_row(beside, BEFORE, 9000.0), power_row(beside, MONTH, 8000.0)])

    async def arrived():
        reply = await api.as_supervisor("analytics", "/v1/entities", params={"period": MONTH, "area": "445202"})
        rows = {r["uscc"]: r for r in reply.json()}
        return all(e["uscc"] in rows and rows[e["uscc"]]["kwh"] and rows[e["uscc"]]["tax"] for e in (plant, shop, beside))

    await eventually(arrived, what="November's figures of the three entities")
    _, name = await raise_alert(api, platform, HOME)

    async def alerted():
        reply = await api.as_township(HOME, "GET", "analytics", "/v1/entities", params={"period": BEFORE})
        uscc = next((r["uscc"] for r in reply.json() if r["name"] == name), None)
        panorama = uscc and (await api.as_township(HOME, "GET", "analytics", f"/v1/entities/{uscc}")).json()
        return panorama if panorama and panorama["alerts"] else None

    return plant, shop, beside, await eventually(alerted, what="the alert in the entity's panorama")


async def test_the_panorama_is_scoped_json_too(api, city):
    plant, _, beside, alerted = city
    assert [(a["rule"], a["period"], a["state"], a["state_zh"]) for a in alerted["alerts"]] == [
        ("power_without_tax", BEFORE, "open", "待签收")]
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
    plant, _, _, _ = city
    leader, page, base = await _person(browser, platform, "zhaolei", **DESKTOP)
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
    await _drill_to_panorama(page, plant)
    await expect(page.locator("#records")).to_contain_text("月度用电")
    await leader.photograph("dashboard-entity-desktop")
    await _done(leader)


async def test_a_supervisor_reads_industries_and_the_power_trend(platform, browser, city):
    plant, _, beside, _ = city
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
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
    await _drill_to_panorama(page, beside)

    await page.goto(f"{base}/power-trend?from=2026-01&to={MONTH}")
    await _drawn(page, "trend-chart")
    await expect(page.locator(f'#series tr[data-key="{HOME}"]')).to_contain_text("55,000")
    await supervisor.photograph("dashboard-power-trend-desktop")
    await _done(supervisor)


async def test_a_township_officer_on_a_phone_sees_only_his_township(platform, browser, city):
    plant, _, beside, alerted = city
    officer, page, base = await _person(browser, platform, "zhangwei", **PHONE)
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
    await _drill_to_panorama(page, plant)
    await _fits_the_screen(page)
    await page.goto(f"{base}/entities/{alerted['uscc']}")  # an entity with an alert: its handling state
    await expect(page.locator("#alerts tbody tr")).to_contain_text("待签收")
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
    await _done(officer)
