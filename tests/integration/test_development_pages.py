"""区域企业发展概况 (#1) over registrations posted to ingest as market regulation sends them: entities
founded, one deregistered (注销) and one revoked (吊销) with their dates, of two entity types
(企业, 个体工商户), counted at the month's end against a year before; each count drills to the
entities behind it and on to their panorama; a township officer on a phone sees his own township
only. The entities are of 门类 Q (卫生和社会工作), which no other test registers: counts filtered by
it are these entities' whatever else the suite has registered."""

import uuid

import pytest
from playwright.async_api import expect

from shared import uscc
from tests.integration.harness import Api, eventually, new_uscc
from tests.integration.test_dashboard_pages import DESKTOP, HOME, NEIGHBOUR, PHONE, _done, _drawn, _fits_the_screen, _person

pytestmark = pytest.mark.integration

MONTH, YEAR_BEFORE = "2026-11", "2025-11"
INDUSTRY = "8411"  # 门类 Q
SELF_EMPLOYED = "92"  # 个体工商户


def _registration(township: str, established_on: str, kind: str = "91") -> dict:
    code = new_uscc(township[:6])
    return {"uscc": uscc.with_check_character(kind + code[2:17]), "name": f"揭阳{uuid.uuid4().hex[:4]}{'诊所' if kind == '91' else '药店'}",
            "township_code": township, "industry_code": INDUSTRY, "established_on": established_on, "event_date": established_on}


@pytest.fixture(scope="module")
async def registry(platform):
    """In 榕华街道: one founded before the year before, one in February, a company and a 个体工商户
    founded in November, one deregistered and one (个体工商户) revoked in November; one of 新兴街道."""
    api = Api(platform)
    try:
        entities = {
            "old": _registration(HOME, "2025-06-10"),
            "february": _registration(HOME, "2026-02-01"),
            "company": _registration(HOME, "2026-11-05"),
            "shop": _registration(HOME, "2026-11-12", SELF_EMPLOYED),
            "deregistered": _registration(HOME, "2024-03-01"),
            "revoked": _registration(HOME, "2023-05-01", SELF_EMPLOYED),
            "beside": _registration(NEIGHBOUR, "2026-10-01"),
        }
        await api.submit_all("market_regulation", "registration", list(entities.values()))
        await api.submit_all("market_regulation", "registration", [
            {**entities["deregistered"], "status": "注销", "event": "注销", "event_date": "2026-11-20"},
            {**entities["revoked"], "status": "吊销", "event": "吊销", "event_date": "2026-11-08"}])

        async def ended():
            reply = await api.as_supervisor("analytics", "/v1/registrations",
                                            params={"event": "ended", "month": MONTH, "industry": "Q", "area": "445202"})
            return {r["uscc"] for r in reply.json()} == {entities["deregistered"]["uscc"], entities["revoked"]["uscc"]}

        await eventually(ended, what="the 注销 and the 吊销 in analytics")
        return entities
    finally:
        await api.client.aclose()


