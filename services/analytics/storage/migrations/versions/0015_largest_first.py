"""analytics: a month's entity-months by tax and by power, largest first — 梁柱企业 (the top
taxpayers and power users of a month) and a month's entity list read the first rows of these
instead of sorting all of the month's rows (~350,000 city-wide in a 600,000-entity city) on each
request (issue 13's p95).

Revision ID: analytics_0015
"""

from alembic import op

revision = "analytics_0015"
down_revision = "analytics_0014"
SCHEMA = "analytics"


def upgrade() -> None:
    for measure in ("tax", "kwh"):
        op.execute(f"CREATE INDEX entity_months_by_period_{measure} ON analytics.entity_months (period, {measure} DESC NULLS LAST)")


def downgrade() -> None:
    for measure in ("tax", "kwh"):
        op.execute(f"DROP INDEX analytics.entity_months_by_period_{measure}")
