"""The learning loop over the real broker and database: a township decides a match case over HTTP,
the held records are linked (or confirmed unregistered, or split between the sharers of a meter),
and every later record of the same source key follows the decision without review."""

import uuid

import pytest

from shared import topics
from tests.integration.harness import TopicReader, db_scalar, eventually, json_value, new_uscc, townships_of

pytestmark = pytest.mark.integration

TOWNSHIP = townships_of("445224")[2]


def _usage(account: str, name: str, period: str, kwh: float = 1000.0) -> dict:
    return {"power_account": account, "account_name": name, "township_code": TOWNSHIP, "period": period, "kwh": kwh}


async def _register(api, *names: str) -> list[str]:
    codes = [new_uscc("445224") for _ in names]
    response = await api.submit("market_regulation", "registration", [
        {"uscc": code, "name": name, "township_code": TOWNSHIP} for code, name in zip(codes, names)])
    assert response.json()["accepted"] == len(names), response.text
    return codes


async def _open_case(api, account: str) -> dict:
    async def found():
        response = await api.as_township(TOWNSHIP, "GET", "feedback", "/v1/match-cases", params={"status": "open"})
        return next((c for c in response.json() if c["source_key"] == account), None)
    return await eventually(found, what=f"an open match case for {account}")


async def _decide(api, case: dict, **decision) -> dict:
    response = await api.as_township(
        TOWNSHIP, "POST", "feedback", f"/v1/match-cases/{case['case_id']}/decision", json=decision)
    assert response.status_code == 200, response.text
    return response.json()


