"""数据错误 reaches the departments, over the real broker, database and service processes: a township resolves a
用电无税 alert as a data error; each department whose records the alert rests on gets a correction request on its
own results topic (read with its own principal) and in ingest's `GET /v1/corrections` (no one else sees it); the
department's corrected record answers it; the same finding delivered again asks nobody twice. The wait is the
department's: feedback's case page and 效能监测 show each department asked, answered or still awaited."""

import asyncio
import uuid

import orjson
import pytest

from deploy.kafka_access import department_principal, own_groups
from shared import topics
from tests.integration.harness import TopicReader, db_scalar, eventually, json_value, produce_raw, raise_alert, townships_of

pytestmark = pytest.mark.integration

TOWNSHIP = townships_of("445224")[0]  # 惠来县
NOTE = "现场核实：该户本月实际停产，供电局抄表数据录入有误"


def _requests(messages, alert_id: str) -> list[dict]:
    found = [json_value(m) for m in messages if alert_id.encode() in m.value]
    return [e for e in found if e["event_type"] == "correction-requested"]


async def _as_department(api, department: str, path: str, **params):
    key = api.platform.credentials.departments[department]
    return await api.client.get(f"{api.platform.url('ingest')}{path}", params=params,
                                headers={"Authorization": f"Bearer {key}"})


