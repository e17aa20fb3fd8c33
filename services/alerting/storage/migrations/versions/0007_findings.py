"""alerting: what the township found for each alert (the disposition's effect), so backtests count
the alerts townships confirmed rather than every resolution.

Revision ID: alerting_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "alerting_0007"
down_revision = "alerting_0006"
SCHEMA = "alerting"


def upgrade() -> None:
    op.add_column("alerts", sa.Column("finding", sa.Text, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("alerts", "finding", schema=SCHEMA)
