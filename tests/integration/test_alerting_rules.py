"""The anomaly catalogue end to end, from department records to the township's topic: rules that
read the registry, a jurisdiction question routed to both townships, an alert withdrawn when a
correction takes its data away, an alert whose figures a correction changes told again with what changed,
an absence rule that waits for the period to close, and a broken
rule file that stops alerting at start."""

import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from deploy.local.infra import REPO_ROOT
from services.alerting.domain.history import shift
from services.alerting.judging import LOOKBACK_MONTHS
from shared import topics
from tests.integration.harness import (
    TopicReader,
    db_execute,
    db_scalar,
    eventually,
    json_value,
    new_uscc,
    restart_with_env,
    townships_of,
)

pytestmark = pytest.mark.integration

HOME, ELSEWHERE = townships_of("445281")[4:6]
# a township only one test raises alerts in: its open-alert count moves with that test alone (in HOME,
# closings of other tests' periods raise alerts at moments of their own)
COUNTED = townships_of("445281")[8]


def _about(code: str, event_type: str = "anomaly-detected", rule: str | None = None):
    def pick(messages) -> list[dict]:
        return [v for m in messages if (v := json_value(m))["event_type"] == event_type
                and v["payload"].get("uscc") == code and (rule is None or v["payload"]["rule"] == rule)]
    return pick


async def _register(api, name: str, township: str = HOME, **more) -> str:
    code = new_uscc(township[:6])
    reply = await api.submit("market_regulation", "registration", [
        {"uscc": code, "name": name, "township_code": township, "industry_code": "C1311", **more}])
    assert reply.json()["accepted"] == 1, reply.text
    return code


def _power(code: str, period: str, kwh: float, township: str = HOME) -> dict:
    return {"power_account": f"P{code[-8:]}{period[-2:]}", "uscc": code, "township_code": township,
            "period": period, "kwh": kwh}


def _tax(code: str, period: str, amount: str, township: str = HOME) -> dict:
    return {"taxpayer_id": code, "uscc": code, "township_code": township, "period": period, "amount": amount}


async def test_a_deregistered_entity_still_active_is_alerted_and_its_other_rules_are_silenced(api, kafka, platform):
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}纺织有限公司")
    deregistered = {"uscc": code, "name": "x", "township_code": HOME}
    reply = await api.submit("market_regulation", "registration", [
        {**deregistered, "name": "兴宁纺织有限公司", "industry_code": "C1311", "status": "注销", "event": "注销",
         "event_date": "2026-08-15"}])
    assert reply.json()["corrections"] == 1, reply.text
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        # deregistered in mid-August: August's own use is not a finding, October's is. Tax goes first:
        # once other tests have closed 2026-08, power judged before its tax is 用电无税 (tax absent) for a moment
        await api.submit("tax", "tax_payment", [_tax(code, "2026-08", "3200.00"), _tax(code, "2026-10", "0.00")])
        await api.submit("power_supply", "power_usage", [_power(code, "2026-08", 20_000), _power(code, "2026-10", 20_000)])
        alerts = _about(code)(await township.read_until(_about(code, rule="deregistered_active")))
    assert [(a["payload"]["rule"], a["payload"]["period"]) for a in alerts] == [("deregistered_active", "2026-10")]
    (alert,) = alerts
    assert alert["payload"]["period"] == "2026-10" and alert["payload"]["severity"] == "high"
    assert "注销" in alert["payload"]["message_zh"]
    # 用电无税 was judged and kept, silenced by the deregistration, never sent to the township
    inhibited = "select inhibited from alerting.alerts where uscc = :code and rule = 'power_without_tax' and period = '2026-10'"
    assert await eventually(lambda: db_scalar(platform, inhibited, code=code), what="the silenced finding") is True
    august = "select count(*) from alerting.alerts where uscc = :code and period = '2026-08'"
    assert await db_scalar(platform, august, code=code) == 0


