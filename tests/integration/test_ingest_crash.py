"""kill -9 ingest during a 200,000-row file import by the CLI, restart it: exactly 200,000 records
arrive downstream — none lost between the database and Kafka, none doubled by the retries."""

import asyncio
import csv
import os
import subprocess
import sys

import pytest

from deploy.local.infra import REPO_ROOT
from tests.integration.harness import db_scalar, eventually, townships_of

pytestmark = pytest.mark.integration

ROWS = 200_000
PERIOD = "2025-01"
# counts below are of this import's accounts alone: other tests of the suite send 2025-01 power too
OWN = "left(source_key, 2) = 'KX'"


def _write_file(path) -> None:
    townships = townships_of("445281")
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["用电户号", "户名", "乡镇（街道）代码", "所属期", "用电量（千瓦时）"])
        for i in range(ROWS):
            # holders like no registered name (another test registers "…测试…贸易有限公司"): the
            # matcher answers quickly, and this stays a test of intake, not of fuzzy matching's cost
            writer.writerow([f"KX{i:09d}", f"崩溃户{i}", townships[i % len(townships)], PERIOD, 100 + i % 900])


async def test_kill_9_ingest_during_a_200k_row_import_delivers_each_row_once(platform, tmp_path):
    path = tmp_path / "power_usage_2025-01.csv"
    _write_file(path)
    cli = subprocess.Popen(
        [sys.executable, "-m", "services.ingest.cli", "import", str(path), "--url", platform.url("ingest"),
         "--batch-rows", "2000", "--retry-seconds", "120"],
        cwd=REPO_ROOT, env={**os.environ, "BIZPULSE_INGEST_KEY": platform.credentials.departments["power_supply"],
                            "COLUMNS": "200"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    stored = f"select count(*) from ingest.records where kind = 'power_usage' and period = :p and {OWN}"

    async def import_under_way():
        return await db_scalar(platform, stored, p=PERIOD) >= 40_000

    await eventually(import_under_way, timeout=120, what="import a fifth done")
    platform.services["ingest"].kill()
    at_kill = await db_scalar(platform, stored, p=PERIOD)
    await asyncio.sleep(1)
    platform.restart("ingest")
    output, _ = await asyncio.to_thread(cli.communicate, timeout=600)
    print(f"\ningest killed with {at_kill:,} of {ROWS:,} rows stored\n{output[-1500:]}")
    assert 0 < at_kill < ROWS
    assert cli.returncode == 0, output

    assert await db_scalar(platform, stored, p=PERIOD) == ROWS
    assert await db_scalar(platform, f"select max(version) from ingest.records where period = :p and {OWN}", p=PERIOD) == 1
    # downstream = through the matcher too: analytics has each record and its match outcome
    own_downstream = (f"from analytics.records a join ingest.records i using (record_id)"
                      f" where a.kind = 'power_usage' and a.period = :p and {OWN.replace('source_key', 'i.source_key')}")
    downstream = f"select count(*) {own_downstream} and a.match_rank > 0"

    async def all_downstream():
        return await db_scalar(platform, downstream, p=PERIOD) >= ROWS

    await eventually(all_downstream, timeout=420, interval=1, what="every row matched and in analytics")
    await asyncio.sleep(2)
    assert await db_scalar(platform, downstream, p=PERIOD) == ROWS
    assert await db_scalar(platform, f"select max(a.version) {own_downstream}", p=PERIOD) == 1
