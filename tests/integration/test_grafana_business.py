"""Grafana's business dashboard over the real database: after records imported through ingest reach
analytics, every panel's SQL runs as grafana_reader (deploy/readers.py) and shows them; the role
reads nothing outside the analytics schema and writes nothing."""

import os
import subprocess
import sys

import asyncpg
import pytest

from deploy import business_dashboard, readers
from tests.integration.harness import REPO_ROOT, eventually, new_uscc, power_row, registered, tax_row, townships_of

pytestmark = pytest.mark.integration

MONTH = "2026-11"
PASSWORD = "grafana-reader-test-password"


def _as_reader(database_url: str) -> str:
    """The platform's DSN with grafana_reader as the user (asyncpg's form, no +asyncpg)."""
    dsn = database_url.replace("+asyncpg", "", 1)
    scheme, rest = dsn.split("://", 1)
    return f"{scheme}://{readers.ROLE}:{PASSWORD}@{rest.split('@', 1)[1]}"


async def test_every_business_panel_runs_as_the_read_only_reader(api, platform):
    township = townships_of("445222")[6]
    plant = {"uscc": new_uscc(township[:6]), "name": "揭西县宏业陶瓷制品有限公司", "township_code": township, "industry_code": "3071"}
    await api.submit_all("market_regulation", "registration", [plant])
    await registered(platform, plant["uscc"])
    await api.submit_all("power_supply", "power_usage", [power_row(plant, MONTH, 12000.0)])
    await api.submit_all("tax", "tax_payment", [tax_row(plant, MONTH, "800.00")])

    async def counted():
        reply = await api.as_supervisor("analytics", "/v1/entities", params={"period": MONTH, "area": township})
        rows = reply.json()
        return rows if rows and rows[0]["kwh"] and rows[0]["tax"] else None

    await eventually(counted, what="the plant's November in analytics")

    env = {**os.environ, "BIZPULSE_DATABASE_URL": platform.database_url, readers.PASSWORD_ENV: PASSWORD}
    for _ in range(2):  # idempotent: init runs it on every start
        done = subprocess.run([sys.executable, "-m", "deploy.readers"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    conn = await asyncpg.connect(_as_reader(platform.database_url))
    try:
        results = {name: await conn.fetch(sql) for name, sql in business_dashboard.QUERIES.items()}
        assert results["active_entities"][0]["在业主体"] >= 1
        monthly = {r["time"].strftime("%Y-%m"): r for r in results["monthly"]}
        assert monthly[MONTH]["纳税（元）"] >= 800.0 and monthly[MONTH]["用电（千瓦时）"] >= 12000.0
        counties = {r["县（市、区）"]: r for r in results["by_county"]}
        assert "揭西县" in counties and counties["揭西县"]["用电（千瓦时）"] >= 12000.0
        assert all(r["县（市、区）"] != "其他" for r in results["by_county"])

        # nothing outside analytics, and nothing written
        for sql in ("SELECT count(*) FROM feedback.cases", "SELECT count(*) FROM ingest.records"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetchval(sql)
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await conn.execute("DELETE FROM analytics.entities")
        assert await conn.fetchval("SHOW statement_timeout") == readers.STATEMENT_TIMEOUT
    finally:
        await conn.close()
