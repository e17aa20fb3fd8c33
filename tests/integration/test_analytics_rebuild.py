"""Analytics rebuilt from Kafka (`python -m services.analytics rebuild`, shared/service/rebuild.py) over the
real broker, database and services: records imported through ingest (registrations, power, tax, a
correction, an alert acknowledged by its township) fill the read models; analytics is stopped, its
tables are rebuilt by replaying the topics, and they come back identical. Restarted, analytics goes
on from where the rebuild stopped: a new record is applied once and nothing before it again."""

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, OffsetSpec, ResourceType
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.analytics.app import build
from shared.service.rebuild import committed, offsets, partitions
from shared.topics import consumer_group
from tests.integration.harness import (
    applied,
    db_scalar,
    eventually,
    new_uscc,
    operator_command,
    power_row,
    raise_alert,
    registered,
    tax_row,
    townships_of,
)

pytestmark = pytest.mark.integration

HOME = townships_of("445224")[3]
PERIOD = "2026-11"
SPEC = build()
TOPICS = sorted({s.topic for s in SPEC.subscriptions(None)})
# every table of the schema but what analytics publishes (nothing): stated here, not taken from the rebuild's own list
TABLES = [t for t in SPEC.metadata.sorted_tables if t.name not in ("outbox", "outbox_dead_letters")]
# processed_at is when this process applied the event, applied_at when it banded its tables by its
# 规模档 file: times of processing, not the events' content (the replay writes its own). Every
# read-model column comes from the events.
TIME_OF_PROCESSING = {"processed_events": {"processed_at"}, "applied_files": {"applied_at"}}


# A rollup keeps a zero row for a group an entity-month or record passed through (it moved on when
# its registration or link arrived): which groups it passed through depends on the order events of
# different topics arrived in, so only the rows that count something are compared.
EMPTY_GROUPS = {"area_months": "entities + entities_reported > 0", "kind_months": "entities + entities_reported > 0",
                "record_counts": "records <> 0"}


async def _snapshot(platform) -> dict[str, list[dict]]:
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.connect() as connection:
            snapshot = {}
            for table in TABLES:
                columns = [c.name for c in table.columns if c.name not in TIME_OF_PROCESSING.get(table.name, ())]
                order = ", ".join(c.name for c in table.primary_key.columns)
                where = EMPTY_GROUPS.get(table.name, "true")
                # Rows with a township are compared in this test's township only: in the full suite alerting goes
                # on judging other tests' periods (closings, deadlines), so their alerts can arrive between the
                # snapshot and the rebuild's end offsets and are rightly in the rebuilt tables.
                if "township_code" in table.columns:
                    where = f"({where}) AND township_code = '{HOME}'"
                elif table.name == "figure_records":
                    where = f"uscc IN (SELECT uscc FROM analytics.entity_months WHERE township_code = '{HOME}')"
                rows = await connection.execute(
                    text(f"SELECT {', '.join(columns)} FROM {table.schema}.{table.name} WHERE {where} ORDER BY {order}"))
                snapshot[table.name] = [dict(row._mapping) for row in rows]
            return snapshot
    finally:
        await engine.dispose()


async def _settled(kafka) -> bool:
    """Analytics' group has committed every message of every topic it reads."""
    admin = AdminClient(kafka.librdkafka())
    ends = await offsets(admin, partitions(admin, TOPICS), OffsetSpec.latest())
    done = await committed(admin, consumer_group("analytics"))
    return all(done.get(tp, 0) >= end for tp, end in ends.items())


