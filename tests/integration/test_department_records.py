"""部门记录 (#13): 公共信息对比分析's unlinked and pending counts are no dead end. Over records posted
to ingest as departments send them — a registration of 榕华街道 and its July tax, which the matcher
links, and a July power record of an account and name no registration has, which it cannot — the
comparison's unlinked count drills to exactly that record, the linked tax record to its entity's
panorama; a township officer lists his own township's records only; a misspelt filter is refused.
July is a month no other test posts records of."""

import uuid

import pytest
from playwright.async_api import expect

from tests.integration.harness import Api, eventually, registered, tax_row
from tests.integration.test_dashboard_pages import DESKTOP, HOME, NEIGHBOUR, PHONE, _done, _entity, _fits_the_screen, _person

pytestmark = pytest.mark.integration

MONTH = "2026-07"


@pytest.fixture(scope="module")
async def posted(platform):
    """The entity, the comparison's row once its tax record is linked and the power record unlinked, and
    that unlinked power record (榕华街道, July)."""
    api = Api(platform)
    try:
        entity = _entity(HOME, "3311", "模具")
        await api.submit_all("market_regulation", "registration", [entity])
        await registered(platform, entity["uscc"])
        await api.submit_all("tax", "tax_payment", [tax_row(entity, MONTH, "1200.00")])
        stray = {"power_account": f"UNL{uuid.uuid4().hex[:10]}", "account_name": f"{uuid.uuid4().hex[:4]}无名加工场",
                 "township_code": HOME, "period": MONTH, "kwh": 700.0}
        await api.submit_all("power_supply", "power_usage", [stray])

        async def judged():
            reply = await api.as_supervisor("analytics", "/v1/comparison", params={"period": MONTH, "area": HOME})
            (row,) = reply.json()["townships"]
            tax, power = row["departments"]
            return row if tax["kinds"][0]["linked"] == 1 and power["kinds"][0]["unlinked"] == 1 else None

        return entity, await eventually(judged, what="July's tax record linked and its power record unlinked"), stray
    finally:
        await api.client.aclose()


async def test_the_unlinked_count_drills_to_exactly_the_unlinked_record(api, posted):
    entity, row, stray = posted
    tax, power = row["departments"]
    usage = power["kinds"][0]
    assert usage["kind"] == "power_usage"
    assert usage["unlinked_url"] == f"/v1/records?area={HOME}&period={MONTH}&department=power_supply&kind=power_usage&link=unlinked"
    assert power["unlinked_url"] == f"/v1/records?area={HOME}&period={MONTH}&department=power_supply&link=unlinked"
    assert power["pending_url"] == f"/v1/records?area={HOME}&period={MONTH}&department=power_supply&link=pending"

    async def listed(url: str) -> list[dict]:
        answer = await api.as_supervisor("analytics", url)
        assert answer.status_code == 200, answer.text
        return answer.json()

    (record,) = await listed(usage["unlinked_url"])
    assert (record["department"], record["department_name"], record["kind"], record["period"], record["township_code"]) == (
        "power_supply", "供电", "power_usage", MONTH, HOME)
    assert (record["link"], record["link_zh"], record["uscc"], record["entity_url"]) == ("unlinked", "未关联", None, None)
    # who it is of, so the township can find the meter: its 户号 and 户名 as the power company sent them
    assert (record["source_key"], record["name"], record["identification_zh"]) == (stray["power_account"], stray["account_name"], None)
    department = await listed(power["unlinked_url"])  # the month's and the register's: every record the count counts
    assert len(department) == power["unlinked"] and record in department
    (linked,) = await listed(f"/v1/records?period={MONTH}&area={HOME}&kind=tax_payment&link=linked")
    assert (linked["link_zh"], linked["uscc"], linked["entity_url"]) == ("已关联", entity["uscc"], f"/v1/entities/{entity['uscc']}")


async def test_a_township_lists_its_own_records_and_unknown_filters_are_refused(api, posted):
    mine = await api.as_township(HOME, "GET", "analytics", "/v1/records", params={"period": MONTH, "link": "unlinked"})
    assert mine.status_code == 200, mine.text
    assert {r["township_code"] for r in mine.json()} == {HOME} and any(r["kind"] == "power_usage" for r in mine.json())
    theirs = await api.as_township(HOME, "GET", "analytics", "/v1/records", params={"period": MONTH, "area": NEIGHBOUR})
    assert theirs.status_code == 404 and theirs.json()["detail"]["code"] == "area_not_found"
    for params, code in (({"township": HOME}, "unknown_filter"), ({"department": "water"}, "unknown_department"),
                         ({"kind": "water_usage"}, "unknown_kind"), ({"link": "lost"}, None), ({"period": "2026-13"}, None)):
        wrong = await api.as_township(HOME, "GET", "analytics", "/v1/records", params={"period": MONTH, **params})
        assert wrong.status_code == 422, params
        if code:
            assert wrong.json()["detail"]["code"] == code, wrong.text
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/records")).status_code == 422  # a month is required


async def test_a_supervisor_drills_from_the_comparison_to_the_records_and_a_panorama(platform, browser, posted):
    entity, _, stray = posted
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
    await page.goto(f"{base}/comparison?period={MONTH}")
    await page.locator(f'#townships tr[data-township="{HOME}"] td[data-label="供电未关联"] a').click()
    await expect(page.get_by_role("heading", name=f"部门记录 · 榕城区榕华街道 · {MONTH}")).to_be_visible()
    rows = page.locator("#records tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first.locator('td[data-label="关联状态"]')).to_have_text("未关联")
    await expect(rows.first.locator('td[data-label="户号 / 识别号"]')).to_have_text(stray["power_account"])
    await expect(rows.first.locator('td[data-label="名称"]')).to_have_text(stray["account_name"])
    await expect(page.locator("#explanation")).to_contain_text("工作台")
    await supervisor.photograph("dashboard-records-desktop")
    await page.locator('select[name="department"]').select_option("tax")
    await page.locator('select[name="link"]').select_option("linked")
    await page.get_by_role("button", name="筛选").click()
    await page.get_by_role("link", name=entity["uscc"]).click()
    await expect(page.get_by_role("heading", name=entity["name"])).to_be_visible()
    await _done(supervisor)


async def test_a_township_officer_on_a_phone_reads_his_unlinked_records(platform, browser, posted):
    officer, page, base = await _person(browser, platform, "zhangwei", **PHONE)
    await page.goto(f"{base}/comparison?period={MONTH}")
    await page.locator(f'#townships tr[data-township="{HOME}"] td[data-label="供电未关联"] a').click()
    await expect(page.locator("#records tbody tr")).to_have_count(1)
    await _fits_the_screen(page)
    await officer.photograph("dashboard-records-phone")
    answer = await page.goto(f"{base}/records?period={MONTH}&area={NEIGHBOUR}")
    assert answer.status == 404
    await _done(officer)
