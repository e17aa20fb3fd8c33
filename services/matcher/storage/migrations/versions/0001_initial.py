"""matcher: entity registry, outbox, inbox.

Revision ID: matcher_0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db.messaging_tables import create_messaging_tables

revision = "matcher_0001"
down_revision = None
SCHEMA = "matcher"


def upgrade() -> None:
    create_messaging_tables(op, SCHEMA)
    op.create_table(
        "entities",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("record_version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("entities", "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
