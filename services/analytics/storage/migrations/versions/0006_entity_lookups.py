"""analytics: the enterprise panorama (企业全景) reads one entity's records and alerts by its code,
and shows each alert's message as alerting worded it.

Revision ID: analytics_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0006"
down_revision = "analytics_0005"
SCHEMA = "analytics"


def upgrade() -> None:
    op.create_index("records_by_uscc", "records", ["uscc"], schema=SCHEMA)
    op.create_index("alerts_by_uscc", "alerts", ["uscc"], schema=SCHEMA)
    op.add_column("alerts", sa.Column("message_zh", sa.Text, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("alerts", "message_zh", schema=SCHEMA)
    op.drop_index("alerts_by_uscc", "alerts", schema=SCHEMA)
    op.drop_index("records_by_uscc", "records", schema=SCHEMA)