async def test_a_rebuild_from_kafka_gives_the_same_tables_and_analytics_resumes_behind_it(api, platform, kafka):
    # deploy.topics gave the topics analytics replays an unlimited retention on the real broker
    admin = AdminClient(kafka.librdkafka())
    described = admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic) for topic in TOPICS])
    assert {r.name: f.result()["retention.ms"].value for r, f in described.items()} == dict.fromkeys(TOPICS, "-1")

    plant = {"uscc": new_uscc(HOME[:6]), "name": "惠来县重建五金制品有限公司", "township_code": HOME, "industry_code": "3311"}
    shop = {"uscc": new_uscc(HOME[:6]), "name": "惠来县重建百货商行有限公司", "township_code": HOME, "industry_code": "5212"}
    await api.submit_all("market_regulation", "registration", [plant, shop])
    await registered(platform, plant["uscc"], shop["uscc"])
    await api.submit_all("power_supply", "power_usage", [power_row(plant, PERIOD, 1000.0), power_row(shop, PERIOD, 500.0)])
    await api.submit_all("tax", "tax_payment", [tax_row(plant, PERIOD, "300.00"), tax_row(shop, PERIOD, "80.00")])
    await api.submit_all("power_supply", "power_usage", [power_row(plant, PERIOD, 1200.0)])  # a correction
    case_id, name = await raise_alert(api, platform, HOME)
    acted = await api.as_township(HOME, "POST", "feedback", f"/v1/cases/{case_id}/acts", json={"action": "acknowledge"})
    assert acted.status_code < 300, acted.text

    corrected = "SELECT kwh FROM analytics.entity_months WHERE uscc = :uscc AND period = :period"
    await eventually(lambda: _equals(db_scalar(platform, corrected, uscc=plant["uscc"], period=PERIOD), 1200.0),
                     what="the correction in analytics")
    acknowledged = "SELECT count(*) FROM analytics.alerts WHERE entity_name = :name AND acknowledged_at IS NOT NULL"
    await eventually(lambda: db_scalar(platform, acknowledged, name=name), what="the acknowledged alert in analytics")
    await eventually(lambda: _settled(kafka), what="analytics caught up with every topic")

    # while analytics consumes, the rebuild refuses, and changes nothing
    refused = await operator_command(platform, "analytics", "rebuild", returncode=2)
    assert "错误[consumer_running]" in refused
    process = platform.services["analytics"]
    try:
        # stopped at a moment it has every event, so the snapshot holds them all: alerting may still publish
        # other tests' judgements, and one that arrives just before the stop is read again after a restart
        for _ in range(5):
            process.stop()
            if await _settled(kafka):
                break
            process.start()
            process.wait_ready()
            await eventually(lambda: _settled(kafka), what="analytics caught up again")
        else:
            pytest.fail("events kept arriving on analytics' topics: no quiet moment to stop at")
        before = await _snapshot(platform)
        assert all(before[t] for t in ("entities", "records", "alerts", "figure_records", "entity_months", "processed_events"))

        output = await operator_command(platform, "analytics", "rebuild")
        print(output)  # its progress and summary, shown with -s or on failure
        assert "rebuilt from" in output and "events_deleted" not in output and all(f"  {topic}: " in output for topic in TOPICS), output
        after = await _snapshot(platform)
        for table in before:
            if table == "processed_events":  # alerting goes on publishing other tests' judgements meanwhile
                assert {tuple(r.values()) for r in before[table]} <= {tuple(r.values()) for r in after[table]}
            else:
                assert after[table] == before[table], f"analytics.{table} differs after the rebuild"
    finally:  # the tests after this one need analytics, whatever happened here
        # restarted, analytics resumes behind the rebuild: only the new record is applied
        process.start()
        process.wait_ready()
    late = {"uscc": new_uscc(HOME[:6]), "name": "惠来县重建之后贸易有限公司", "township_code": HOME, "industry_code": "5212"}
    await api.submit_all("market_regulation", "registration", [late])
    counted = "SELECT count(*) FROM analytics.entities WHERE entity_key = :uscc"
    await eventually(lambda: db_scalar(platform, counted, uscc=late["uscc"]), what="the new registration in analytics")
    await eventually(lambda: _settled(kafka), what="analytics caught up after its restart")
    metrics = await api.metrics("analytics")
    assert applied(metrics, "analytics", "record-imported") == 1
    # an event read again would be skipped by the (rebuilt) inbox and counted as a duplicate: none was
    duplicates = {topic: applied(metrics, "analytics", topic, "duplicate") for topic in TOPICS}
    assert not any(duplicates.values()), duplicates
    now = await _snapshot(platform)
    assert len(now["entities"]) == len(before["entities"]) + 1 and len(now["records"]) == len(before["records"]) + 1
    for table in ("alerts", "figure_records", "entity_months"):
        assert now[table] == before[table], f"analytics.{table} changed by a registration"


async def _equals(value, expected) -> bool:
    return await value == expected