async def test_a_meter_in_another_township_is_a_jurisdiction_question_for_both_townships(api, kafka):
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}陶瓷有限公司")
    async with TopicReader(kafka, topics.township_alerts(HOME)) as home, \
               TopicReader(kafka, topics.township_alerts(ELSEWHERE)) as elsewhere:
        await api.submit("power_supply", "power_usage", [_power(code, "2026-09", 3_000, township=ELSEWHERE)])
        pick = _about(code, rule="meter_township_conflict")
        (at_home,) = pick(await home.read_until(pick))
        (there,) = pick(await elsewhere.read_until(pick))
    assert at_home["event_id"] == there["event_id"]
    payload = at_home["payload"]
    assert payload["township_code"] == HOME and payload["also_townships"] == [ELSEWHERE]
    assert payload["facts"]["question"] == "jurisdiction"

    async def in_worklist(township: str):
        reply = await api.as_township(township, "GET", "feedback", f"/v1/alerts/{payload['alert_id']}")
        return reply.json() if reply.status_code == 200 else None
    for township in (HOME, ELSEWHERE):  # both see it, each with its own key
        assert (await eventually(lambda: in_worklist(township), what=f"the alert in {township}'s worklist"))["rule"] == \
            "meter_township_conflict"


async def test_a_correction_that_takes_the_data_away_withdraws_the_alert_and_says_so(api, kafka):
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}电子有限公司", COUNTED)
    before = await api.overview_of(COUNTED)
    async with TopicReader(kafka, topics.township_alerts(COUNTED)) as township:
        await api.submit("power_supply", "power_usage", [_power(code, "2026-09", 8_000, COUNTED)])
        await api.submit("tax", "tax_payment", [_tax(code, "2026-09", "0.00", COUNTED)])
        (alert,) = _about(code)(await township.read_until(_about(code, rule="power_without_tax")))
        alert_id = alert["payload"]["alert_id"]

        async def open_in_overview():
            row = await api.overview_of(COUNTED)
            return row if row["open_alerts"] == before["open_alerts"] + 1 else None
        await eventually(open_in_overview, what="the alert counted as open")

        # the tax office corrects September: the company did pay
        reply = await api.submit("tax", "tax_payment", [_tax(code, "2026-09", "6400.00", COUNTED)])
        assert reply.json()["corrections"] == 1, reply.text
        (withdrawn,) = _about(code, "anomaly-resolved")(await township.read_until(_about(code, "anomaly-resolved")))
    assert withdrawn["payload"]["alert_id"] == alert_id and "自动撤销" in withdrawn["payload"]["message_zh"]

    async def withdrawn_in_worklist():
        body = (await api.as_township(COUNTED, "GET", "feedback", f"/v1/alerts/{alert_id}")).json()
        return body if body["withdrawn_at"] else None
    assert "撤销" in (await eventually(withdrawn_in_worklist, what="the withdrawal in the worklist"))["withdrawn_message_zh"]
    refused = await api.as_township(COUNTED, "POST", "feedback", f"/v1/alerts/{alert_id}/acknowledge")
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "alert_withdrawn"

    async def no_longer_counted():
        row = await api.overview_of(COUNTED)
        return row if row["open_alerts"] == before["open_alerts"] else None
    await eventually(no_longer_counted, what="the withdrawn alert out of the open count")


async def test_a_correction_that_leaves_the_alert_standing_tells_the_township_what_changed(api, kafka):
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}塑料有限公司")
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        await api.submit("tax", "tax_payment", [_tax(code, "2026-08", "0.00")])
        await api.submit("power_supply", "power_usage", [_power(code, "2026-08", 25_000)])
        (alert,) = _about(code)(await township.read_until(_about(code, rule="power_without_tax")))
        alert_id = alert["payload"]["alert_id"]

        # the power company corrects August's reading: less, but still power without tax
        reply = await api.submit("power_supply", "power_usage", [_power(code, "2026-08", 18_000)])
        assert reply.json()["corrections"] == 1, reply.text
        (updated,) = _about(code, "anomaly-updated")(await township.read_until(_about(code, "anomaly-updated")))
    p = updated["payload"]
    assert (p["alert_id"], p["previous_facts"]["kwh"], p["facts"]["kwh"]) == (alert_id, 25_000, 18_000)
    assert [m["kwh"] for m in p["evidence"]["months"] if m["period"] == "2026-08"] == [18_000]
    assert len(_about(code)(township.messages)) == 1  # told as changed, not raised a second time

    async def shown_on_the_case():
        body = (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{alert_id}")).json()
        return body if body["changes_since"] else None
    case = await eventually(shown_on_the_case, what="what changed on the case")
    assert {"what_zh": "2026-08 用电（千瓦时）", "before": "25,000", "after": "18,000"} in case["changes_since"]
    assert case["changed_at"] and case["evidence"]["months"][-1]["kwh"] == 25_000  # the frozen packet stays
    assert case["state"] == "pending" and case["withdrawn_at"] is None


async def test_an_absence_rule_waits_until_the_period_closes_for_the_department_it_misses(api, kafka, platform):
    period = "2025-03"  # beyond the timeliness sweep's reach: closed only by the data arriving here
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}五金制品有限公司")
    await api.submit("tax", "tax_payment", [_tax(code, period, "26000.00")])
    facts = "select count(*) from alerting.facts where uscc = :code and period = :period"
    await eventually(lambda: db_scalar(platform, facts, code=code, period=period), what="the tax fact in alerting")
    raised = "select count(*) from alerting.alerts where uscc = :code and rule = 'tax_without_power'"
    assert await db_scalar(platform, raised, code=code) == 0  # the power company's data is not in yet
    other = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}塑料有限公司")
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        # the power company's March arrives (late): the period closes for power, everyone is judged
        await api.submit("power_supply", "power_usage", [_power(other, period, 40_000)])
        pick = _about(code, rule="tax_without_power")
        (alert,) = pick(await township.read_until(pick))
    assert alert["payload"]["period"] == period and alert["payload"]["facts"]["tax"] == 26000.0
    assert alert["payload"]["missing_departments"] == []


