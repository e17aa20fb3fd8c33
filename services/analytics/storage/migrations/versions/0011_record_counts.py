"""analytics: department records counted per township × kind × period × link (`record_counts`), so
区域概况 and 公共信息对比分析 read a few thousand rows instead of every record of a 600,000-entity city.
Kept by deltas in the statement that upserts records (storage/repository.py); filled here from the
records already kept.

Revision ID: analytics_0011
"""

import sqlalchemy as sa
from alembic import op

from services.analytics.storage.repository import REFILL_RECORD_COUNTS

revision = "analytics_0011"
down_revision = "analytics_0010"
SCHEMA = "analytics"


def upgrade() -> None:
    op.create_table(
        "record_counts",
        sa.Column("township_code", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),  # "" for a register's records (no period)
        sa.Column("match_rank", sa.SmallInteger, primary_key=True),
        sa.Column("records", sa.Integer, nullable=False, server_default="0"),
        schema=SCHEMA,
    )
    op.execute(REFILL_RECORD_COUNTS)


def downgrade() -> None:
    op.drop_table("record_counts", schema=SCHEMA)
