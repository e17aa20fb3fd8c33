"""The analytics dashboard in a real headless browser, over records posted to ingest as departments
do: the city leader at a desk sees the map, the ranking and the tables, and drills from a township's
figure to the entity list and an entity's panorama; the county supervisor reads 产业运行监控 and
用电趋势 and drills from a 门类 to the panorama; a township officer on a phone reads the pages of
his own township and cannot open another township's entity or figures. 经济管理监管分析, the alert
list, 锁定分析 and 异常纳税 over alerts raised by the pipeline and handled in the workbench, and over
alerts published as alerting does for the rules whose data take long to build up. The monthly
township report over the same township and month: read on a phone and a desk, printed, downloaded
as a workbook; 梁柱企业 for the county."""

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from deploy.local.credentials import DEMO_PASSWORD
from shared import topics
from shared.contracts import AlertDeadlinePassed, AnomalyDetected, AnomalyPayload, DeadlinePayload, EvidenceMonth, EvidencePacket
from shared.messaging.codec import encode
from shared.reference import TOWNSHIPS as TOWNSHIP_CODES
from tests.integration.browser import OfflinePage
from tests.integration.harness import Api, eventually, new_uscc, power_row, produce_raw, raise_alert, registered, tax_row

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
    plant, shop = _entity(HOME, "3311", "五金制品"), {**_entity(HOME, "5212", "百货商行"), "established_on": "2026-11-05"}
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
    await _drawn(page, "climate-chart")
    await expect(page.locator(f'#series tr[data-key="{HOME}"]')).to_contain_text("55,000")
    # November's average daily use of 榕城区's entities (52,000 + 3,000 + 8,000 over 30 days); no
    # November 2025 to compare with, so the index says so rather than a number
    await expect(page.locator("#climate")).to_contain_text("2,100")
    await expect(page.locator("#climate .bp-kpi").nth(1)).to_contain_text("—")
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
    await _drawn(page, "climate-chart")
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


# ---- 经济管理监管分析 (#7), 长期停业和亏损企业锁定分析 (#8), 异常纳税行为预警 (#9) ------------------------

FIRST = "2026-01"


def _detected(entity: dict, rule: str, period: str, facts: dict, months: list[tuple[str, float | None, float | None]] = ()):
    """An alert as alerting publishes it, for rules whose data (14 months of power and tax, finance
    statements, 30 industry peers) would take minutes to build up: what analytics reads is the event."""
    payload = AnomalyPayload(
        alert_id=uuid.uuid4(), rule=rule, uscc=entity["uscc"], entity_name=entity["name"],
        township_code=entity["township_code"], period=period, facts=facts, message_zh=f"{entity['name']} {period} 测试预警",
        record_ids=[], severity="medium", evidence=EvidencePacket(
            industry_code=entity["industry_code"], status="active", status_since=None,
            months=[EvidenceMonth(period=p, kwh=k, tax=t) for p, k, t in months]))
    return AnomalyDetected(event_id=uuid.uuid4(), event_type="anomaly-detected", schema_version=1, occurred_at=datetime.now(UTC),
                           producer="test", correlation_id=uuid.uuid4(), payload=payload)


def _deadline_passed(alert: AnomalyDetected) -> AlertDeadlinePassed:
    p = alert.payload
    return AlertDeadlinePassed(
        event_id=uuid.uuid4(), event_type="alert-deadline-passed", schema_version=1, occurred_at=datetime.now(UTC),
        producer="test", correlation_id=uuid.uuid4(), payload=DeadlinePayload(
            alert_id=p.alert_id, rule=p.rule, uscc=p.uscc, township_code=p.township_code, period=p.period,
            severity=p.severity, deadline="acknowledge", due=date(2026, 12, 1)))