async def test_a_data_error_asks_each_department_once_and_its_correction_answers_it(api, platform, kafka):
    readers = {d: TopicReader(platform.kafka_as(department_principal(d)), topics.intake_results(d),
                              group_prefix=own_groups(department_principal(d))) for d in ("power_supply", "tax")}
    async with readers["power_supply"] as power_topic, readers["tax"] as tax_topic, \
               TopicReader(kafka, topics.FEEDBACK_SUBMITTED) as feedback_topic:
        case_id, _ = await raise_alert(api, platform, TOWNSHIP)
        resolved = await api.as_township(TOWNSHIP, "POST", "feedback", f"/v1/cases/{case_id}/acts",
                                         json={"action": "resolve", "disposition": "data_error", "note": NOTE})
        assert resolved.status_code == 200, resolved.text

        # the department reads it on its own results topic, beside the answers to its intake
        (power,) = _requests(await power_topic.read_until(lambda ms: bool(_requests(ms, case_id))), case_id)
        (tax,) = _requests(await tax_topic.read_until(lambda ms: bool(_requests(ms, case_id))), case_id)
        feedback = next(e for e in map(json_value, await feedback_topic.read_until(
            lambda ms: any(case_id.encode() in m.value and b'"resolve"' in m.value for m in ms)))
            if e["payload"]["alert_id"] == case_id and e["payload"]["action"] == "resolve")
    uscc = feedback["payload"]["uscc"]
    p = power["payload"]
    assert (p["department"], p["township_code"], p["note"], p["rule"], p["uscc"], p["period"]) == (
        "power_supply", TOWNSHIP, NOTE, "power_without_tax", uscc, "2026-10")
    assert [(r["kind"], r["source_key"], r["period"]) for r in p["records"]] == [
        ("power_usage", f"P{uscc[-10:]}", "2026-10")]
    assert "有误，请核对后重新报送" in p["message_zh"] and NOTE in p["message_zh"]
    assert power["causation_id"] == feedback["event_id"] and p["feedback_id"] == feedback["payload"]["feedback_id"]
    assert [(r["kind"], r["source_key"]) for r in tax["payload"]["records"]] == [("tax_payment", uscc)]
    assert tax["payload"]["request_id"] != p["request_id"]

    # ingest's API: the department sees its own request, newest first; no one else does
    listed = await _as_department(api, "power_supply", "/v1/corrections", limit=5)
    assert listed.status_code == 200, listed.text
    assert listed.json()[0]["request_id"] == p["request_id"]
    mine = listed.json()[0]
    assert (mine["status"], mine["status_zh"], mine["answered_at"], mine["alert_id"]) == ("open", "待核对", None, case_id)
    assert p["request_id"] in {r["request_id"] for r in (await _as_department(
        api, "power_supply", "/v1/corrections", status="open", limit=500)).json()}
    others = (await _as_department(api, "market_regulation", "/v1/corrections", limit=500)).json()
    assert p["request_id"] not in {r["request_id"] for r in others}
    hidden = await _as_department(api, "market_regulation", f"/v1/corrections/{p['request_id']}")
    assert hidden.status_code == 404 and hidden.json()["detail"]["code"] == "correction_not_found"
    township = await api.as_township(TOWNSHIP, "GET", "ingest", "/v1/corrections")
    assert township.status_code == 403

    # the finding delivered again, as it was and re-published under another event id: nobody is asked twice
    raw = orjson.dumps(feedback)
    again = {**feedback, "event_id": str(uuid.uuid4())}
    await produce_raw(kafka, topics.FEEDBACK_SUBMITTED, raw, key=case_id.encode())
    await produce_raw(kafka, topics.FEEDBACK_SUBMITTED, orjson.dumps(again), key=case_id.encode())
    seen = "SELECT count(*) FROM ingest.processed_events WHERE event_id = CAST(:id AS uuid)"
    await eventually(lambda: db_scalar(platform, seen, id=again["event_id"]), what="the second copy consumed by ingest")
    count = "SELECT count(*) FROM ingest.correction_requests WHERE feedback_id = CAST(:id AS uuid)"
    assert await db_scalar(platform, count, id=p["feedback_id"]) == 2  # power and tax, once each
    async with TopicReader(platform.kafka_as(department_principal("power_supply")), topics.intake_results("power_supply"),
                           group_prefix=own_groups(department_principal("power_supply"))) as power_topic:
        await power_topic.read_until(lambda ms: bool(_requests(ms, case_id)))
        await asyncio.sleep(2)  # the relay publishes within a moment of the commit
        await power_topic.read_until(lambda ms: True)
        assert len(_requests(power_topic.messages, case_id)) == 1

    # the department corrects the record: the request is answered, the other department's stays open
    corrected = await api.submit("power_supply", "power_usage", [
        {"power_account": f"P{uscc[-10:]}", "uscc": uscc, "account_name": "更正", "township_code": TOWNSHIP,
         "period": "2026-10", "kwh": 0.0}])
    assert corrected.status_code == 200 and corrected.json()["corrections"] == 1, corrected.text
    answer = (await _as_department(api, "power_supply", f"/v1/corrections/{p['request_id']}")).json()
    assert (answer["status"], answer["status_zh"]) == ("answered", "已重新报送") and answer["answered_at"]
    still = (await _as_department(api, "tax", f"/v1/corrections/{tax['payload']['request_id']}")).json()
    assert (still["status"], still["answered_at"]) == ("open", None)


    # the department's clock: feedback learnt of both requests and of the one answer
    async def departments_seen():
        reply = await api.as_township(TOWNSHIP, "GET", "feedback", "/v1/assessment")
        assert reply.status_code == 200, reply.text
        rows = {r["department"]: r for r in reply.json()["departments"]}
        return rows if rows.get("power_supply", {}).get("answered") else None

    rows = await eventually(departments_seen, what="the answered request in the township's assessment")
    assert (rows["power_supply"]["department_name"], rows["power_supply"]["open_now"]) == ("供电", 0)
    assert rows["power_supply"]["answer_median_hours"] is not None
    assert (rows["tax"]["answered"], rows["tax"]["open_now"]) == (0, 1)
    case = (await api.as_township(TOWNSHIP, "GET", "feedback", f"/v1/cases/{case_id}")).json()
    assert {(c["department"], c["status_zh"]) for c in case["corrections"]} == {
        ("power_supply", "已重新报送"), ("tax", "待部门更正")}
    async with TopicReader(platform.kafka_as(department_principal("power_supply")), topics.intake_results("power_supply"),
                           group_prefix=own_groups(department_principal("power_supply"))) as power_topic:
        told = [e for e in map(json_value, await power_topic.read_until(
            lambda ms: any(b"correction-answered" in m.value and case_id.encode() in m.value for m in ms)))
            if e["event_type"] == "correction-answered" and e["payload"]["alert_id"] == case_id]
    assert told[0]["payload"]["request_id"] == p["request_id"] and "已重新报送" in told[0]["payload"]["message_zh"]
