"""Each service's Alembic history produces exactly the tables its code declares."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local.processes import SERVICES

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