@pytest.fixture(scope="module")
async def alerted(platform, city):
    """Beside the city's 用电无税 alert (签收 then 办结 by the township through the workbench): a
    long-suspended entity of 榕华街道 and one of 新兴街道, the plant's four losing quarters, the shop's
    tax far below its peers (its 签收 deadline passed) and the plant's tax-power ratio."""
    plant, shop, beside, with_alert = city
    api = Api(platform)
    try:
        idle = _entity(HOME, "5212", "商贸")
        await api.submit_all("market_regulation", "registration", [idle])
        await registered(platform, idle["uscc"])
        quiet = [(f"2026-{m:02d}", 10.0, 0.0) for m in range(6, 12)]
        events = [
            _detected(idle, "long_term_suspension", MONTH, {"months": 6.0, "from_period": "2026-06", "kwh": 60.0, "tax": 0.0}, quiet),
            _detected(beside, "long_term_suspension", MONTH, {"months": 6.0, "from_period": "2026-06", "kwh": 0.0, "tax": 0.0}, quiet),
            _detected(plant, "persistent_losses", "2026-Q3",
                      {"2025-Q4": -12000.0, "2026-Q1": -8000.5, "2026-Q2": -9100.0, "2026-Q3": -15000.0}),
            peers := _detected(shop, "tax_vs_peers", MONTH, {
                "value": 0.1, "measure": "tax_per_kwh", "peer_median": 0.9, "peer_mad": 0.1, "peer_count": 35.0,
                "robust_z": -6.3, "industry": "52", "scale": "log"}, [(BEFORE, None, None), (MONTH, 3000.0, 300.0)]),
            _detected(plant, "tax_power_ratio", BEFORE, {
                "kwh": 40000.0, "tax": 2000.0, "ratio": 0.05, "low": 0.08, "high": 0.6, "interval_source": "fitted",
                "sample_size": 31.0, "industry": "33"}),
            _detected(beside, "tax_vs_peers", MONTH, {"value": 0.05, "measure": "tax_per_kwh", "peer_median": 0.9,
                                                     "peer_mad": 0.1, "peer_count": 35.0, "robust_z": -7.0, "industry": "33"}),
        ]
        for event in [*events, _deadline_passed(peers)]:
            await produce_raw(platform.kafka.admin, topics.ANOMALY_DETECTED, encode(event), key=event.payload.uscc.encode())
        cases = (await api.as_township(HOME, "GET", "feedback", "/v1/cases", params={"kind": "alert"})).json()
        case_id = next(c["case_id"] for c in cases if c["title"] == with_alert["registration"]["name"])
        for act in ({"action": "acknowledge"}, {"action": "resolve", "note": "企业试生产，已辅导申报", "disposition": "confirmed_rectified"}):
            done = await api.as_township(HOME, "POST", "feedback", f"/v1/cases/{case_id}/acts", json=act)
            assert done.status_code == 200, done.text

        async def counted():
            reply = await api.as_township(HOME, "GET", "analytics", "/v1/supervision", params={"from": FIRST, "to": MONTH})
            body = reply.json()
            return body if body["totals"]["total"] == 5 and body["totals"]["resolved"] == 1 and body["totals"]["overdue"] == 1 else None

        return idle, await eventually(counted, what="the township's five alerts, one resolved and one overdue, in analytics")
    finally:
        await api.client.aclose()


