"""analytics: the township × 门类 × month rollup (`area_months`) that 产业运行监控 and 用电趋势 read
city- and county-wide in a few thousand rows instead of summing every entity-month on each request
(issue 13's p95 < 200 ms over 36 months of 600,000 entities). Kept by deltas as entity-months change
(storage/repository.py); filled here from the entity-months already kept.

Revision ID: analytics_0010
"""

import sqlalchemy as sa
from alembic import op

from services.analytics.storage.repository import REFILL_AREA_MONTHS
from services.analytics.storage.tables import AREA_MONTH_COUNTS, AREA_MONTH_SUMS

revision = "analytics_0010"
down_revision = "analytics_0009"
SCHEMA = "analytics"


def upgrade() -> None:
    op.create_table(
        "area_months",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("township_code", sa.Text, primary_key=True),
        sa.Column("section", sa.Text, primary_key=True),
        *(sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in AREA_MONTH_COUNTS),
        *(sa.Column(c, sa.Numeric, nullable=False, server_default="0") for c in AREA_MONTH_SUMS),
        schema=SCHEMA,
    )
    op.execute(REFILL_AREA_MONTHS)  # from the entity-months kept so far


def downgrade() -> None:
    op.drop_table("area_months", schema=SCHEMA)
