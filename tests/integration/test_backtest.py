"""Backtests against the running platform: an alert raised from department data is found again by
the rule set in force and lost by a stricter one, a township's resolution counts as confirmed,
only supervisors may run one, a broken proposal is refused with its line; the operator's command
prints the same comparison."""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from deploy.local.infra import REPO_ROOT
from tests.integration.harness import db_execute, db_scalar, eventually
from tests.integration.test_alerting_rules import HOME, _power, _register, _tax

pytestmark = pytest.mark.integration

PERIOD = "2025-07"  # no other test's data: the rows below are this test's alone
RULESET = (REPO_ROOT / "services/alerting/rules/ruleset.yaml").read_text(encoding="utf-8")


def _row(report: dict, rule: str) -> dict:
    (row,) = [r for r in report["rows"] if (r["rule"], r["period"], r["township_code"]) == (rule, PERIOD, HOME)]
    return row


async def _submit(api, ruleset: str = RULESET):
    body = {"ruleset": ruleset, "first": PERIOD, "last": PERIOD}
    return await api.as_supervisor("alerting", "/v1/backtests", method="POST", json=body)


async def _backtest(api, ruleset: str = RULESET) -> dict:
    """A backtest as a supervisor runs one: submitted, followed until done, its report read."""
    queued = await _submit(api, ruleset)
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued" and queued.json()["report"] is None

    async def finished():
        job = (await api.as_supervisor("alerting", queued.headers["Location"])).json()
        return job if job["status"] in ("done", "failed") else None
    job = await eventually(finished, timeout=300, what="the backtest done")
    assert job["status"] == "done", job["error"]
    assert job["pages_done"] >= 1 and job["pages_done"] <= job["pages_total"] and job["requested_by"] == "supervisor:445200"
    return job["report"]


async def test_a_backtest_finds_todays_alert_and_a_stricter_rule_set_loses_it(api, platform, tmp_path):
    code = await _register(api, f"兴宁{uuid.uuid4().hex[:4]}包装有限公司")
    await api.submit("power_supply", "power_usage", [_power(code, PERIOD, 8_000)])
    await api.submit("tax", "tax_payment", [_tax(code, PERIOD, "0.00")])
    raised = "select alert_id from alerting.alerts where uscc = :code and rule = 'power_without_tax'"
    alert_id = await eventually(lambda: db_scalar(platform, raised, code=code), what="the power_without_tax alert")

    report = await _backtest(api)
    row = _row(report, "power_without_tax")
    assert row["name_zh"] == "用电无税" and row["county"] == HOME[:6]
    assert row["would_fire"] >= 1 and row["currently_open"] >= 1 and row["would_disappear"] == 0

    stricter = RULESET.replace("min_kwh: 1000", "min_kwh: 9000", 1)
    row = _row(await _backtest(api, stricter), "power_without_tax")
    assert row["would_disappear"] >= 1 and row["would_fire"] == 0

    # the township verifies and resolves it: the rule's alerts count as confirmed
    resolved = await api.as_township(HOME, "POST", "feedback", f"/v1/alerts/{alert_id}/resolve", json={"note": "已核实，补报", "disposition": "confirmed_rectified"})
    assert resolved.status_code == 200, resolved.text

    async def resolved_in_alerting():
        return await db_scalar(platform, "select status from alerting.alerts where alert_id = :id", id=alert_id) == "resolved"
    await eventually(resolved_in_alerting, what="the resolution in alerting")
    row = _row(await _backtest(api), "power_without_tax")
    assert row["handled"] >= 1 and row["confirmed"] >= 1 and row["confirmed_share"] == 1.0

    # the operator's command: the same comparison, printed and as JSON
    proposal, out = tmp_path / "proposal.yaml", tmp_path / "report.json"
    proposal.write_text(stricter, encoding="utf-8")
    result = _command(platform, "--ruleset", str(proposal), "--from", PERIOD, "--to", PERIOD, "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "用电无税（power_without_tax）" in result.stdout and "合计" in result.stdout
    assert _row(json.loads(out.read_text(encoding="utf-8")), "power_without_tax")["confirmed_missed"] >= 1


async def test_only_supervisors_backtest_and_a_broken_proposal_is_refused_with_its_line(api, platform, tmp_path):
    body = {"ruleset": RULESET, "first": PERIOD, "last": PERIOD}
    township = await api.as_township(HOME, "POST", "alerting", "/v1/backtests", json=body)
    assert township.status_code == 403
    assert (await api.as_township(HOME, "GET", "alerting", "/v1/backtests")).status_code == 403
    broken = RULESET.replace("min_kwh: 1000", "min_kwh: 很多", 1)
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if "很多" in row)
    refused = await _submit(api, broken)
    assert refused.status_code == 422 and refused.json()["detail"]["code"] == "ruleset_invalid"
    assert refused.json()["detail"]["line"] == line and f"第 {line} 行" in refused.json()["detail"]["message"]
    too_long = await api.as_supervisor("alerting", "/v1/backtests", method="POST",
                                       json={**body, "first": "2023-01", "last": "2026-12"})
    assert too_long.status_code == 422 and too_long.json()["detail"]["code"] == "request_invalid"

    proposal = tmp_path / "broken.yaml"
    proposal.write_text(broken, encoding="utf-8")
    result = _command(platform, "--ruleset", str(proposal))
    assert result.returncode == 2 and f"broken.yaml:{line}:" in result.stderr and "min_kwh" in result.stderr


_STAGED = ("insert into alerting.backtests (backtest_id, requested_by, area, first, last, ruleset, ruleset_version,"
           " status, submitted_at, started_at, heartbeat_at) values (:id, 'supervisor:445200', '4452', :period, :period,"
           " :ruleset, 'staged', 'running', now() - interval '2 hours', now() - interval '2 hours', :beat)")


async def test_a_backtest_whose_instance_died_is_taken_again_and_a_person_queues_a_few_at_most(api, platform):
    """A job left running by an instance that stopped beating (killed mid-replay) is replayed by
    another; three jobs queued or running are as many as one person may have."""
    died = uuid.uuid4()
    await db_execute(platform, _STAGED, id=died, period=PERIOD, ruleset=RULESET, beat=datetime.now(UTC) - timedelta(hours=1))

    async def replayed():
        job = (await api.as_supervisor("alerting", f"/v1/backtests/{died}")).json()
        return job if job["status"] == "done" else None
    job = await eventually(replayed, timeout=300, what="the dead instance's backtest replayed")
    assert job["report"]["first"] == PERIOD and job["started_at"] > "2000" and job["pages_done"] >= 1
    listed = (await api.as_supervisor("alerting", "/v1/backtests")).json()
    assert died in {uuid.UUID(j["backtest_id"]) for j in listed} and all(j["report"] is None for j in listed)

    beating = [uuid.uuid4() for _ in range(3)]  # running elsewhere, alive
    for backtest_id in beating:
        await db_execute(platform, _STAGED, id=backtest_id, period=PERIOD, ruleset=RULESET,
                         beat=datetime.now(UTC) + timedelta(days=1))
    try:
        full = await _submit(api)
        assert full.status_code == 429 and full.json()["detail"]["code"] == "backtest_queue_full"
        assert full.headers["Retry-After"] == "60"
    finally:
        await db_execute(platform, "delete from alerting.backtests where backtest_id = any(:ids)", ids=beating)
    assert (await api.as_supervisor("alerting", f"/v1/backtests/{uuid.uuid4()}")).status_code == 404


def _command(platform, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **platform.service_env("alerting")}
    return subprocess.run([sys.executable, "-m", "services.alerting", "backtest", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