def _with_wrong_check(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


def _of(messages, account: str) -> list[dict]:
    return [v for m in messages if (v := json_value(m))["payload"]["record"]["source_key"] == account]


async def test_a_township_decision_links_the_held_records_and_every_later_one(api, kafka):
    tag = uuid.uuid4().hex[:4]
    (entity,) = await _register(api, f"揭阳市惠来县{tag}渔具有限公司")
    account = f"LL{tag}{uuid.uuid4().hex[:6]}"
    holder = "陈志强"  # the meter is registered under the landlord's name (表户不一致)
    async with TopicReader(kafka, topics.RECORD_MATCHED) as matched, \
               TopicReader(kafka, topics.township_alerts(TOWNSHIP)) as township_topic:
        await api.submit("power_supply", "power_usage", [_usage(account, holder, "2026-08"), _usage(account, holder, "2026-09")])
        case = await _open_case(api, account)
        assert case["reason"] in ("no_candidate", "low_confidence") and "请核实" in case["message_zh"]
        assert len(case["record_ids"]) == 2

        refused = await api.as_township(TOWNSHIP, "POST", "feedback", f"/v1/match-cases/{case['case_id']}/decision",
                                        json={"action": "link", "usccs": [_with_wrong_check(entity)], "note": "已核实"})
        assert refused.status_code == 422 and refused.json()["detail"]["code"] == "uscc_invalid"
        decided = await _decide(api, case, action="link", usccs=[entity], note="现场核实：该表为渔具公司租用厂房用电")
        assert decided["status"] == "decided"
        again = await api.as_township(TOWNSHIP, "POST", "feedback", f"/v1/match-cases/{case['case_id']}/decision",
                                      json={"action": "not_registered", "note": "改判"})
        assert again.status_code == 409 and again.json()["detail"]["code"] == "already_decided"

        resolved = await matched.read_until(lambda ms: len(_of(ms, account)) >= 2)
        assert {e["payload"]["record"]["period"] for e in _of(resolved, account)} == {"2026-08", "2026-09"}
        assert all(e["payload"]["uscc"] == entity and e["payload"]["method"] == "learned" for e in _of(resolved, account))

        await api.submit("power_supply", "power_usage", [_usage(account, holder, "2026-10")])
        later = await matched.read_until(lambda ms: len(_of(ms, account)) >= 3)
        (october,) = [e for e in _of(later, account) if e["payload"]["record"]["period"] == "2026-10"]
        assert october["payload"]["method"] == "learned" and october["payload"]["uscc"] == entity
        # the meter is in the landlord's name, and the business has no tax registration yet
        assert set(october["payload"]["cases"]) == {"meter_under_another_name", "power_without_tax_registration"}
        routed = await township_topic.read_until(lambda ms: len(_of(ms, account)) >= 2)
    # October was linked by the decision, so it never went for review
    assert {e["payload"]["record"]["period"] for e in _of(routed, account)} == {"2026-08", "2026-09"}
    case = (await api.as_township(TOWNSHIP, "GET", "feedback", f"/v1/match-cases/{case['case_id']}")).json()
    assert case["status"] == "decided"


async def test_confirmed_unregistered_and_split_meters(api, kafka, platform):
    tag = uuid.uuid4().hex[:4]
    first, second = await _register(api, f"惠来县{tag}甲食品有限公司", f"惠来县{tag}乙包装有限公司")
    unlicensed, shared_meter = f"UR{tag}{uuid.uuid4().hex[:6]}", f"SM{tag}{uuid.uuid4().hex[:6]}"
    async with TopicReader(kafka, topics.RECORD_MATCHED) as matched, \
               TopicReader(kafka, topics.MATCH_FAILED) as failed:
        await api.submit("power_supply", "power_usage", [
            _usage(unlicensed, f"林{tag}", "2026-09"), _usage(shared_meter, f"{tag}工业园", "2026-09", kwh=3000.0)])
        await _decide(api, await _open_case(api, unlicensed), action="not_registered", note="现场核实：无照经营作坊")
        await _decide(api, await _open_case(api, shared_meter), action="split", usccs=[first, second],
                      shares=[0.25, 0.75], note="两户共用一表，按面积分摊")

        split = await matched.read_until(lambda ms: len(_of(ms, shared_meter)) >= 2)
        assert {(e["payload"]["uscc"], e["payload"]["share"]) for e in _of(split, shared_meter)} == {(first, 0.25), (second, 0.75)}

        assert all("shared_meter" in e["payload"]["cases"] for e in _of(split, shared_meter))

        async def sharers_kwh():  # each sharer's electricity as the anomaly rules see it
            rows = [await db_scalar(platform, "SELECT value FROM alerting.facts WHERE uscc = :uscc AND period = '2026-09'",
                                    uscc=code) for code in (first, second)]
            return rows if None not in rows else None
        assert await eventually(sharers_kwh, what="alerting's facts of the split meter") == [750.0, 2250.0]

        await api.submit("power_supply", "power_usage", [_usage(unlicensed, f"林{tag}", "2026-10")])
        confirmed = await failed.read_until(
            lambda ms: any(e["payload"]["reason"] == "confirmed_unregistered" for e in _of(ms, unlicensed)))
    reasons = [e["payload"]["reason"] for e in _of(confirmed, unlicensed)]
    assert reasons.count("confirmed_unregistered") >= 1
    case = await api.as_township(TOWNSHIP, "GET", "feedback", "/v1/match-cases", params={"status": "open"})
    assert unlicensed not in {c["source_key"] for c in case.json()}  # not sent for review again


async def test_a_decision_naming_an_unregistered_entity_goes_back_to_the_township(api, kafka):
    tag = uuid.uuid4().hex[:4]
    account = f"UN{tag}{uuid.uuid4().hex[:6]}"
    await api.submit("power_supply", "power_usage", [_usage(account, f"黄{tag}", "2026-09")])
    case = await _open_case(api, account)
    await _decide(api, case, action="link", usccs=[new_uscc("445224")], note="核实为某公司用电")

    async def reopened():
        response = await api.as_township(TOWNSHIP, "GET", "feedback", f"/v1/match-cases/{case['case_id']}")
        body = response.json()
        return body if body["status"] == "open" and "无商事登记记录" in body["message_zh"] else None
    assert await eventually(reopened, what="the case reopened with the matcher's reason")
    other = townships_of("445202")[0]
    hidden = await api.as_township(other, "GET", "feedback", f"/v1/match-cases/{case['case_id']}")
    assert hidden.status_code == 404


async def test_one_business_with_several_meters_and_its_tax_registration(api, kafka):
    tag = uuid.uuid4().hex[:4]
    (entity,) = await _register(api, f"惠来县{tag}纺织有限公司")
    meters = [f"MM{tag}{i}{uuid.uuid4().hex[:4]}" for i in range(2)]
    async with TopicReader(kafka, topics.RECORD_MATCHED) as matched:
        await api.submit("tax", "tax_registration", [
            {"taxpayer_id": entity, "uscc": entity, "taxpayer_name": f"惠来县{tag}纺织有限公司", "township_code": TOWNSHIP}])
        await matched.read_until(lambda ms: any(json_value(m)["payload"]["uscc"] == entity for m in ms))
        await api.submit("power_supply", "power_usage", [
            _usage(meter, f"惠来县{tag}纺织有限公司", "2026-09") | {"uscc": entity} for meter in meters])
        linked = await matched.read_until(lambda ms: sum(len(_of(ms, m)) for m in meters) >= 2)
    for meter in meters:
        (event,) = _of(linked, meter)
        assert event["payload"]["cases"] == ["several_meters"]  # 一户多表; tax-registered, in its own name
