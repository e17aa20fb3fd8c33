"""Each service's storage: its Alembic history produces exactly the tables its code declares, and
its inbox of processed event ids is pruned after the retention."""

import asyncio
import importlib
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local.processes import SERVICES
from shared.db.migrations import upgrade
from tests.integration.harness import db_execute, db_scalar, eventually, restart_with_env

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_the_declared_tables(platform, service):
    metadata = importlib.import_module(f"services.{service}.storage.tables").metadata
    engine = create_async_engine(platform.database_url)

    def diff(connection):
        context = MigrationContext.configure(
            connection,
            opts={"include_schemas": True, "include_name": lambda name, kind, _: kind != "schema" or name == metadata.schema},
        )
        return compare_metadata(context, metadata)

    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    differences = [d for d in differences if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert differences == []


async def test_processed_event_ids_are_forgotten_after_the_retention(platform):
    old, recent = uuid.uuid4(), uuid.uuid4()
    await db_execute(platform, "insert into feedback.processed_events (event_id, topic, processed_at) values "
                     "(:old, 't', now() - interval '40 days'), (:recent, 't', now() - interval '2 days')",
                     old=old, recent=recent)
    restart_with_env(platform, "feedback", {"BIZPULSE_INBOX_PRUNE_SECONDS": "0.5"})
    count = "select count(*) from feedback.processed_events where event_id = :id"

    async def old_forgotten():
        return await db_scalar(platform, count, id=old) == 0

    await eventually(old_forgotten, timeout=30, what="the 40-day-old event id pruned")
    assert await db_scalar(platform, count, id=recent) == 1


async def test_the_power_climate_migration_fills_the_months_kept_before_it(platform):
    """Migration 0014 on a database kept by the code before it: each entity-month gets its base month's
    daily kWh and the rollup its 用电景气 counts, as the consumers would have kept them."""
    name = f"migrate_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(platform.database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"CREATE DATABASE {name}"))
    url = platform.database_url.rsplit("/", 1)[0] + f"/{name}"
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(upgrade, "analytics", url, "analytics_0013")
        async with engine.begin() as connection:
            # February 2026's festival month is compared with January 2025's: 80 a day against 100
            # (below), 20 against 10 (not), and a newcomer without last year's figure (not compared)
            await connection.execute(text(
                "INSERT INTO analytics.entity_months (uscc, period, township_code, industry_section, entity_name, kwh, kwh_reported)"
                " VALUES ('slower', '2025-01', '445224101', 'C', 's', 3100, 3100), ('slower', '2026-02', '445224101', 'C', 's', 2240, NULL),"
                " ('busier', '2025-01', '445224101', 'C', 'b', 310, 310), ('busier', '2026-02', '445224101', 'C', 'b', 560, 560),"
                " ('newcomer', '2026-02', '445224101', 'C', 'n', 1000, 1000)"))
            await connection.execute(text(
                "INSERT INTO analytics.area_months (period, township_code, section, entities, entities_reported, kwh_entities, kwh)"
                " SELECT period, township_code, industry_section, count(*), count(kwh_reported), count(kwh), sum(kwh)"
                " FROM analytics.entity_months GROUP BY 1, 2, 3"))
        await asyncio.to_thread(upgrade, "analytics", url)
        async with engine.connect() as connection:
            bases = dict((await connection.execute(text(
                "SELECT uscc, base_daily_kwh FROM analytics.entity_months WHERE period = '2026-02'"))).all())
            climate = (await connection.execute(text(
                "SELECT kwh_compared, kwh_below, kwh_compared_reported, kwh_below_reported FROM analytics.area_months"
                " WHERE period = '2026-02'"))).one()
        assert bases == {"slower": 100.0, "busier": 10.0, "newcomer": None}
        assert tuple(climate) == (2, 1, 1, 0)  # as reported, the slower plant's February was not yet known
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        await admin.dispose()
