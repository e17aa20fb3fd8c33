"""feedback: match cases, the unmatched records' source keys a township decides.

Revision ID: feedback_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "feedback_0002"
down_revision = "feedback_0001"
SCHEMA = "feedback"


def upgrade() -> None:
    op.create_table(
        "match_cases",
        sa.Column("case_id", sa.Uuid, primary_key=True),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("message_zh", sa.Text, nullable=False),
        sa.Column("candidates", JSONB, nullable=False),
        sa.Column("record_ids", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("match_cases_by_township_status", "match_cases", ["township_code", "status"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("match_cases", schema=SCHEMA)
