"""matcher: learned links (townships' decisions), the records waiting for one, and the sources
linked to each entity.

Revision ID: matcher_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "matcher_0003"
down_revision = "matcher_0002"
SCHEMA = "matcher"


def upgrade() -> None:
    op.create_table(
        "learned_links",
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("usccs", ARRAY(sa.Text), nullable=False),
        sa.Column("shares", ARRAY(sa.Float), nullable=False),
        sa.Column("feedback_id", sa.Uuid, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "pending_records",
        sa.Column("record_id", sa.Uuid, primary_key=True),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("record", JSONB, nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("pending_by_source_key", "pending_records", ["department", "source_key"], schema=SCHEMA)
    op.create_table(
        "linked_sources",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("family", sa.Text, nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("linked_sources", schema=SCHEMA)
    op.drop_table("pending_records", schema=SCHEMA)
    op.drop_table("learned_links", schema=SCHEMA)