def test_a_broken_rule_file_stops_alerting_at_start_with_its_line(platform, tmp_path):
    ruleset = tmp_path / "ruleset.yaml"
    text = (REPO_ROOT / "services/alerting/rules/ruleset.yaml").read_text(encoding="utf-8")
    ruleset.write_text(text.replace("min_kwh: 1000", "min_kwh: 很多", 1), encoding="utf-8")
    line = next(n for n, row in enumerate(ruleset.read_text(encoding="utf-8").splitlines(), 1) if "很多" in row)
    env = {**os.environ, **platform.service_env("alerting"), "BIZPULSE_RULESET": str(ruleset), "BIZPULSE_HTTP_PORT": "0"}
    result = subprocess.run([sys.executable, "-m", "services.alerting"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"ruleset.yaml:{line}:" in result.stderr and "min_kwh" in result.stderr


@pytest.fixture
def sweeping(platform):
    """alerting sweeping every half second, with digests due at any hour (the default is hourly from 8:00)."""
    restart_with_env(platform, "alerting", {"BIZPULSE_SWEEP_SECONDS": "0.5", "BIZPULSE_DIGEST_HOUR": "0",
                                            "BIZPULSE_REFIT_QUIET_SECONDS": "1"})
    return platform


async def test_a_silence_holds_alerts_back_until_it_is_lifted_and_is_audited(api, kafka, sweeping):
    supervisor = {"Authorization": f"Bearer {sweeping.credentials.supervisor}"}
    url = f"{sweeping.url('alerting')}/v1/silences"
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}服装有限公司")
    ends = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    refused = await api.client.post(url, headers=supervisor, json={"rule": "no_such_rule", "ends_at": ends, "reason": "试验"})
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "rule_unknown"
    township_key = {"Authorization": f"Bearer {sweeping.credentials.townships[HOME]}"}
    assert (await api.client.post(url, headers=township_key, json={"ends_at": ends, "reason": "试验"})).status_code == 403
    created = await api.client.post(url, headers=supervisor, json={
        "rule": "power_without_tax", "uscc": code, "ends_at": ends, "reason": "企业汛期停产，税务已知悉"})
    assert created.status_code == 201, created.text
    silence = created.json()
    assert silence["active"] and silence["created_by"].startswith("supervisor:")

    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        await api.submit("power_supply", "power_usage", [_power(code, "2026-09", 9_000)])
        await api.submit("tax", "tax_payment", [_tax(code, "2026-09", "0.00")])
        held = "select silenced_by::text from alerting.alerts where uscc = :code and rule = 'power_without_tax'"
        assert await eventually(lambda: db_scalar(sweeping, held, code=code), what="the finding, held") == silence["silence_id"]
        lifted = await api.client.delete(f"{url}/{silence['silence_id']}", headers=supervisor)
        assert lifted.status_code == 200 and lifted.json()["lifted_by"].startswith("supervisor:") and not lifted.json()["active"]
        messages = await township.read_until(_about(code, rule="power_without_tax"))
    assert len(_about(code, rule="power_without_tax")(messages)) == 1  # published once, after the lift
    again = await api.client.delete(f"{url}/{silence['silence_id']}", headers=supervisor)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "silence_ended"
    listed = (await api.client.get(url, headers=supervisor, params={"active": "false"})).json()
    assert silence["silence_id"] in {s["silence_id"] for s in listed}  # the audit trail keeps it


async def test_a_passed_deadline_is_announced_once_and_townships_get_a_daily_digest(api, kafka, sweeping):
    township_code = ELSEWHERE
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}食品有限公司", township=township_code)
    async with TopicReader(kafka, topics.township_alerts(township_code)) as township:
        await api.submit("power_supply", "power_usage", [_power(code, "2026-09", 9_000, township=township_code)])
        await api.submit("tax", "tax_payment", [{**_tax(code, "2026-09", "0.00"), "township_code": township_code}])
        (alert,) = _about(code)(await township.read_until(_about(code, rule="power_without_tax")))
        alert_id = alert["payload"]["alert_id"]
        due = "select acknowledge_due from alerting.alerts where alert_id = :id"
        assert await db_scalar(sweeping, due, id=alert_id) is not None  # working days from its severity
        # as if two working days had passed without the township acknowledging it
        await db_execute(sweeping, "update alerting.alerts set acknowledge_due = current_date - 3 where alert_id = :id",
                         id=alert_id)
        overdue = _about(code, "alert-deadline-passed")
        (passed,) = overdue(await township.read_until(overdue))
        digests = await township.read_until(lambda ms: any(json_value(m)["event_type"] == "township-digest" for m in ms))
    assert passed["payload"]["deadline"] == "acknowledge" and passed["payload"]["severity"] == "high"
    (digest,) = [json_value(m) for m in digests if json_value(m)["event_type"] == "township-digest"]
    assert digest["payload"]["township_code"] == township_code and digest["payload"]["open_by_rule"]["power_without_tax"] >= 1
    assert "预警汇总" in digest["payload"]["message_zh"]