async def test_supervision_counts_alerts_by_rule_township_and_month_with_their_handling(api, city, alerted):
    plant, shop, beside, _ = city
    idle, mine = alerted
    by_rule = {r["rule"]: r for r in mine["by_rule"]}
    assert {rule: (r["rule_zh"], r["total"], r["open"], r["resolved"], r["overdue"]) for rule, r in by_rule.items()} == {
        "power_without_tax": ("用电无税", 1, 0, 1, 0), "long_term_suspension": ("长期停业", 1, 1, 0, 0),
        "persistent_losses": ("持续亏损", 1, 1, 0, 0), "tax_vs_peers": ("纳税异常", 1, 1, 0, 1),
        "tax_power_ratio": ("税电比异常", 1, 1, 0, 0)}
    assert by_rule["power_without_tax"]["resolved_pct"] == 100.0 and by_rule["power_without_tax"]["hours_to_resolve"] is not None
    assert [t["township_code"] for t in mine["by_township"]] == [HOME]  # the neighbour's alerts are not the township's
    months = {m["month"]: m["total"] for m in mine["by_month"]}
    assert len(months) == 11 and (months[BEFORE], months[MONTH], months["2026-09"]) == (2, 2, 1)  # 2026-Q3 counts in September
    assert [(e["effect"], e["effect_zh"], e["alerts"]) for e in mine["by_effect"]] == [("confirmed", "属实", 1)]
    found = await api.as_township(HOME, "GET", "analytics", mine["by_effect"][0]["alerts_url"])
    assert [(a["rule"], a["state"], a["disposition"]) for a in found.json()] == [("power_without_tax", "resolved", "confirmed_rectified")]

    # each count drills to the alerts behind it, each alert to its entity's panorama
    behind = await api.as_township(HOME, "GET", "analytics", by_rule["tax_vs_peers"]["state_urls"]["overdue"])
    assert [(a["uscc"], a["state_zh"], a["overdue"]) for a in behind.json()] == [(shop["uscc"], "待签收", True)]
    panorama = await api.as_township(HOME, "GET", "analytics", behind.json()[0]["entity_url"])
    assert panorama.status_code == 200 and panorama.json()["registration"]["name"] == shop["name"]

    county = (await api.as_supervisor("analytics", "/v1/supervision", params={
        "from": FIRST, "to": MONTH, "area": "445202", "rule": "long_term_suspension"})).json()
    assert {t["township_code"]: t["total"] for t in county["by_township"]} == {HOME: 1, NEIGHBOUR: 1}
    for params in ({"from": FIRST, "to": MONTH, "area": NEIGHBOUR}, {"from": FIRST, "to": MONTH, "area": "445202"}):
        assert (await api.as_township(HOME, "GET", "analytics", "/v1/supervision", params=params)).status_code == 404
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/alerts", params={"area": NEIGHBOUR})).status_code == 404
    wrong = await api.as_township(HOME, "GET", "analytics", "/v1/supervision", params={"from": FIRST, "to": MONTH, "rule": "made_up"})
    assert wrong.status_code == 422 and wrong.json()["detail"]["code"] == "unknown_rule"
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/alerts", params={"township": HOME})).status_code == 422


async def test_the_lists_of_locked_entities_and_abnormal_tax_carry_their_evidence(api, city, alerted):
    plant, shop, beside, with_alert = city
    idle, _ = alerted
    locked = {r["rule"]: r["entities"] for r in
              (await api.as_township(HOME, "GET", "analytics", "/v1/locked-entities")).json()["lists"]}
    [suspended] = locked["long_term_suspension"]  # not the neighbour's
    assert (suspended["uscc"], suspended["flagged"][0], len(suspended["flagged"]), len(suspended["months"])) == (
        idle["uscc"], "2026-06", 6, 6)
    [losing] = locked["persistent_losses"]
    assert losing["flagged"] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [e["value"] for e in losing["evidence"]] == [-12000.0, -8000.5, -9100.0, -15000.0]
    assert losing["entity_url"].endswith(f"/v1/entities/{plant['uscc']}")

    tax = {r["rule"]: r["entities"] for r in (await api.as_township(HOME, "GET", "analytics", "/v1/tax-anomalies")).json()["lists"]}
    assert [(e["uscc"], {x["label"]: x["value"] for x in e["evidence"]}["稳健 z 值"]) for e in tax["tax_vs_peers"]] == [
        (shop["uscc"], -6.3)]
    assert [e["uscc"] for e in tax["tax_power_ratio"]] == [plant["uscc"]]
    assert [(e["uscc"], e["state"]) for e in tax["power_without_tax"]] == [(with_alert["uscc"], "resolved")]
    county = (await api.as_supervisor("analytics", "/v1/tax-anomalies", params={"area": "445202"})).json()
    assert beside["uscc"] in {e["uscc"] for r in county["lists"] for e in r["entities"]}
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/locked-entities", params={"area": NEIGHBOUR})).status_code == 404


