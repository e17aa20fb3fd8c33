"""alerting: facts, alerts, outbox, inbox.

Revision ID: alerting_0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db.messaging_tables import create_messaging_tables

revision = "alerting_0001"
down_revision = None
SCHEMA = "alerting"


def upgrade() -> None:
    create_messaging_tables(op, SCHEMA)
    op.create_table(
        "facts",
        sa.Column("record_id", sa.Uuid, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("entity_name", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("facts_by_entity_month", "facts", ["uscc", "period"], schema=SCHEMA)
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Uuid, primary_key=True),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("alerts", "facts", "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
