"""analytics: a pivot of entities by type or 规模档 read from an index. The entities pivot now reads an
entity-month's type and 规模档 from the row itself (copied from its registration) rather than joining
every registration of the city; the index of the entity-months with figures by month and township now
carries both, so a township's year by type is an index-only scan of its ~85,000 rows instead of ~51,000
heap pages (600,000-entity benchmark).

Revision ID: analytics_0025
"""

from alembic import op

revision = "analytics_0025"
down_revision = "analytics_0024"
WITH_FIGURES = "kwh IS NOT NULL OR tax IS NOT NULL OR kwh_reported IS NOT NULL OR tax_reported IS NOT NULL"


def _with_figures(include: str) -> None:
    op.execute("DROP INDEX analytics.entity_months_with_figures")
    op.execute("CREATE INDEX entity_months_with_figures ON analytics.entity_months (period, township_code)"
               f" INCLUDE ({include}) WHERE {WITH_FIGURES}")


def upgrade() -> None:
    _with_figures("industry_section, uscc, kwh, tax, kwh_reported, tax_reported, entity_type, size_band")


def downgrade() -> None:
    _with_figures("industry_section, uscc, kwh, tax, kwh_reported, tax_reported")