async def test_a_supervisor_drills_from_the_supervision_page_to_the_alerts_and_an_entity(platform, browser, city, alerted):
    plant, shop, beside, _ = city
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
    await page.get_by_role("link", name="监管分析").click()
    await page.goto(f"{base}/supervision?from={FIRST}&to={MONTH}")
    await expect(page.get_by_role("heading", name=f"经济管理监管分析 · 榕城区 · {FIRST} 至 {MONTH}")).to_be_visible()
    await _drawn(page, "supervision-chart")
    await expect(page.locator(f'#by-township tr[data-township="{HOME}"] td[data-label="预警"]')).to_have_text("5")
    await expect(page.locator(f'#by-township tr[data-township="{NEIGHBOUR}"]')).to_be_visible()  # the county's townships
    await expect(page.locator("#timeliness")).to_be_visible()  # the departments' timeliness: a supervisor's
    await supervisor.photograph("dashboard-supervision-desktop")
    await page.locator('#by-rule tr[data-rule="tax_vs_peers"] td[data-label="预警"] a').click()
    await expect(page.locator("#alerts tbody tr")).to_have_count(2)  # the township's and the neighbour's
    await expect(page.locator(f'#alerts tr[data-uscc="{shop["uscc"]}"]')).to_contain_text("逾期")
    await supervisor.photograph("dashboard-alerts-desktop")
    await _drill_to_panorama(page, shop)

    await page.goto(f"{base}/locked-entities")
    await _drawn(page, "rule-lists-chart")
    await expect(page.locator("#long_term_suspension tr[data-uscc]")).to_have_count(2)
    await expect(page.locator("#persistent_losses")).to_contain_text("-15,000.00")
    await supervisor.photograph("dashboard-locked-entities-desktop")
    await _drill_to_panorama(page, plant)

    await page.goto(f"{base}/tax-anomalies")
    await _drawn(page, "rule-lists-chart")
    await expect(page.locator("#tax_vs_peers tr[data-uscc]")).to_have_count(2)
    await expect(page.locator(f'#tax_vs_peers tr[data-uscc="{beside["uscc"]}"]')).to_contain_text("-7.0000")
    await supervisor.photograph("dashboard-tax-anomalies-desktop")
    await _drill_to_panorama(page, shop)
    await _done(supervisor)


async def test_a_township_officer_on_a_phone_reads_his_alerts_lists_and_no_others(platform, browser, city, alerted):
    plant, shop, beside, _ = city
    idle, _ = alerted
    officer, page, base = await _person(browser, platform, "zhangwei", **PHONE)
    await page.goto(f"{base}/supervision?from={FIRST}&to={MONTH}")
    await expect(page.locator("#by-township tbody tr")).to_have_count(1)
    await expect(page.locator("#timeliness")).to_have_count(0)
    await _drawn(page, "supervision-chart")
    await _fits_the_screen(page)
    await officer.photograph("dashboard-supervision-phone")
    await page.locator(f'#by-month tr[data-month="{MONTH}"] td[data-label="预警"] a').click()
    await expect(page.locator("#alerts tbody tr")).to_have_count(2)
    await _fits_the_screen(page)

    await page.goto(f"{base}/locked-entities")
    await _drawn(page, "rule-lists-chart")
    await expect(page.locator("#long_term_suspension tr[data-uscc]")).to_have_count(1)
    await expect(page.locator("#long_term_suspension")).to_contain_text(idle["name"])
    await expect(page.locator(f'tr[data-uscc="{beside["uscc"]}"]')).to_have_count(0)
    await _fits_the_screen(page)
    await officer.photograph("dashboard-locked-entities-phone")

    await page.goto(f"{base}/tax-anomalies")
    await _drawn(page, "rule-lists-chart")
    await expect(page.locator(f'tr[data-uscc="{beside["uscc"]}"]')).to_have_count(0)
    await _fits_the_screen(page)
    await officer.photograph("dashboard-tax-anomalies-phone")
    await _drill_to_panorama(page, shop)

    for path in (f"/supervision?area={NEIGHBOUR}", f"/alerts?area={NEIGHBOUR}", f"/locked-entities?area={NEIGHBOUR}",
                 f"/tax-anomalies?area={NEIGHBOUR}", "/supervision?area=445202"):
        answer = await page.goto(base + path)
        assert answer.status == 404, path
    await _done(officer)


# ---- the monthly township report (乡镇月度数据分析报告) and 梁柱企业 ---------------------------------------

