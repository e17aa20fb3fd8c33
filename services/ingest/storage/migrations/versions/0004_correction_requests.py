"""ingest: correction requests (数据错误) a township's finding sends to a department.

Revision ID: ingest_0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "ingest_0004"
down_revision = "ingest_0003"
SCHEMA = "ingest"


def upgrade() -> None:
    op.create_table(
        "correction_requests",
        sa.Column("request_id", sa.Uuid, primary_key=True),
        sa.Column("feedback_id", sa.Uuid, nullable=False),
        sa.Column("alert_id", sa.Uuid, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("records", JSONB, nullable=False),
        sa.Column("record_ids", ARRAY(sa.Uuid), nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=True),
        sa.Column("uscc", sa.Text, nullable=True),
        sa.Column("period", sa.Text, nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'answered')", name="correction_requests_status"),
        schema=SCHEMA,
    )
    op.create_index(
        "correction_requests_by_department", "correction_requests",
        ["department", sa.text("requested_at DESC"), "request_id"], schema=SCHEMA,
    )
    op.create_index(
        "correction_requests_open_records", "correction_requests", ["record_ids"], schema=SCHEMA,
        postgresql_using="gin", postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_table("correction_requests", schema=SCHEMA)
