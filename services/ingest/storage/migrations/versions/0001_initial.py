"""ingest: records, submissions, outbox, inbox.

Revision ID: ingest_0001
"""

import sqlalchemy as sa
from alembic import op

from shared.db.messaging_tables import create_messaging_tables

revision = "ingest_0001"
down_revision = None
SCHEMA = "ingest"


def upgrade() -> None:
    create_messaging_tables(op, SCHEMA)
    op.create_table(
        "records",
        sa.Column("record_id", sa.Uuid, primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("accepted", sa.Integer, nullable=False),
        sa.Column("corrections", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("submissions_by_department_period", "submissions", ["department", "kind", "received_at"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("submissions", "records", "processed_events", "outbox"):
        op.drop_table(table, schema=SCHEMA)
