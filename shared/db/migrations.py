"""Alembic, one migration history per service, each in its own schema.

`python -m services.<name> migrate` upgrades that service's schema to head; the shared env
below is what each service's `migrations/env.py` calls.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

REPO_ROOT = Path(__file__).resolve().parents[2]


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Upgrade the service's schema to `revision` (a test stops at an older one to check a later
    migration on the rows kept before it)."""
    config = Config()
    config.set_main_option("script_location", str(REPO_ROOT / "services" / service / "storage" / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    command.upgrade(config, revision)


def run_env(metadata: sa.MetaData) -> None:
    """Body of a service's alembic env.py (online mode only: migrations always run against a DB)."""
    schema = metadata.schema
    url = context.config.get_main_option("sqlalchemy.url")

    def migrate(connection: sa.Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await connection.commit()
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