async def test_the_monthly_report_as_json_is_the_townships_own(api, city, alerted):
    plant, shop, beside, with_alert = city
    idle, _ = alerted
    mine = await api.as_township(HOME, "GET", "analytics", "/v1/report", params={"period": MONTH})
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["township_code"], body["township_name"], body["period"]) == (HOME, "榕华街道", MONTH)
    f = body["figures"]  # November: the plant and the shop; October: the plant and the alerted entity's 25,000 kWh
    assert (f["entities"], f["tax"], f["tax_before"], f["tax_mom_pct"], f["kwh"], f["kwh_before"], f["kwh_mom_pct"]) == (
        2, 2900.0, 2000.0, 45.0, 55000.0, 65000.0, -15.4)
    trend = body["trend"]  # the 13 months up to November, for the chart and the workbook
    assert [m["period"] for m in trend][::12] == ["2025-11", MONTH] and len(trend) == 13
    assert [(m["tax"], m["kwh"]) for m in trend[-2:]] == [(2000.0, 65000.0), (2900.0, 55000.0)]
    assert (await api.as_township(HOME, "GET", "analytics", trend[-1]["entities_url"])).status_code == 200
    assert body["linkage"]["linked"] >= 5 and body["registered"]["by_status"]["active"] >= 4
    assert (body["registered"]["established"], body["registered"]["net_growth"]) == (1, 1)  # the shop, set up in November
    assert {a["rule"] for a in body["pending_alerts"]} == {"long_term_suspension", "persistent_losses", "tax_vs_peers", "tax_power_ratio"}
    assert [e["uscc"] for e in body["suspended"]] == [idle["uscc"]]
    assert [(p["uscc"], p["tax_rank"], p["tax_change_pct"]) for p in body["pillars"]["pillars"]] == [
        (plant["uscc"], 1, 30.0), (shop["uscc"], 2, None)]
    visits = {v["uscc"]: v["reason_kinds"] for v in body["visits"]}
    assert visits[idle["uscc"]] == ["alert", "suspended"] and visits[with_alert["uscc"]] == ["mover_fell"]
    assert beside["uscc"] not in visits
    assert (await api.as_township(HOME, "GET", "analytics", body["visits"][0]["entity_url"])).status_code == 200

    county = await api.as_supervisor("analytics", "/v1/report", params={"township": HOME, "period": MONTH})
    assert county.status_code == 200 and county.json()["figures"]["tax"] == 2900.0
    assert (await api.as_supervisor("analytics", "/v1/report", params={"period": MONTH})).json()["detail"]["code"] == "township_required"
    for path in ("/v1/report", "/v1/report.xlsx"):
        theirs = await api.as_township(HOME, "GET", "analytics", path, params={"township": NEIGHBOUR, "period": MONTH})
        assert theirs.status_code == 404, path
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/report", params={"township": "445202999"})).status_code == 422
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/report", params={"area": HOME})).status_code == 422
    pillars = (await api.as_supervisor("analytics", "/v1/pillars", params={"period": MONTH, "area": "445202"})).json()
    assert {p["uscc"] for p in pillars["pillars"]} == {plant["uscc"], shop["uscc"], beside["uscc"]} and pillars["top"] == 10


