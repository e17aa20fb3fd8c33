"""analytics: alerts withdrawn by alerting (the data no longer supports them) leave the handling figures.

Revision ID: analytics_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0004"
down_revision = "analytics_0003"
SCHEMA = "analytics"


def upgrade() -> None:
    op.add_column("alerts", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("alerts", "withdrawn_at", schema=SCHEMA)
