"""analytics: the outbox's dead letters (events the broker refused for good).

Revision ID: analytics_0003
"""

from alembic import op

from shared.db.messaging_tables import create_outbox_dead_letters

revision = "analytics_0003"
down_revision = "analytics_0002"
SCHEMA = "analytics"


def upgrade() -> None:
    create_outbox_dead_letters(op, SCHEMA)


def downgrade() -> None:
    op.drop_table("outbox_dead_letters", schema=SCHEMA)