async def test_a_township_officer_reads_prints_and_downloads_his_monthly_report(platform, browser, city, alerted):
    plant, _, beside, _ = city
    idle, _ = alerted
    officer, page, base = await _person(browser, platform, "zhangwei", **PHONE)
    await page.get_by_role("link", name="月度报告").click()
    await expect(page.locator("h1")).to_contain_text("榕城区榕华街道")
    await page.goto(f"{base}/report?period={MONTH}")
    await expect(page.get_by_role("heading", name="榕城区榕华街道 2026年11月数据分析报告")).to_be_visible()
    await expect(page.locator('#summary tr[data-figure="tax"] td[data-label="本月"]')).to_have_text("2,900.00")
    await expect(page.locator(f'#visits tr[data-uscc="{idle["uscc"]}"]')).to_contain_text("长期停业")
    await expect(page.locator(f'tr[data-uscc="{beside["uscc"]}"]')).to_have_count(0)
    await _fits_the_screen(page)
    # the page's tab is far along the strip of tabs: the strip has scrolled it into view
    await expect(page.locator('.bp-nav [aria-current="page"]')).to_be_in_viewport(ratio=1)
    await officer.photograph("dashboard-report-phone")
    await page.locator(f'#pillars tr[data-uscc="{plant["uscc"]}"] a').click()  # a 梁柱企业: its panorama
    await expect(page.get_by_role("heading", name=plant["name"])).to_be_visible()
    answer = await page.goto(f"{base}/report?township={NEIGHBOUR}&period={MONTH}")
    assert answer.status == 404
    await _done(officer)

    officer, page, base = await _person(browser, platform, "zhangwei", **DESKTOP)
    await page.goto(f"{base}/report?period={MONTH}")
    await expect(page.locator("#pending tbody tr")).to_have_count(4)
    await expect(page.locator("#report-chart svg").first).to_be_visible()  # the 13 months, drawn as SVG for print
    await officer.photograph("dashboard-report-desktop")
    async with page.expect_download() as downloading:
        await page.locator("#xlsx").click()
    download = await downloading.value
    assert download.suggested_filename.endswith(f"{MONTH}-{HOME}.xlsx")
    book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    assert book.sheetnames == ["概况", "近13个月", "登记与关联", "行业", "预警处置", "待走访主体", "梁柱企业", "待办结预警"]
    assert [c.value for c in book["近13个月"][15]] == [MONTH, 2, 2900.0, 55000.0]
    assert [c.value for c in book["概况"][2]][:4] == ["指标", "单位", "本月", "上月"]
    assert [c.value for c in book["概况"][4]][:4] == ["纳税", "元", 2900.0, 2000.0]
    assert idle["uscc"] in {row[1] for row in book["待走访主体"].iter_rows(min_row=3, values_only=True)}

    await page.emulate_media(media="print")  # the printable page: the report alone, tables as tables
    for chrome in (".bp-header", ".bp-nav", ".bp-footer", "form.bp-filters"):
        await expect(page.locator(chrome).first).to_be_hidden()
    await expect(page.locator("#visits thead")).to_be_visible()
    await officer.photograph("dashboard-report-print")
    pdf = await page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    await _done(officer)


async def test_a_supervisor_picks_a_township_report_and_reads_the_pillars(platform, browser, city, alerted):
    plant, _, beside, _ = city
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
    await page.goto(f"{base}/report?period={MONTH}")
    await page.locator(f'#townships a[href*="{NEIGHBOUR}"]').click()
    await expect(page.get_by_role("heading", name="榕城区新兴街道 2026年11月数据分析报告")).to_be_visible()
    await expect(page.locator(f'#pillars tr[data-uscc="{beside["uscc"]}"]')).to_be_visible()
    await page.goto(f"{base}/pillars?period={MONTH}")
    await expect(page.locator("#pillars tr[data-uscc]")).to_have_count(3)
    await expect(page.locator(f'#pillars tr[data-uscc="{plant["uscc"]}"] td[data-label="纳税环比"]')).to_have_text("+30.0%")
    await supervisor.photograph("dashboard-pillars-desktop")
    await _done(supervisor)


# ---- 公共信息对比分析 (#5) ---------------------------------------------------------------------------

THIRD = "445202003"  # a township of 榕城区 whose power records the matcher cannot link: its coverage is low


@pytest.fixture(scope="module")
async def unlinked(platform, city):
    """Three power records of November in the third township, of accounts no registration names."""
    api = Api(platform)
    try:
        rows = [{"power_account": f"CMP{uuid.uuid4().hex[:10]}", "account_name": f"{uuid.uuid4().hex[:4]}加工场",
                 "township_code": THIRD, "period": MONTH, "kwh": 500.0} for _ in range(3)]
        await api.submit_all("power_supply", "power_usage", rows)

        async def failed():
            reply = await api.as_supervisor("analytics", "/v1/comparison", params={"period": MONTH, "area": THIRD})
            (row,) = reply.json()["townships"]
            return row if row["departments"][1]["unlinked"] >= 3 else None

        return await eventually(failed, what="the third township's unlinked power records")
    finally:
        await api.client.aclose()


