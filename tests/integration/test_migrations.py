"""Each service's storage: its Alembic history produces exactly the tables its code declares, and
its inbox of processed event ids is pruned after the retention."""

import importlib
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local.processes import SERVICES
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
