"""The alert lists and tallies on analytics' real tables, against the alerts themselves counted here:
长期停业和亏损企业锁定分析's and 异常纳税行为预警's lists (one row per entity and rule, its newest live alert
read whole with the number of its live alerts, in the lists' order, page by page — what
repository.list_alerts(per_entity=True) ranks by keys alone), and 经济管理监管分析's counts by state and
median hours to 签收 and 办结 (repository.alert_tallies)."""

import random
import statistics
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.analytics.domain.overview import ALERT_ACKNOWLEDGED, ALERT_OPEN, ALERT_RESOLVED
from services.analytics.storage import repository
from tests.integration.harness import new_uscc, townships_of

pytestmark = pytest.mark.integration

TOWNSHIPS = townships_of("445224")[4:7]
MONTHS = ["2018-01", "2018-02", "2018-03", "2018-04"]  # months no other test writes
RULES = ("long_term_suspension", "persistent_losses")


def _alerts(r: random.Random) -> list[dict]:
    """Entities with one to three alerts of a rule in different months, some withdrawn."""
    rows = []
    for township in TOWNSHIPS:
        for _ in range(12):
            uscc = new_uscc(township[:6])
            for rule in r.sample(RULES, r.randint(1, 2)):
                for month in r.sample(MONTHS, r.randint(1, 3)):
                    rows.append({
                        "alert_id": uuid.uuid4(), "township_code": township, "rule": rule, "uscc": uscc, "period": month,
                        "month": month, "status_rank": 1, "detected_at": datetime(2018, 5, 1, tzinfo=UTC),
                        "entity_name": f"列表测试{uscc[-5:]}", "severity": "medium", "message_zh": f"{rule} {month}",
                        "facts": {"months": r.randint(3, 9)}, "evidence_months": None,
                    })
    return rows


def _expected(rows: list[dict], withdrawn: set) -> list[tuple]:
    """(rule, uscc, its newest live alert, its live alerts) in the lists' order."""
    newest: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        if row["alert_id"] not in withdrawn:
            newest.setdefault((row["rule"], row["uscc"]), []).append(row)
    ranked = [(rule, uscc, max(mine, key=lambda a: (a["month"], -int(a["alert_id"].hex, 16))), len(mine))
              for (rule, uscc), mine in newest.items()]
    ranked.sort(key=lambda e: (e[0], [-ord(c) for c in e[2]["month"]], e[2]["township_code"], e[1]))
    return [(rule, uscc, newest["alert_id"], n) for rule, uscc, newest, n in ranked]


