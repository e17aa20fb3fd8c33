"""The backbone flow over the real broker, database and five service processes:
registration + power + tax posted to ingest → record-matched → alert on the township's topic
(read by a plain aiokafka consumer) → acknowledged and resolved through the feedback API →
analytics shows it resolved."""

import time

import pytest

from shared import topics

from tests.integration.harness import TopicReader, db_scalar, eventually, json_value, new_uscc, townships_of

pytestmark = pytest.mark.integration


async def test_power_without_tax_flows_from_import_to_resolution(api, kafka, platform):
    township = townships_of("445203")[0]
    code = new_uscc("445203")
    registration = {
        "uscc": code, "name": "揭阳市揭东区恒发五金制品有限公司", "township_code": township,
        "address": "广东省揭阳市揭东区曲溪街道工业路8号", "industry_code": "3311",
        "legal_representative": "陈志明",
    }
    power = {"power_account": f"P{code[-10:]}", "uscc": code, "account_name": registration["name"],
             "township_code": township, "period": "2026-10", "kwh": 18250.0}
    tax = {"taxpayer_id": code, "uscc": code, "taxpayer_name": registration["name"],
           "township_code": township, "period": "2026-10", "amount": "0.00"}
    before = await api.overview_of(township)

    async with TopicReader(kafka, topics.township_alerts(township)) as township_topic, \
               TopicReader(kafka, topics.RECORD_MATCHED) as matched_topic:
        for department, kind, record in [("market_regulation", "registration", registration), ("tax", "tax_payment", tax)]:
            reply = await api.submit(department, kind, [record])
            assert reply.status_code == 200, reply.text
            assert reply.json()["accepted"] == 1
        # October is past the tax office's deadline: power alone would already be 用电无税 (no tax
        # record); with the zero declaration in first, the alert says what the tax office reported
        facts = "select count(*) from alerting.facts where uscc = :code"
        await eventually(lambda: db_scalar(platform, facts, code=code), what="the zero declaration in alerting")
        posted = time.perf_counter()
        assert (await api.submit("power_supply", "power_usage", [power])).json()["accepted"] == 1

        def alert_for_us(messages):
            return [m for m in messages if json_value(m)["event_type"] == "anomaly-detected"
                    and json_value(m)["payload"]["uscc"] == code]

        alerts = alert_for_us(await township_topic.read_until(alert_for_us))
        latency = time.perf_counter() - posted
        print(f"\nrecord-to-alert latency (power record POST → alert on {topics.township_alerts(township)}): {latency * 1000:.0f} ms")
        matched = await matched_topic.read_until(
            lambda ms: {json_value(m)["payload"]["record"]["kind"] for m in ms if json_value(m)["payload"]["uscc"] == code}
            >= {"power_usage", "tax_payment"}
        )

    alert = json_value(alerts[0])
    assert len(alerts) == 1
    assert alert["payload"]["rule"] == "power_without_tax"
    assert alert["payload"]["facts"] == {"kwh": 18250.0, "tax": 0.0}
    assert (alert["payload"]["severity"], alert["payload"]["ruleset_version"]) == ("high", "2026.12.2")
    assert alert["payload"]["township_code"] == township
    assert "纳税为零" in alert["payload"]["message_zh"]
    ours = [json_value(m) for m in matched if json_value(m)["payload"]["uscc"] == code]
    assert {m["payload"]["method"] for m in ours} == {"exact_uscc"}
    # the registration is its own entity's record: the rules learn the registry from it
    assert {m["payload"]["record"]["kind"] for m in ours} == {"registration", "power_usage", "tax_payment"}
    # traceability: the alert's correlation id is one of its records' ids, and it names both figures' records
    record_ids = {m["payload"]["record"]["record_id"] for m in ours if m["payload"]["record"]["kind"] != "registration"}
    assert set(alert["payload"]["record_ids"]) == record_ids
    assert alert["correlation_id"] in record_ids
    # personal data never reaches Kafka raw
    assert all("陈志明" not in m.value.decode() for m in matched)

    alert_id = alert["payload"]["alert_id"]

    async def visible_in_feedback():
        r = await api.as_township(township, "GET", "feedback", "/v1/alerts")
        return [a for a in r.json() if a["alert_id"] == alert_id]

    await eventually(visible_in_feedback, what="alert on the township's worklist")

    ack = await api.as_township(township, "POST", "feedback", f"/v1/alerts/{alert_id}/acknowledge", json={})
    assert ack.status_code == 200, ack.text
    assert (ack.json()["state"], ack.json()["state_zh"]) == ("acknowledged", "已签收")
    again = await api.as_township(township, "POST", "feedback", f"/v1/alerts/{alert_id}/acknowledge", json={})
    assert again.status_code == 409 and again.json()["detail"]["code"] == "already_acknowledged"
    no_note = await api.as_township(township, "POST", "feedback", f"/v1/alerts/{alert_id}/resolve", json={"note": ""})
    assert no_note.status_code == 422 and no_note.json()["detail"]["code"] == "note_required"
    done = await api.as_township(
        township, "POST", "feedback", f"/v1/alerts/{alert_id}/resolve",
        json={"note": "已实地核实：该企业10月停产检修，税款已于11月补缴", "disposition": "confirmed_rectified"},
    )
    assert done.status_code == 200, done.text
    assert [h["action"] for h in done.json()["history"]] == ["acknowledge", "resolve"]

    async def resolved_in_analytics():
        row = await api.overview_of(township)
        return row if row["resolved_alerts"] == before["resolved_alerts"] + 1 else None

    row = await eventually(resolved_in_analytics, what="analytics showing the alert resolved")
    assert row["entities"] == before["entities"] + 1
    assert row["matched_records"] == before["matched_records"] + 2
    assert row["open_alerts"] == before["open_alerts"]
    assert row["acknowledged_alerts"] == before["acknowledged_alerts"]


async def test_every_service_reports_health_readiness_and_metrics(api, platform):
    for name in ("ingest", "matcher", "alerting", "feedback", "analytics"):
        base = platform.url(name)
        assert (await api.client.get(f"{base}/healthz")).json()["status"] == "ok"
        ready = await api.client.get(f"{base}/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"kafka": True, "database": True}
    matcher = await api.metrics("matcher")
    names = {name for name, _ in matcher}
    assert {"faststream_received_messages_total", "bizpulse_match_outcomes_total", "bizpulse_consumer_lag",
            "bizpulse_events_handled_total", "bizpulse_outbox_published_total"} <= names
    received = sum(v for (n, labels), v in matcher.items() if n == "faststream_received_messages_total")
    assert received > 0