async def test_supervisors_see_the_intervals_in_force_with_their_sample_size(api, platform):
    reply = await api.as_supervisor("alerting", "/v1/intervals")
    assert reply.status_code == 200, reply.text
    configured = [i for i in reply.json() if i["source"] == "configured"]
    assert {"industry": "C13", "county": None, "sample_size": 0}.items() <= configured[0].items()
    township = await api.as_township(HOME, "GET", "alerting", "/v1/intervals")
    assert township.status_code == 403


async def test_drops_ratios_and_losses_reach_the_township_as_their_records_arrive(api, kafka):
    falling = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}织造有限公司")
    cheap = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}棉纺有限公司")  # C13: the city's interval 0.05–1.5 元/千瓦时
    losing = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}印染有限公司")
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        # 用电骤降: 120,000 kWh in May, 20,000 in June (neither touched by the Spring Festival)
        await api.submit("power_supply", "power_usage", [_power(falling, "2026-05", 120_000), _power(falling, "2026-06", 20_000),
                                                         _power(cheap, "2026-06", 100_000)])
        # 税电比异常: 2,000 元 of tax on 100,000 kWh is 0.02 元/千瓦时, below the industry's 0.05
        await api.submit("tax", "tax_payment", [_tax(falling, "2026-05", "30000.00"), _tax(falling, "2026-06", "6000.00"),
                                                 _tax(cheap, "2026-06", "2000.00")])
        # 持续亏损: four quarters of losses from the finance department
        await api.submit("finance", "finance_indicator", [
            {"uscc": losing, "township_code": HOME, "period": quarter, "indicator": "net_profit", "value": value}
            for quarter, value in (("2025-Q4", "-12.5"), ("2026-Q1", "-30"), ("2026-Q2", "-8.2"), ("2026-Q3", "-15"))])
        wanted = {(falling, "power_drop"), (cheap, "tax_power_ratio"), (losing, "persistent_losses")}

        def arrived(messages):
            return wanted <= {(v["payload"]["uscc"], v["payload"]["rule"]) for m in messages
                              if (v := json_value(m))["event_type"] == "anomaly-detected"}
        messages = await township.read_until(arrived)
    found = {(v["payload"]["uscc"], v["payload"]["rule"]): v["payload"] for m in messages
             if (v := json_value(m))["event_type"] == "anomaly-detected"}
    assert found[(falling, "power_drop")]["period"] == "2026-06"
    assert found[(cheap, "tax_power_ratio")]["facts"]["interval_source"] == "configured"
    assert found[(losing, "persistent_losses")]["period"] == "2026-Q3"


