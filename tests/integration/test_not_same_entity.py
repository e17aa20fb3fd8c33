"""非同一主体 over the real broker, database and services: a township verifies that a power account is
not the registered business its name resembles; the matcher never links the account to it again,
and the township can still link the account to the business it really is."""

import uuid

import pytest

from shared import topics
from tests.integration.harness import TopicReader, db_scalar, eventually, json_value, new_uscc, townships_of

pytestmark = pytest.mark.integration

TOWNSHIP = townships_of("445224")[3]  # its own: other tests read their township's topic


def _usage(account: str, name: str, period: str) -> dict:
    return {"power_account": account, "account_name": name, "township_code": TOWNSHIP, "period": period, "kwh": 800.0}


def _of(messages, account: str) -> list[dict]:
    return [v for m in messages if (v := json_value(m))["payload"]["record"]["source_key"] == account]


def _candidates(event_or_case: dict) -> set[str]:
    return {c["uscc"] for c in event_or_case.get("candidates", event_or_case.get("payload", {}).get("candidates", []))}


async def _case(api, case_id: str) -> dict:
    response = await api.as_township(TOWNSHIP, "GET", "feedback", f"/v1/match-cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def _decide(api, case_id: str, **decision) -> None:
    response = await api.as_township(TOWNSHIP, "POST", "feedback", f"/v1/match-cases/{case_id}/decision", json=decision)
    assert response.status_code == 200, response.text


async def test_not_same_entity_stops_the_link_and_an_explicit_link_to_another_still_works(api, kafka, platform):
    tag = uuid.uuid4().hex[:4]
    resembled, other = new_uscc("445224"), new_uscc("445224")
    response = await api.submit("market_regulation", "registration", [
        {"uscc": resembled, "name": f"惠来县{tag}五金制品有限公司", "township_code": TOWNSHIP},
        {"uscc": other, "name": f"惠来县{tag}塑料包装有限公司", "township_code": TOWNSHIP}])
    assert response.json()["accepted"] == 2, response.text
    account, holder = f"NS{tag}{uuid.uuid4().hex[:6]}", f"惠来县{tag}五金制品厂"
    async with TopicReader(kafka, topics.RECORD_MATCHED) as matched, TopicReader(kafka, topics.MATCH_FAILED) as failed:
        await api.submit("power_supply", "power_usage", [_usage(account, holder, "2026-08")])

        async def opened():
            listed = await api.as_township(TOWNSHIP, "GET", "feedback", "/v1/match-cases", params={"status": "open"})
            return next((c for c in listed.json() if c["source_key"] == account), None)
        case = await eventually(opened, what=f"an open match case for {account}")
        assert resembled in _candidates(case)  # the name resembles it, not enough to link it by itself
        await _decide(api, case["case_id"], action="not_same_entity", usccs=[resembled],
                      note="现场核实：该户为五金加工作坊，与该公司无关")

        # the held record is matched again at once without it, and goes back to the township
        again = await failed.read_until(lambda ms: len(_of(ms, account)) >= 2)
        assert [resembled in _candidates(e) for e in _of(again, account)] == [True, False]

        async def reopened():
            body = await _case(api, case["case_id"])
            return body if body["status"] == "open" and resembled not in _candidates(body) else None
        await eventually(reopened, what="the case back for review without the refused entity")
        assert await db_scalar(platform, "SELECT count(*) FROM matcher.cannot_links WHERE source_key = :key",
                               key=account) == 1

        # the next month's record of the account: matched with the constraint, not linked to it
        await api.submit("power_supply", "power_usage", [_usage(account, holder, "2026-09")])
        september = await failed.read_until(
            lambda ms: any(e["payload"]["record"]["period"] == "2026-09" for e in _of(ms, account)))
        (later,) = [e for e in _of(september, account) if e["payload"]["record"]["period"] == "2026-09"]
        assert resembled not in _candidates(later)

        async def both_held():
            body = await _case(api, case["case_id"])
            return body if body["status"] == "open" and len(body["record_ids"]) == 2 else None
        await eventually(both_held, what="the case holding both months")

        # the account's records are still linkable to another entity, by the township's explicit link
        await _decide(api, case["case_id"], action="link", usccs=[other], note="现场核实：系塑料包装公司租用厂房用电")
        linked = await matched.read_until(lambda ms: len(_of(ms, account)) >= 2)
        assert {(e["payload"]["record"]["period"], e["payload"]["uscc"], e["payload"]["method"])
                for e in _of(linked, account)} == {("2026-08", other, "learned"), ("2026-09", other, "learned")}

        await api.submit("power_supply", "power_usage", [_usage(account, holder, "2026-10")])
        october = await matched.read_until(
            lambda ms: any(e["payload"]["record"]["period"] == "2026-10" for e in _of(ms, account)))
    assert {e["payload"]["uscc"] for e in _of(october, account)} == {other}  # never the refused entity
    # the link named another entity: the constraint for the refused one stands
    assert await db_scalar(platform, "SELECT uscc FROM matcher.cannot_links WHERE source_key = :key",
                           key=account) == resembled
