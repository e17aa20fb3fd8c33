"""matcher: the townships' 非同一主体 decisions, entities a source key is never linked to.

Revision ID: matcher_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "matcher_0006"
down_revision = "matcher_0005"
SCHEMA = "matcher"


def upgrade() -> None:
    op.create_table(
        "cannot_links",
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("feedback_id", sa.Uuid, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("cannot_links", schema=SCHEMA)
