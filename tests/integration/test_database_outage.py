"""PostgreSQL down: every service answers 503 with Retry-After (the request was fine, try again
later), not 500; once it is back, every service answers again without a restart."""

import asyncio

import pytest

from deploy.local.processes import SERVICES
from tests.integration.harness import eventually, townships_of

pytestmark = pytest.mark.integration


async def test_the_database_down_is_503_with_retry_after_and_then_back(api, platform):
    credentials = platform.credentials
    reads = {  # an endpoint of each service that reads the database, as its callers use it
        "ingest": ("/v1/timeliness", credentials.departments["tax"]),
        "feedback": ("/v1/alerts", credentials.townships[townships_of("445202")[0]]),
        "analytics": ("/v1/overview", credentials.supervisor),
        "matcher": ("/readyz", None),  # operations only: readiness is what reads its database
        "alerting": ("/readyz", None),
    }
    assert set(reads) == set(SERVICES)

    async def get(service: str):
        path, key = reads[service]
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return await api.client.get(f"{platform.url(service)}{path}", headers=headers)

    await asyncio.to_thread(platform.postgres.stop)
    try:
        for service in SERVICES:
            reply = await get(service)
            assert reply.status_code == 503, (service, reply.text)
            assert int(reply.headers["Retry-After"]) >= 1, service
            if reads[service][1]:
                assert reply.json()["detail"]["code"] == "service_unavailable"
                assert "数据库" in reply.json()["detail"]["message"]
            else:
                assert reply.json()["checks"] == {"kafka": True, "database": False}
    finally:
        await asyncio.to_thread(platform.postgres.start)

    async def all_answer():  # later tests find every service as before
        return all([(await get(service)).status_code == 200 for service in SERVICES])

    await eventually(all_answer, timeout=60, what="every service answering after PostgreSQL restarted")
