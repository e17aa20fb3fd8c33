"""The read-only database role of Grafana's business dashboard (idempotent):
`python -m deploy.readers` with BIZPULSE_DATABASE_URL (the platform's owner) and
BIZPULSE_GRAFANA_DB_PASSWORD (or _FILE).

Leaders' and ops' shared figures are read straight from analytics' read models, so Grafana logs in
as `grafana_reader`: it may read the `analytics` schema (tables made later by migrations too) and
nothing else — not the cases, photos and notes of feedback, not ingest's records — and every
session it opens is read-only with a statement timeout, so a heavy panel cannot hold the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

ROLE = "grafana_reader"
SCHEMA = "analytics"
STATEMENT_TIMEOUT = "10s"
PASSWORD_ENV = "BIZPULSE_GRAFANA_DB_PASSWORD"  # init's environment: read here, not a service setting


def _password() -> str:
    path = os.environ.get(f"{PASSWORD_ENV}_FILE")
    password = Path(path).read_text().strip() if path else os.environ.get(PASSWORD_ENV, "")
    if len(password) < 16:
        raise SystemExit("BIZPULSE_GRAFANA_DB_PASSWORD（或 _FILE）须为至少 16 个字符的口令 (grafana_password_missing)")
    return password


async def grant(database_url: str, password: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(
                f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') "
                f"THEN CREATE ROLE {ROLE} LOGIN; END IF; END $$"))
            # DDL takes no bind parameters: the server quotes the password as a literal itself
            alter = (await conn.execute(sa.text(f"SELECT format('ALTER ROLE {ROLE} WITH LOGIN PASSWORD %L', CAST(:p AS text))"),
                                        {"p": password})).scalar_one()
            await conn.execute(sa.text(alter))
            database = (await conn.execute(sa.text("SELECT current_database()"))).scalar_one()
            for statement in (
                f'GRANT CONNECT ON DATABASE "{database}" TO {ROLE}',
                f"GRANT USAGE ON SCHEMA {SCHEMA} TO {ROLE}",
                f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {ROLE}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {SCHEMA} GRANT SELECT ON TABLES TO {ROLE}",
                f"ALTER ROLE {ROLE} SET default_transaction_read_only = on",
                f"ALTER ROLE {ROLE} SET statement_timeout = '{STATEMENT_TIMEOUT}'",
            ):
                await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    asyncio.run(grant(os.environ["BIZPULSE_DATABASE_URL"], _password()))
    print(f"{ROLE}: may read schema {SCHEMA}")


if __name__ == "__main__":
    main()