async def test_a_period_closing_judges_peers_and_dormant_entities(api, kafka, sweeping):
    """Peers and absences need the whole period: they are judged when it closes for both departments,
    and again once the records the matcher links after the closing have settled."""
    dormant = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}鞋业有限公司")
    peers = [await _register(api, f"兴宁{uuid.uuid4().hex[:4]}{n}号塑料制品有限公司", industry_code="C2927") for n in range(32)]
    outlier = peers.pop()
    period = "2025-10"  # beyond the sweep's reach: closed by the data arriving in this test
    # seen working in March, then nothing from April (long_term_suspension needs six quiet months)
    await api.submit("power_supply", "power_usage", [_power(dormant, "2025-03", 30_000)])
    await api.submit("tax", "tax_payment", [_tax(dormant, "2025-03", "9000.00")] +
                     [_tax(code, period, f"{6000 + 37 * n}.00") for n, code in enumerate(peers)] +
                     [_tax(outlier, period, "300.00")])
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        # the power company's October arrives: the period closes for power (tax closed with the tax above)
        await api.submit("power_supply", "power_usage", [_power(code, period, 40_000) for code in (*peers, outlier)])
        wanted = {(dormant, "long_term_suspension"), (outlier, "tax_vs_peers")}

        def arrived(messages):
            return wanted <= {(v["payload"]["uscc"], v["payload"]["rule"]) for m in messages
                              if (v := json_value(m))["event_type"] == "anomaly-detected"}
        messages = await township.read_until(arrived, timeout=120)
    found = {(v["payload"]["uscc"], v["payload"]["rule"]): v["payload"] for m in messages
             if (v := json_value(m))["event_type"] == "anomaly-detected"}
    assert found[(dormant, "long_term_suspension")]["facts"]["from_period"] == "2025-05"
    assert found[(outlier, "tax_vs_peers")]["period"] == period
    assert not {code for code, rule in found if rule == "tax_vs_peers"} & set(peers)  # the peers are the usual


@pytest.fixture
def small_closing_pages(sweeping):
    """alerting judging closed periods three entities per transaction (the default is 2,000)."""
    restart_with_env(sweeping, "alerting", {"BIZPULSE_CLOSING_PAGE": "3"})
    yield sweeping
    restart_with_env(sweeping, "alerting", {"BIZPULSE_CLOSING_PAGE": "2000"})


async def test_a_closing_over_many_pages_judges_every_entity_exactly_once(api, kafka, small_closing_pages):
    """A closing is judged a page per transaction from a cursor it keeps: over many pages every
    entity is judged once, and each absence it finds is published once."""
    period = "2024-05"  # beyond the timeliness sweep's reach: closed by the data arriving in this test
    producing = [await _register(api, f"兴宁{uuid.uuid4().hex[:4]}{n}号五金制品有限公司") for n in range(7)]
    declaring = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}贸易有限公司")
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        await api.submit("power_supply", "power_usage", [_power(code, period, 20_000) for code in producing])
        # the tax office's May arrives (late) with one declaration: the period closes for tax, and the
        # producing companies declared nothing
        await api.submit("tax", "tax_payment", [_tax(declaring, period, "3000.00")])
        wanted = {(code, "power_without_tax") for code in producing}

        def arrived(messages):
            return wanted <= {(v["payload"]["uscc"], v["payload"]["rule"]) for m in messages
                              if (v := json_value(m))["event_type"] == "anomaly-detected"}
        await township.read_until(arrived, timeout=120)
        population = ("select count(*) from (select uscc from alerting.facts where period between :first and :period"
                      " union select uscc from alerting.entities) known")
        finished = "select judged from alerting.closings where period = :period and finished_at is not null"

        async def judged_once_each():
            judged = await db_scalar(small_closing_pages, finished, period=period)
            known = await db_scalar(small_closing_pages, population, first=shift(period, -LOOKBACK_MONTHS), period=period)
            return (judged, known) if judged == known else None
        _, known = await eventually(judged_once_each, timeout=120, what="the closing finished, every entity judged once")
        messages = await township.read_until(lambda _: True)  # and what it published since
    assert known > 3 * 10  # many pages
    published = Counter((v["payload"]["uscc"], v["payload"]["rule"]) for m in messages
                        if (v := json_value(m))["event_type"] == "anomaly-detected")
    assert {key: published[key] for key in wanted} == dict.fromkeys(wanted, 1)


