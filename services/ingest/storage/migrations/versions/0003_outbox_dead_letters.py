"""ingest: the outbox's dead letters (events the broker refused for good).

Revision ID: ingest_0003
"""

from alembic import op

from shared.db.messaging_tables import create_outbox_dead_letters

revision = "ingest_0003"
down_revision = "ingest_0002"
SCHEMA = "ingest"


def upgrade() -> None:
    create_outbox_dead_letters(op, SCHEMA)


def downgrade() -> None:
    op.drop_table("outbox_dead_letters", schema=SCHEMA)
