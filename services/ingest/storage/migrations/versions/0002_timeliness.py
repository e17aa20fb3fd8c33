"""ingest: arrivals and timeliness assessments per department, kind and period.

Revision ID: ingest_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "ingest_0002"
down_revision = "ingest_0001"
SCHEMA = "ingest"


def upgrade() -> None:
    keys = [sa.Column(name, sa.Text, primary_key=True) for name in ("department", "kind", "period")]
    op.create_table(
        "arrivals",
        *keys,
        sa.Column("first_arrival", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_arrival", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "assessments",
        *(c.copy() for c in keys),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("first_arrival", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("assessments", schema=SCHEMA)
    op.drop_table("arrivals", schema=SCHEMA)
