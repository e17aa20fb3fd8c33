"""analytics: the monthly township report counts the entities established and deregistered or
revoked in its month, from the registration's dates (成立日期; the 登记日期 of a 注销 or 吊销).

Revision ID: analytics_0008
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0008"
down_revision = "analytics_0007"
SCHEMA = "analytics"


def upgrade() -> None:
    op.add_column("entities", sa.Column("established_on", sa.Date, nullable=True), schema=SCHEMA)
    op.add_column("entities", sa.Column("ended_on", sa.Date, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("entities", "ended_on", schema=SCHEMA)
    op.drop_column("entities", "established_on", schema=SCHEMA)
