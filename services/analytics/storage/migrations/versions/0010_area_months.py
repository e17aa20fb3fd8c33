"""analytics: the township × 门类 × month rollup (`area_months`) that 产业运行监控 and 用电趋势 read
city- and county-wide in a few thousand rows instead of summing every entity-month on each request
(issue 13's p95 < 200 ms over 36 months of 600,000 entities). Kept by deltas as entity-months change
(storage/repository.py); filled here from the entity-months already kept.

Revision ID: analytics_0010
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0010"
down_revision = "analytics_0009"
SCHEMA = "analytics"
# the rollup's columns and its fill as they were at this revision (later ones add columns: 0014)
AREA_MONTH_COUNTS = ("entities", "entities_reported", "kwh_entities", "kwh_entities_reported", "tax_entities", "tax_entities_reported")
AREA_MONTH_SUMS = ("kwh", "kwh_reported", "tax", "tax_reported")
REFILL_AREA_MONTHS = """
    INSERT INTO analytics.area_months
    SELECT period, township_code, coalesce(industry_section, 'unknown'),
           count(*) FILTER (WHERE kwh IS NOT NULL OR tax IS NOT NULL),
           count(*) FILTER (WHERE kwh_reported IS NOT NULL OR tax_reported IS NOT NULL),
           count(kwh), count(kwh_reported), count(tax), count(tax_reported),
           coalesce(sum(kwh::numeric), 0), coalesce(sum(kwh_reported::numeric), 0),
           coalesce(sum(tax::numeric), 0), coalesce(sum(tax_reported::numeric), 0)
    FROM analytics.entity_months GROUP BY 1, 2, 3"""


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