async def test_the_lists_hold_each_entity_once_with_its_newest_live_alert_page_by_page(platform):
    r = random.Random(7)
    rows = _alerts(r)
    withdrawn = {row["alert_id"] for row in r.sample(rows, len(rows) // 5)}
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.connect() as connection:
            written = await connection.begin()  # rolled back: the other tests' lists never see these alerts
            try:
                session = AsyncSession(bind=connection)
                await repository.upsert_alerts(session, rows)
                await repository.withdraw_alerts(session, [{"alert_id": a, "withdrawn_at": datetime(2018, 6, 1, tzinfo=UTC)}
                                                           for a in withdrawn])
                area = TOWNSHIPS[0][:6]
                expected = _expected(rows, withdrawn)
                listed = []
                for offset in range(0, len(expected) + 10, 10):  # page by page, as the lists are read
                    page = await repository.list_alerts(session, area, MONTHS[0], MONTHS[-1], list(RULES), None, 10, offset,
                                                        per_entity=True)
                    listed += [(a["rule"], a["uscc"], a["alert_id"], a["alerts"]) for a in page]
                    assert all(a["facts"]["months"] >= 3 and a["message_zh"].startswith(a["rule"]) for a in page)  # read whole
                assert listed == expected and len({(rule, uscc) for rule, uscc, _, _ in listed}) == len(listed)
                assert any(n > 1 for *_, n in listed)  # entities with several live alerts are among them
                one = await repository.list_alerts(session, TOWNSHIPS[1], MONTHS[1], MONTHS[2], [RULES[0]], None, 100, 0,
                                                   per_entity=True)
                narrowed = [row for row in rows if row["township_code"] == TOWNSHIPS[1] and row["rule"] == RULES[0]
                            and MONTHS[1] <= row["month"] <= MONTHS[2]]
                assert [(a["rule"], a["uscc"], a["alert_id"], a["alerts"]) for a in one] == _expected(narrowed, withdrawn)
            finally:
                await written.rollback()
    finally:
        await engine.dispose()


def _handled(r: random.Random) -> list[dict]:
    """Alerts in every state, 签收 and 办结 some hours after detection."""
    rows = []
    for township in TOWNSHIPS:
        for _ in range(40):
            detected = datetime(2018, 5, 1, tzinfo=UTC) + timedelta(minutes=r.randint(0, 600))
            rank = r.choice((ALERT_OPEN, ALERT_ACKNOWLEDGED, ALERT_RESOLVED))
            acknowledged = detected + timedelta(minutes=r.randint(5, 3000)) if rank >= ALERT_ACKNOWLEDGED else None
            resolved = acknowledged + timedelta(minutes=r.randint(5, 9000)) if rank == ALERT_RESOLVED else None
            uscc = new_uscc(township[:6])
            rows.append({"alert_id": uuid.uuid4(), "township_code": township, "rule": r.choice(RULES), "uscc": uscc,
                         "period": (month := r.choice(MONTHS)), "month": month, "status_rank": rank, "detected_at": detected,
                         "acknowledged_at": acknowledged, "resolved_at": resolved, "entity_name": f"处置测试{uscc[-5:]}"})
    return rows


async def test_the_handling_tallies_count_each_state_and_the_median_hours(platform):
    """经济管理监管分析's counts and medians per rule, township and month, against the alerts counted here."""
    r = random.Random(5)
    rows = _handled(r)
    withdrawn = {row["alert_id"] for row in r.sample(rows, 15)}
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.connect() as connection:
            written = await connection.begin()
            try:
                session = AsyncSession(bind=connection)
                await repository.upsert_alerts(session, rows)
                await repository.withdraw_alerts(session, [{"alert_id": a, "withdrawn_at": datetime(2018, 6, 1, tzinfo=UTC)}
                                                           for a in withdrawn])
                tallies = await repository.alert_tallies(session, TOWNSHIPS[0][:6], MONTHS[0], MONTHS[-1], [])
            finally:
                await written.rollback()
    finally:
        await engine.dispose()
    mine = [row for row in rows if row["township_code"] in TOWNSHIPS]

    def expected(group: list[dict]) -> tuple:
        live = [a for a in group if a["alert_id"] not in withdrawn]
        hours = lambda later: [(a[later] - a["detected_at"]).total_seconds() / 3600 for a in live if a[later]]  # noqa: E731
        return (sum(a["status_rank"] == ALERT_OPEN for a in live), sum(a["status_rank"] == ALERT_ACKNOWLEDGED for a in live),
                sum(a["status_rank"] == ALERT_RESOLVED for a in live), len(group) - len(live),
                statistics.median(hours("acknowledged_at")), statistics.median(hours("resolved_at")))

    def tallied(row) -> tuple:
        return (row["open"], row["acknowledged"], row["resolved"], row["withdrawn"],
                pytest.approx(row["hours_to_acknowledge"], abs=1e-9), pytest.approx(row["hours_to_resolve"], abs=1e-9))

    for group, column in (("rule", "rule"), ("township", "township_code"), ("month", "month")):
        keys = sorted({row[column] for row in mine})
        assert {row["key"]: tallied(row) for row in tallies[group]} == {
            key: expected([a for a in mine if a[column] == key]) for key in keys}, group
    [everything] = tallies["all"]
    assert tallied(everything) == expected(mine)
