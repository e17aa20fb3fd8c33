"""analytics keeps its answers until its read models change (shared/service/read_cache.py): a repeated
read is served from the cache, and a record that changes the figures is in the very next answers."""

import pytest

from tests.integration.harness import eventually, new_uscc, power_row, registered, townships_of

pytestmark = pytest.mark.integration

HOME = townships_of("445281")[16]
PERIOD = "2026-11"


def _hits(metrics: dict) -> float:
    return sum(v for (name, labels), v in metrics.items()
               if name == "bizpulse_read_cache_total" and ("outcome", "hit") in labels and ("service", "analytics") in labels)


async def test_a_repeated_read_is_served_from_the_cache_and_new_figures_replace_it(api, platform):
    plant = {"uscc": new_uscc(HOME[:6]), "name": "普宁市宏达缓存测试五金有限公司", "township_code": HOME, "industry_code": "3311"}
    await api.submit_all("market_regulation", "registration", [plant])
    await registered(platform, plant["uscc"])
    await api.submit_all("power_supply", "power_usage", [power_row(plant, PERIOD, 1000.0)])

    async def kwh_listed() -> float | None:
        reply = await api.as_township(HOME, "GET", "analytics", "/v1/entities", params={"period": PERIOD})
        assert reply.status_code == 200, reply.text
        return next((r["kwh"] for r in reply.json() if r["uscc"] == plant["uscc"]), None)

    assert await eventually(kwh_listed, what="the month's power in the entity list") == 1000.0
    hits = _hits(await api.metrics("analytics"))
    assert await kwh_listed() == 1000.0 and await kwh_listed() == 1000.0
    assert _hits(await api.metrics("analytics")) >= hits + 2

    # the power company corrects the month: the kept answer is replaced, not served for its max age
    await api.submit_all("power_supply", "power_usage", [power_row(plant, PERIOD, 1500.0)])

    async def corrected():
        return await kwh_listed() == 1500.0

    assert await eventually(corrected, timeout=30, what="the corrected figure instead of the kept answer")
