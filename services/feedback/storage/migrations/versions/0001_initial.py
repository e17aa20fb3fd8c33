"""feedback: alerts worklist, actions, outbox, inbox.

Revision ID: feedback_0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db.messaging_tables import create_messaging_tables

revision = "feedback_0001"
down_revision = None
SCHEMA = "feedback"


def upgrade() -> None:
    create_messaging_tables(op, SCHEMA)
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Uuid, primary_key=True),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("entity_name", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("message_zh", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("alerts_by_township_status", "alerts", ["township_code", "status"], schema=SCHEMA)
    op.create_table(
        "actions",
        sa.Column("feedback_id", sa.Uuid, primary_key=True),
        sa.Column("alert_id", sa.Uuid, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("actions_by_alert", "actions", ["alert_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("actions", "alerts", "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