async def test_the_counts_are_the_registrations_and_drill_to_exactly_them(api, registry):
    e = registry
    reply = await api.as_supervisor("analytics", "/v1/development", params={"period": MONTH, "area": HOME, "industry": "Q"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    t = body["totals"]  # at November's end: old, february, company, shop; a year before: old, deregistered, revoked
    assert (t["active"], t["active_year_before"], t["yoy_pct"]) == (4, 3, 33.3)
    assert (t["new"], t["deregistered"], t["revoked"], t["ended"], t["net_growth"]) == (2, 1, 1, 2, 0)
    types = {r["key"]: r for r in body["entity_types"]}
    assert (types["91"]["name"], types["91"]["active"], types["91"]["deregistered"]) == ("企业", 3, 1)
    assert (types[SELF_EMPLOYED]["name"], types[SELF_EMPLOYED]["active"], types[SELF_EMPLOYED]["revoked"]) == ("个体工商户", 1, 1)
    assert [(r["key"], r["name"], r["active"]) for r in body["industries"]] == [("Q", "卫生和社会工作", 4)]
    assert [(r["key"], r["active"]) for r in body["townships"]] == [(HOME, 4)]
    november = body["series"][-1]
    assert (len(body["series"]), november["period"], november["new"], november["active"]) == (12, MONTH, 2, 4)
    assert body["series"][-10]["period"] == "2026-02" and body["series"][-10]["new"] == 1  # february

    async def listed(url: str) -> set[str]:
        answer = await api.as_supervisor("analytics", url)
        assert answer.status_code == 200, answer.text
        return {r["uscc"] for r in answer.json()}

    assert await listed(t["active_url"]) == {e[k]["uscc"] for k in ("old", "february", "company", "shop")}
    assert await listed(t["active_year_before_url"]) == {e[k]["uscc"] for k in ("old", "deregistered", "revoked")}
    assert await listed(t["new_url"]) == {e["company"]["uscc"], e["shop"]["uscc"]}
    assert await listed(t["revoked_url"]) == {e["revoked"]["uscc"]}
    assert await listed(types[SELF_EMPLOYED]["new_url"]) == {e["shop"]["uscc"]}
    assert await listed(t["net_growth_url"]) == {e[k]["uscc"] for k in ("company", "shop", "deregistered", "revoked")}
    (row,) = (await api.as_supervisor("analytics", t["deregistered_url"])).json()
    assert (row["uscc"], row["ended_on"], row["status_zh"], row["standing"], row["entity_url"]) == (
        e["deregistered"]["uscc"], "2026-11-20", "注销", "deregistered", f"/v1/entities/{e['deregistered']['uscc']}")
    october = (await api.as_supervisor("analytics", "/v1/registrations",
                                       params={"event": "active", "month": "2026-10", "area": HOME, "industry": "Q"})).json()
    standing = {r["uscc"]: (r["standing"], r["status"]) for r in october}  # before the 注销 and the 吊销
    assert set(standing) == {e[k]["uscc"] for k in ("old", "february", "deregistered", "revoked")}
    assert standing[e["revoked"]["uscc"]] == ("active", "revoked")


async def test_a_township_sees_its_own_and_unknown_filters_are_refused(api, registry):
    mine = await api.as_township(HOME, "GET", "analytics", "/v1/development", params={"period": MONTH, "industry": "Q"})
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert [r["key"] for r in body["townships"]] == [HOME] and body["totals"]["active"] == 4
    listed = (await api.as_township(HOME, "GET", "analytics", "/v1/registrations",
                                    params={"event": "active", "month": MONTH, "industry": "Q"})).json()
    assert registry["beside"]["uscc"] not in {r["uscc"] for r in listed} and len(listed) == 4
    for path in ("/v1/development", "/v1/registrations"):
        theirs = await api.as_township(HOME, "GET", "analytics", path, params={"area": NEIGHBOUR})
        assert theirs.status_code == 404, path
        wrong = await api.as_township(HOME, "GET", "analytics", path, params={"township": HOME})
        assert wrong.status_code == 422 and wrong.json()["detail"]["code"] == "unknown_filter", path
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/development", params={"months": 18})).status_code == 422
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/registrations", params={"event": "moved"})).status_code == 422
    assert (await api.as_supervisor("analytics", "/v1/development", params={"entity_type": "99"})).status_code == 422


async def test_a_supervisor_reads_the_development_page_and_drills_to_a_panorama(platform, browser, registry):
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
    await page.get_by_role("link", name="企业发展：", exact=False).click()  # from 区域概况
    await expect(page.locator("h1")).to_contain_text("区域企业发展概况 · 榕城区")
    await page.goto(f"{base}/development?period={MONTH}&industry=Q&months=24")
    await _drawn(page, "development-chart")
    await expect(page.locator('#totals [data-figure="active"] strong')).to_have_text("5")  # the county: 新兴街道's too
    await expect(page.locator('#totals [data-figure="yoy"] strong')).to_have_text("+66.7%")
    await expect(page.locator(f'#townships tr[data-township="{HOME}"] td[data-label="月末存续"]')).to_have_text("4")
    await expect(page.locator('#entity-types tr[data-entity-type="92"] td[data-label="吊销"]')).to_have_text("1")
    await expect(page.locator("#divisions tbody tr")).to_have_count(1)
    await supervisor.photograph("dashboard-development-desktop")
    await page.locator('#entity-types tr[data-entity-type="92"] td[data-label="当月成立"] a').click()
    await expect(page.get_by_role("heading", name=f"登记名录 · 榕城区 · {MONTH} 当月成立")).to_be_visible()
    await expect(page.locator("#registrations tbody tr")).to_have_count(1)
    await page.get_by_role("link", name=registry["shop"]["name"]).click()
    await expect(page.get_by_role("heading", name=registry["shop"]["name"])).to_be_visible()
    await _done(supervisor)


async def test_a_township_officer_on_a_phone_reads_his_township_only(platform, browser, registry):
    officer, page, base = await _person(browser, platform, "zhangwei", **PHONE)
    await page.get_by_role("link", name="企业发展", exact=True).click()
    await expect(page.locator("h1")).to_contain_text("区域企业发展概况 · 榕城区榕华街道")
    await page.goto(f"{base}/development?period={MONTH}&industry=Q")
    await _drawn(page, "development-chart")
    await expect(page.locator("#divisions")).to_have_count(0)
    await expect(page.locator("#townships tbody tr")).to_have_count(1)
    await _fits_the_screen(page)
    await officer.photograph("dashboard-development-phone")
    await page.locator('#totals [data-figure="ended"]').click()
    await expect(page.locator("#registrations tbody tr")).to_have_count(2)
    await _fits_the_screen(page)
    answer = await page.goto(f"{base}/registrations?area={NEIGHBOUR}")
    assert answer.status == 404
    answer = await page.goto(f"{base}/development?area={NEIGHBOUR}")
    assert answer.status == 404
    await _done(officer)
