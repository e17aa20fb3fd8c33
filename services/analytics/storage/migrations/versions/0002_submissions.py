"""analytics: departments' submission timeliness.

Revision ID: analytics_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0002"
down_revision = "analytics_0001"
SCHEMA = "analytics"


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("first_arrival", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("submissions", schema=SCHEMA)
