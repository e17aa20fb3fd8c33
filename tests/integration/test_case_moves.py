"""A match case and everything in it belongs to exactly one township at a time.

Before: a case was keyed by department and source key and kept the township of its first failure,
so a power account whose later record belongs to another township joined the first township's
case (that township saw the other's record and could decide it), and a correction that moved a
record to another township left the case and the analytics record under the old one."""

import uuid

import pytest

from tests.integration.harness import eventually, townships_of

pytestmark = pytest.mark.integration

OLD, NEW = townships_of("445281")[-2:]


def _usage(account: str, township: str, period: str) -> dict:
    return {"power_account": account, "account_name": f"{account[-4:]}五金加工场", "township_code": township,
            "period": period, "kwh": 800.0}


async def _unmatched(api, township: str) -> int:
    return (await api.overview_of(township))["unmatched_records"]


async def test_a_case_follows_its_newest_record_into_another_township_and_both_see_the_move(api):
    account = f"MV{uuid.uuid4().hex[:10]}"
    before = {t: await _unmatched(api, t) for t in (OLD, NEW)}
    await api.submit("power_supply", "power_usage", [_usage(account, OLD, "2026-09")])

    async def case_in(township: str):
        response = await api.as_township(township, "GET", "feedback", "/v1/match-cases", params={"status": "open"})
        return next((c for c in response.json() if c["source_key"] == account), None)
    case = await eventually(lambda: case_in(OLD), what="the case in the first township")

    # the account's next month is in another township: the whole case goes there
    await api.submit("power_supply", "power_usage", [_usage(account, NEW, "2026-10")])
    moved = await eventually(lambda: case_in(NEW), what="the case in the township of the newest record")
    assert moved["case_id"] == case["case_id"] and len(moved["record_ids"]) == 2
    assert await case_in(OLD) is None
    hidden = await api.as_township(OLD, "GET", "feedback", f"/v1/match-cases/{case['case_id']}")
    assert hidden.status_code == 404  # the old township no longer sees the records ...
    refused = await api.as_township(OLD, "POST", "feedback", f"/v1/match-cases/{case['case_id']}/decision",
                                    json={"action": "not_registered", "note": "无照经营"})
    assert refused.status_code == 404  # ... nor may it decide the case

    detail = (await api.as_township(NEW, "GET", "feedback", f"/v1/match-cases/{case['case_id']}")).json()
    assert [(m["from_township_code"], m["to_township_code"]) for m in detail["moves"]] == [(OLD, NEW)]
    for township in (OLD, NEW):  # the move is visible to both
        moves = (await api.as_township(township, "GET", "feedback", "/v1/match-cases/moves")).json()
        (move,) = [m for m in moves if m["case_id"] == case["case_id"]]
        assert (move["from_township_code"], move["to_township_code"]) == (OLD, NEW)
        assert move["department"] == "power_supply" and "转至" in move["message_zh"]
    elsewhere = townships_of("445202")[0]
    unrelated = (await api.as_township(elsewhere, "GET", "feedback", "/v1/match-cases/moves")).json()
    assert case["case_id"] not in {m["case_id"] for m in unrelated}

    async def counted(expected: dict):
        now = {t: await _unmatched(api, t) for t in (OLD, NEW)}
        return now if now == expected else None
    await eventually(lambda: counted({OLD: before[OLD] + 1, NEW: before[NEW] + 1}), what="each record in its township")

    # the department corrects September: it was the new township all along
    await api.submit("power_supply", "power_usage", [_usage(account, NEW, "2026-09")])
    await eventually(lambda: counted({OLD: before[OLD], NEW: before[NEW] + 2}),
                     what="the corrected record counted in its new township only")
    # an older period does not move the case back, and the case still holds both records
    still = await case_in(NEW)
    assert still is not None and len(still["record_ids"]) == 2
    detail = (await api.as_township(NEW, "GET", "feedback", f"/v1/match-cases/{case['case_id']}")).json()
    assert len(detail["moves"]) == 1
