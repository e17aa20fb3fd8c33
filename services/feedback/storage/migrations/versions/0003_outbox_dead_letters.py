"""feedback: the outbox's dead letters (events the broker refused for good).

Revision ID: feedback_0003
"""

from alembic import op

from shared.db.messaging_tables import create_outbox_dead_letters

revision = "feedback_0003"
down_revision = "feedback_0002"
SCHEMA = "feedback"


def upgrade() -> None:
    create_outbox_dead_letters(op, SCHEMA)


def downgrade() -> None:
    op.drop_table("outbox_dead_letters", schema=SCHEMA)
