"""The township workbench in a real headless browser: an officer on a phone opens a case whose power
reading the power company corrected since it was raised (the frozen packet and what changed), signs for it, takes
a photo with the phone's location and resolves it; the county supervisor at a desk returns it; the
officer resolves again; the supervisor passes it; the assessment page shows it; another township's
officer cannot open it by its address."""

import io

import pytest
from PIL import Image
from playwright.async_api import expect

from deploy.local.credentials import DEMO_PASSWORD
from tests.integration.browser import OfflinePage
from tests.integration.harness import eventually, raise_alert

pytestmark = pytest.mark.integration

HOME = "445202001"  # 榕华街道: zhangwei (officer), chenjing supervises 榕城区; wangfang is of 新兴街道
PHONE = {"viewport": {"width": 390, "height": 844}, "geolocation": {"latitude": 23.5475, "longitude": 116.3728,
                                                                     "accuracy": 15}, "permissions": ["geolocation"]}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1280, 960), (120, 150, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


async def _person(browser, base: str, username: str, **context) -> OfflinePage:
    page = await OfflinePage.open(await browser.new_context(locale="zh-CN", **context))
    await page.log_in(base, username, DEMO_PASSWORD)
    return page


async def test_an_officer_and_a_supervisor_handle_a_case_in_the_browser(api, platform, browser):
    case_id, name = await raise_alert(api, platform, HOME)
    base = platform.url("feedback")
    # the power company corrects October's reading after the alert went out: less, still power without tax
    links = (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{case_id}")).json()["evidence"]["links"]
    keys = {link["kind"]: link["source_key"] for link in links}
    reply = await api.submit("power_supply", "power_usage", [{
        "power_account": keys["power_usage"], "uscc": keys["tax_payment"], "account_name": name, "township_code": HOME,
        "period": "2026-10", "kwh": 18000.0}])
    assert reply.json()["corrections"] == 1, reply.text

    async def changed():
        return (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{case_id}")).json()["changes_since"]
    await eventually(changed, what="the correction told on the case")

    officer = await _person(browser, base, "zhangwei", **PHONE)
    page = officer.page
    await page.goto(f"{base}/cases")
    card = page.locator(f'[data-case-id="{case_id}"]')
    await expect(card).to_contain_text("待签收")
    await expect(card).to_contain_text("用电")
    await officer.photograph("workbench-cases-phone")
    await card.get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", name=name)).to_be_visible()
    # the evidence packet frozen with the alert: October's power and zero tax, drawn and tabled
    await expect(page.locator("#evidence-chart canvas")).to_have_count(1)
    october = page.locator("#evidence-months tbody tr", has_text="2026-10")
    await expect(october).to_contain_text("25,000")
    await expect(october).to_contain_text("0.00")
    # and what changed since: the corrected reading, beside the frozen one
    since = page.locator("#changes-since tbody tr", has_text="2026-10 用电")
    await expect(since).to_contain_text("25,000")
    await expect(since).to_contain_text("18,000")
    # why the meter and the declaration are this entity's, as the matcher linked them
    await expect(page.locator("#evidence-links tbody tr", has_text="月度用电")).to_contain_text("统一社会信用代码一致")

    await page.get_by_role("button", name="签收").click()
    await expect(page.locator("#case-state")).to_have_text("已签收")
    await page.set_input_files("#photo", files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    await page.get_by_role("button", name="上传照片").click()
    await expect(page.get_by_alt_text("现场照片")).to_be_visible()
    await expect(page.locator(".bp-photos")).to_contain_text("23.54750, 116.37280（±15 米）")
    await expect(page.locator("#case-state")).to_have_text("核查中")
    await page.select_option("#disposition", label="属实-已整改")
    await page.fill("#resolve-note", "现场核实：企业试生产期间未申报，已辅导补报")
    await officer.photograph("workbench-case-phone")
    await page.get_by_role("button", name="办结").click()
    await expect(page.locator("#case-state")).to_have_text("已办结")

    supervisor = await _person(browser, base, "chenjing", **DESKTOP)
    desk = supervisor.page
    await desk.goto(f"{base}/cases?state=resolved")
    await desk.get_by_role("link", name=name).click()
    await desk.fill("#return-note", "请补充整改后的现场照片")
    await desk.get_by_role("button", name="退回").click()
    await expect(desk.locator("#case-state")).to_have_text("核查中")
    await supervisor.photograph("workbench-case-desktop")

    await page.reload()
    await expect(page.locator(".bp-timeline")).to_contain_text("请补充整改后的现场照片")
    await page.select_option("#disposition", label="属实-已整改")
    await page.fill("#resolve-note", "已补充整改后照片")
    await page.get_by_role("button", name="办结").click()
    await expect(page.locator("#case-state")).to_have_text("已办结")

    await desk.reload()
    await desk.get_by_role("button", name="复核通过").click()
    await expect(desk.locator("#case-state")).to_have_text("已复核")
    await expect(desk.locator(".bp-timeline li")).to_have_count(6)  # 签收 照片 办结 退回 办结 复核

    await desk.goto(f"{base}/assessment")
    row = desk.locator("#townships tbody tr", has_text="榕华街道")
    await expect(row.locator('td[data-label="复核退回"]')).not_to_have_text("0")
    await supervisor.photograph("workbench-assessment-desktop")
    await page.goto(f"{base}/assessment")
    await expect(page.locator("#townships tbody tr")).to_have_count(1)  # a township sees its own row
    await officer.photograph("workbench-assessment-phone")

    stranger = await _person(browser, base, "wangfang", **PHONE)
    answer = await stranger.page.goto(f"{base}/cases/{case_id}")
    assert answer.status == 404
    await stranger.page.goto(f"{base}/cases")
    await expect(stranger.page.locator(f'[data-case-id="{case_id}"]')).to_have_count(0)
    for person in (officer, supervisor, stranger):
        assert person.blocked == [] and person.errors == []
        await person.page.context.close()
