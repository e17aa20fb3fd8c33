"""The matcher's cascade over the real broker and database: a record without a code is linked by
name and address; an ambiguous one goes to its township with the candidates."""

import uuid

import pytest

from shared import topics
from tests.integration.harness import TopicReader, json_value, new_uscc, registered, townships_of

pytestmark = pytest.mark.integration


async def test_records_without_a_code_are_linked_by_name_or_routed_with_candidates(api, kafka):
    township = townships_of("445222")[4]
    code = new_uscc("445222")
    trade = f"鸿{uuid.uuid4().hex[:2].upper()}"  # a trade name no other test uses
    name = f"揭西县{trade}茶叶有限公司"
    await api.submit("market_regulation", "registration", [
        {"uscc": code, "name": name, "township_code": township, "address": "揭西县河婆街道茶园路8号"}])
    twin_a, twin_b = new_uscc("445222"), new_uscc("445222")
    await api.submit("market_regulation", "registration", [
        {"uscc": twin_a, "name": f"揭西县{trade}鞋业有限公司", "township_code": township},
        {"uscc": twin_b, "name": f"揭西县{trade}鞋业有限责任公司", "township_code": township}])
    await registered(api.platform, code, twin_a, twin_b)  # one twin alone would be linked, rightly
    fuzzy = {"power_account": f"FZ{uuid.uuid4().hex[:8]}", "account_name": f"揭西縣{trade}茶葉有限公司",
             "township_code": township, "period": "2026-10", "kwh": 10.0}
    ambiguous = {"power_account": f"AM{uuid.uuid4().hex[:8]}", "account_name": f"{trade}鞋业",
                 "township_code": township, "period": "2026-10", "kwh": 10.0}

    async with TopicReader(kafka, topics.RECORD_MATCHED) as matched, \
               TopicReader(kafka, topics.township_alerts(township)) as township_topic:
        assert (await api.submit("power_supply", "power_usage", [fuzzy, ambiguous])).json()["accepted"] == 2
        linked = await matched.read_until(
            lambda ms: any(json_value(m)["payload"]["record"]["source_key"] == fuzzy["power_account"] for m in ms))
        routed = await township_topic.read_until(
            lambda ms: any(json_value(m)["event_type"] == "match-failed"
                           and json_value(m)["payload"]["record"]["source_key"] == ambiguous["power_account"] for m in ms))
    event = next(json_value(m) for m in linked if json_value(m)["payload"]["record"]["source_key"] == fuzzy["power_account"])
    assert event["payload"]["uscc"] == code and event["payload"]["method"] == "fuzzy_name"
    assert event["payload"]["score"] >= 0.9 and "name" in event["payload"]["explanation"]
    case = next(json_value(m) for m in routed if json_value(m)["payload"]["record"]["source_key"] == ambiguous["power_account"])
    assert case["payload"]["reason"] in ("ambiguous", "low_confidence")
    assert {c["uscc"] for c in case["payload"]["candidates"]} >= {twin_a, twin_b}
    assert "请核实" in case["payload"]["message_zh"]


def _mistyped(code: str) -> str:
    return code[:17] + next(ch for ch in "0123456789" if ch != code[17])


async def test_a_code_with_a_mistyped_check_character_is_corrected_or_routed_as_invalid(api, kafka):
    township = townships_of("445222")[5]
    code = new_uscc("445222")
    trade = f"骏{uuid.uuid4().hex[:2].upper()}"
    name = f"揭西县{trade}五金有限公司"
    await api.submit("market_regulation", "registration", [{"uscc": code, "name": name, "township_code": township}])
    await registered(api.platform, code)
    corrected = {"taxpayer_id": f"CK{uuid.uuid4().hex[:8]}", "uscc": _mistyped(code), "taxpayer_name": name,
                 "township_code": township, "period": "2026-10", "amount": "100.00"}
    invalid = {"taxpayer_id": f"IV{uuid.uuid4().hex[:8]}", "uscc": _mistyped(code), "taxpayer_name": "揭西县另一家餐饮店",
               "township_code": township, "period": "2026-10", "amount": "100.00"}

    async with TopicReader(kafka, topics.RECORD_MATCHED) as matched, \
               TopicReader(kafka, topics.township_alerts(township)) as township_topic:
        reply = await api.submit("tax", "tax_payment", [corrected, invalid])
        assert reply.json()["accepted"] == 2, reply.text  # kept, not refused: the matcher routes the code
        assert [(w["row"], w["code"]) for w in reply.json()["warnings"]] == [(1, "uscc_check_character_kept"), (2, "uscc_check_character_kept")]
        linked = await matched.read_until(
            lambda ms: any(json_value(m)["payload"]["record"]["source_key"] == corrected["taxpayer_id"] for m in ms))
        routed = await township_topic.read_until(
            lambda ms: any(json_value(m)["payload"]["record"]["source_key"] == invalid["taxpayer_id"] for m in ms))
    event = next(json_value(m) for m in linked if json_value(m)["payload"]["record"]["source_key"] == corrected["taxpayer_id"])
    assert (event["payload"]["uscc"], event["payload"]["method"]) == (code, "corrected_uscc")
    assert event["payload"]["record"]["uscc"] == _mistyped(code)  # the department's record as it came
    case = next(json_value(m) for m in routed if json_value(m)["payload"]["record"]["source_key"] == invalid["taxpayer_id"])
    assert case["payload"]["reason"] == "invalid_code" and "校验位" in case["payload"]["message_zh"]
    assert case["payload"]["candidates"][0]["uscc"] == code  # the entity the code points at, for the township to judge
    assert case["payload"]["cases"] == []  # a mistyped code is not "taxpayer without business registration"