@pytest.fixture
def slow_settling(sweeping):
    """alerting's closings waiting for 20 s of quiet (the default is 5): time for a second department's
    record to arrive while the period settles, on a machine of any speed."""
    restart_with_env(sweeping, "alerting", {"BIZPULSE_CLOSING_SETTLE_SECONDS": "20"})
    yield sweeping
    restart_with_env(sweeping, "alerting", {"BIZPULSE_CLOSING_SETTLE_SECONDS": "5"})


async def test_a_record_judged_while_its_period_settles_leaves_the_absences_to_the_closing(api, kafka, slow_settling):
    """Both departments have closed the month, but one entity's tax record is still on its way when its
    power record is judged: the township must not get 用电无税 "无纳税记录" and then have it withdrawn.
    The closing judges the absences once the records are in, and the entity that really paid nothing
    is alerted then, once."""
    period = "2024-09"  # beyond the timeliness sweep's reach: closed by the data arriving in this test
    paying = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}五金制品有限公司")
    silent = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}塑料制品有限公司")
    declaring = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}贸易有限公司")
    closed = "select count(*) from alerting.closures where period = :period"
    fact = "select count(*) from alerting.facts where uscc = :code and period = :period"
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        # the tax office's September arrives (late) with one declaration: the period closes for tax
        await api.submit("tax", "tax_payment", [_tax(declaring, period, "3000.00")])
        await eventually(lambda: db_scalar(slow_settling, closed, period=period), what="September closed for tax")
        # then the power company's: closed for power too, and both producers' power is judged
        await api.submit("power_supply", "power_usage", [_power(code, period, 20_000) for code in (paying, silent)])

        async def both_closed_and_judged():
            ready = (await db_scalar(slow_settling, closed, period=period) == 2
                     and all([await db_scalar(slow_settling, fact, code=c, period=period) for c in (paying, silent)]))
            return ready or None
        await eventually(both_closed_and_judged, what="September closed for power, the power facts in alerting")
        # the paying entity's tax record comes in behind its power record
        await api.submit("tax", "tax_payment", [_tax(paying, period, "9000.00")])

        async def tax_in():
            return await db_scalar(slow_settling, fact, code=paying, period=period) == 2 or None
        await eventually(tax_in, what="the tax fact in alerting")
        pick = _about(silent, rule="power_without_tax")
        (alert,) = pick(await township.read_until(pick, timeout=120))
        messages = await township.read_until(lambda _: True)
    assert alert["payload"]["period"] == period and "无纳税记录" in alert["payload"]["message_zh"]
    told = [(v["event_type"], v["payload"]["rule"], v["payload"].get("message_zh")) for m in messages
            if (v := json_value(m))["payload"].get("uscc") == paying and v["payload"].get("period") == period]
    assert told == []  # neither raised nor withdrawn: nothing to chase (other tests' closings judge it elsewhen)


async def test_an_alert_follows_its_record_when_a_correction_links_it_to_another_entity(api, kafka, platform):
    first = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}建材有限公司")
    second = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}建材贸易有限公司")
    await api.submit("tax", "tax_payment", [_tax(first, "2026-09", "0.00"), _tax(second, "2026-09", "0.00")])
    facts = "select count(*) from alerting.facts where uscc in (:a, :b)"
    assert await eventually(lambda: _at_least(2, db_scalar(platform, facts, a=first, b=second)), what="both declarations")
    meter = {**_power(first, "2026-09", 15_000), "power_account": f"M{uuid.uuid4().hex[:10]}"}
    async with TopicReader(kafka, topics.township_alerts(HOME)) as township:
        await api.submit("power_supply", "power_usage", [meter])
        await township.read_until(_about(first, rule="power_without_tax"))
        # the power company corrects the meter's owner: the month's power was the second company's
        reply = await api.submit("power_supply", "power_usage", [{**meter, "uscc": second}])
        assert reply.json()["corrections"] == 1, reply.text
        withdrawn = _about(first, "anomaly-resolved")
        raised = _about(second, rule="power_without_tax")
        messages = await township.read_until(lambda ms: withdrawn(ms) and raised(ms))
    assert withdrawn(messages)[0]["payload"]["rule"] == "power_without_tax"


async def _at_least(n: int, count) -> bool:
    return (await count) >= n