async def test_the_comparison_sets_the_departments_side_by_side_and_flags_low_coverage(api, city, unlinked):
    plant, shop, beside, _ = city
    assert unlinked["low_coverage"] and unlinked["coverage_pct"] < 80
    county = await api.as_supervisor("analytics", "/v1/comparison", params={"period": MONTH, "area": "445202"})
    assert county.status_code == 200, county.text
    body = county.json()
    rows = {t["township_code"]: t for t in body["townships"]}
    assert len(rows) == len([c for c in TOWNSHIP_CODES if c.startswith("445202")])  # every township, zeros too
    assert body["townships"][0]["township_code"] == THIRD  # the lowest coverage first
    home = rows[HOME]
    tax, power = home["departments"]
    assert (tax["kind"], power["kind"]) == ("tax", "power_supply")
    assert home["registered"] >= 2 and home["with_tax"] >= 2 and home["with_power"] >= 2
    assert tax["linked"] >= 2 and tax["linked_pct"] == 100.0 and not home["low_coverage"]
    assert home["with_tax_url"] == f"/v1/entities?area={HOME}&period={MONTH}&order=tax"
    assert body["threshold_pct"] == 80.0 and body["low_coverage_townships"] >= 1
    assert body["totals"]["departments"][1]["unlinked"] >= 3

    mine = (await api.as_township(HOME, "GET", "analytics", "/v1/comparison", params={"period": MONTH})).json()
    assert [t["township_code"] for t in mine["townships"]] == [HOME]
    theirs = await api.as_township(HOME, "GET", "analytics", "/v1/comparison", params={"period": MONTH, "area": NEIGHBOUR})
    assert theirs.status_code == 404
    wrong = await api.as_township(HOME, "GET", "analytics", "/v1/comparison", params={"period": MONTH, "township": HOME})
    assert wrong.status_code == 422 and "township" in wrong.json()["detail"]["message"]
    assert (await api.as_township(HOME, "GET", "analytics", "/v1/comparison", params={"period": "2026-13"})).status_code == 422


async def test_a_supervisor_compares_the_townships_and_drills_to_an_entity(platform, browser, city, unlinked):
    plant, _, _, _ = city
    supervisor, page, base = await _person(browser, platform, "chenjing", **DESKTOP)
    await page.get_by_role("link", name="数据对比").click()
    await expect(page.locator("h1")).to_contain_text("公共信息对比分析 · 榕城区")
    await page.goto(f"{base}/comparison?period={MONTH}")
    await _drawn(page, "comparison-chart")
    await expect(page.locator(f'#townships tr[data-township="{THIRD}"]')).to_have_attribute("data-low-coverage", "true")
    await expect(page.locator(f'#townships tr[data-township="{THIRD}"] td[data-label="关联覆盖率"]')).to_contain_text("覆盖低")
    await supervisor.photograph("dashboard-comparison-desktop")
    await page.locator(f'#townships tr[data-township="{HOME}"] td[data-label="有纳税主体"] a').click()
    await expect(page.get_by_role("heading", name=f"企业名录 · 榕城区榕华街道 · {MONTH}")).to_be_visible()
    await _drill_to_panorama(page, plant)
    await _done(supervisor)


async def test_a_township_officer_on_a_phone_compares_only_his_township(platform, browser, city, unlinked):
    officer, page, base = await _person(browser, platform, "zhangwei", **PHONE)
    await page.goto(f"{base}/comparison?period={MONTH}")
    await expect(page.get_by_role("heading", name=f"公共信息对比分析 · 榕城区榕华街道 · {MONTH}")).to_be_visible()
    await expect(page.locator("#townships tbody tr")).to_have_count(1)
    await _drawn(page, "comparison-chart")
    await _fits_the_screen(page)
    await officer.photograph("dashboard-comparison-phone")
    for path in (f"/comparison?area={NEIGHBOUR}", f"/comparison?area={THIRD}&period={MONTH}", "/comparison?area=445202"):
        answer = await page.goto(base + path)
        assert answer.status == 404, path
    await _done(officer)
