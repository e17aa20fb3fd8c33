"""analytics: an entity list's page found from an index alone. The entity list of a month (every
figure of the dashboards drills to it) reads the month's entities largest first, narrowed to an area
and a 门类, and only those with a figure. The largest-first indexes carried township and 门类 (0017),
but whether a row has any figure needs its four figures, so every row walked past was read from its
heap page: 172 ms a call for a county's 门类 at 600,000 entities. The largest-first indexes now hold
only the entity-months with a figure (what the lists show, and every row the movers and 梁柱企业 read:
a figure above or below zero is a figure), so the page is found in the index and only its rows are read.

Revision ID: analytics_0020
"""

from alembic import op

revision = "analytics_0020"
down_revision = "analytics_0019"
WITH_FIGURES = "kwh IS NOT NULL OR tax IS NOT NULL OR kwh_reported IS NOT NULL OR tax_reported IS NOT NULL"


def _largest_first(where: str) -> None:
    for measure in ("tax", "kwh"):
        op.execute(f"DROP INDEX analytics.entity_months_by_period_{measure}")
        op.execute(f"CREATE INDEX entity_months_by_period_{measure} ON analytics.entity_months"
                   f" (period, {measure} DESC NULLS LAST, uscc) INCLUDE (township_code, industry_section){where}")


def upgrade() -> None:
    _largest_first(f" WHERE {WITH_FIGURES}")


def downgrade() -> None:
    _largest_first("")
