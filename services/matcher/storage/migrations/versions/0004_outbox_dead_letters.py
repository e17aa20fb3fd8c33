"""matcher: the outbox's dead letters (events the broker refused for good).

Revision ID: matcher_0004
"""

from alembic import op

from shared.db.messaging_tables import create_outbox_dead_letters

revision = "matcher_0004"
down_revision = "matcher_0003"
SCHEMA = "matcher"


def upgrade() -> None:
    create_outbox_dead_letters(op, SCHEMA)


def downgrade() -> None:
    op.drop_table("outbox_dead_letters", schema=SCHEMA)
