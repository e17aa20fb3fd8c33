"""kill -9 the matcher in the middle of a stream of 10,000 records, restart it: nothing is lost
and nothing is counted twice."""

import asyncio

import pytest

from shared import topics
from tests.integration.harness import applied as _applied, entities_with_power, eventually, townships_of

pytestmark = pytest.mark.integration

ENTITIES = 5_000  # 5,000 registrations + 5,000 power records = 10,000 records
BATCH = 500


async def test_kill_9_matcher_mid_stream_loses_and_doubles_nothing(api, platform):
    township = townships_of("445224")[0]
    registrations, power = entities_with_power(township, ENTITIES, name="测试", account="CR")
    before = await api.overview_of(township)
    applied_before = _applied(await api.metrics("analytics"), "analytics", topics.RECORD_MATCHED)

    async def post(department, kind, rows):
        for start in range(0, len(rows), BATCH):
            reply = await api.submit(department, kind, rows[start : start + BATCH])
            assert reply.status_code == 200 and reply.json()["accepted"] == len(rows[start : start + BATCH]), reply.text

    await post("market_regulation", "registration", registrations)
    feeding = asyncio.create_task(post("power_supply", "power_usage", power))

    async def matching_under_way():
        row = await api.overview_of(township)
        return row["matched_records"] - before["matched_records"] >= 500

    await eventually(matching_under_way, what="matcher in the middle of the stream")
    platform.services["matcher"].kill()
    killed_at = (await api.overview_of(township))["matched_records"] - before["matched_records"]
    await feeding
    platform.restart("matcher")

    async def all_matched():
        row = await api.overview_of(township)
        return row if row["matched_records"] - before["matched_records"] >= ENTITIES else None

    row = await eventually(all_matched, timeout=180, what="every power record matched after the restart")
    await asyncio.sleep(2)  # let any redelivered duplicates arrive, so that doubling would show
    row = await api.overview_of(township)
    print(f"\nmatcher killed after {killed_at} of {ENTITIES} power records were matched")
    assert 0 < killed_at < ENTITIES, "the kill must land mid-stream"
    assert row["entities"] - before["entities"] == ENTITIES
    assert row["records"] - before["records"] == ENTITIES
    assert row["matched_records"] - before["matched_records"] == ENTITIES
    assert row["unmatched_records"] == before["unmatched_records"]
    # each registration is its own entity's record-matched, each power record one more: 2 per entity
    applied = _applied(await api.metrics("analytics"), "analytics", topics.RECORD_MATCHED) - applied_before
    assert applied == 2 * ENTITIES, f"analytics applied {applied} record-matched events for {2 * ENTITIES}"
