"""analytics: entities, records, alerts read models, outbox, inbox.

Revision ID: analytics_0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db.messaging_tables import create_messaging_tables

revision = "analytics_0001"
down_revision = None
SCHEMA = "analytics"


def upgrade() -> None:
    create_messaging_tables(op, SCHEMA)
    op.create_table(
        "entities",
        sa.Column("entity_key", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("industry_code", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("entities_by_township", "entities", ["township_code"], schema=SCHEMA)
    op.create_table(
        "records",
        sa.Column("record_id", sa.Uuid, primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=True),
        sa.Column("uscc", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("match_rank", sa.SmallInteger, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("records_by_township", "records", ["township_code"], schema=SCHEMA)
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Uuid, primary_key=True),
        sa.Column("township_code", sa.Text, nullable=True),
        sa.Column("rule", sa.Text, nullable=True),
        sa.Column("uscc", sa.Text, nullable=True),
        sa.Column("period", sa.Text, nullable=True),
        sa.Column("status_rank", sa.SmallInteger, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_index("alerts_by_township", "alerts", ["township_code"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("alerts", "records", "entities", "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
