"""People log in to the pages with their own accounts, on a phone, and one login serves the
feedback and the analytics pages (and their APIs) of the same host."""

import uuid
from urllib.parse import urlsplit

import pytest
from playwright.async_api import expect

from deploy.local.credentials import DEMO_PASSWORD

pytestmark = pytest.mark.integration

PHONE = {"width": 390, "height": 844}


async def test_without_a_login_pages_send_to_the_login_page_and_the_api_answers_401(api, platform):
    for service in ("feedback", "analytics"):
        page = await api.client.get(f"{platform.url(service)}/account")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Faccount", service
    answer = await api.client.get(f"{platform.url('feedback')}/v1/alerts")
    assert answer.status_code == 401 and answer.json()["detail"]["code"] == "unauthenticated"


async def test_a_township_officer_logs_in_on_a_phone_and_is_known_on_both_services(platform, offline_page):
    page = offline_page.page
    await page.set_viewport_size(PHONE)
    feedback, analytics = platform.url("feedback"), platform.url("analytics")

    await page.goto(f"{feedback}/account")
    assert urlsplit(page.url).path == "/login"
    await expect(page.get_by_role("heading", name="登录")).to_be_visible()
    await offline_page.photograph("login-phone")
    await page.get_by_label("用户名").fill("zhangwei")
    await page.get_by_label("密码").fill("not the password")
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确")
    await page.get_by_label("密码").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="登录").click()

    await page.wait_for_url(f"{feedback}/account")  # back to the page that asked for the login
    header = page.locator("header")
    await expect(header).to_contain_text("张伟")
    await expect(header).to_contain_text("榕城区榕华街道")
    await offline_page.photograph("account-phone")

    await page.goto(f"{analytics}/account")  # the other service: the same cookie, no second login
    await expect(page.locator("header")).to_contain_text("张伟")
    overview = await page.evaluate("bizpulse.api('/v1/overview')")  # the pages' helper, by cookie
    assert {row["township_code"] for row in overview["townships"]} <= {"445202001"}

    # a change needs the session's CSRF token (X-CSRF-Token), which the helper sends and a forged request lacks
    await page.goto(f"{feedback}/account")
    alert = f"/v1/alerts/{uuid.uuid4()}/acknowledge"
    forged = await page.evaluate(f"fetch('{alert}', {{method: 'POST'}}).then(r => r.json())")
    assert forged["detail"]["code"] == "csrf_token_invalid"
    refused = await page.evaluate(f"bizpulse.api('{alert}', {{method: 'POST'}}).catch(e => e.code)")
    assert refused == "alert_not_found"  # the token passed; the alert is not there

    await page.get_by_role("button", name="退出").click()
    await page.wait_for_url(f"{feedback}/login")
    await page.goto(f"{analytics}/account")
    assert urlsplit(page.url).path == "/login"  # logged out of both
    assert offline_page.blocked == [] and offline_page.errors == []


async def test_a_supervisor_sees_the_city(platform, offline_page):
    await offline_page.log_in(platform.url("analytics"), "zhaolei", DEMO_PASSWORD)
    await expect(offline_page.page.locator("header")).to_contain_text("赵磊")
    await expect(offline_page.page.locator("main")).to_contain_text("区域概况 · 揭阳市")  # analytics opens on the city's overview
    await offline_page.page.goto(f"{platform.url('analytics')}/account")
    await expect(offline_page.page.locator("main")).to_contain_text("市级督查")
    await offline_page.photograph("account-desktop")
