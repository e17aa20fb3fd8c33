"""analytics: a township's figures of a month read from an index. The township report's biggest movers
rank every entity of the township's two months (cheaper than finding its largest among the city's);
that read fetched each of ~14,000 entity-months from its own heap page (~8,600 pages on the
600,000-entity benchmark, 30–50 ms a report). The index of the entity-months with figures by month and
township now carries the four figures, so they are read from it alone.

Revision ID: analytics_0023
"""

from alembic import op

revision = "analytics_0023"
down_revision = "analytics_0022"
WITH_FIGURES = "kwh IS NOT NULL OR tax IS NOT NULL OR kwh_reported IS NOT NULL OR tax_reported IS NOT NULL"


def _with_figures(include: str) -> None:
    op.execute("DROP INDEX analytics.entity_months_with_figures")
    op.execute("CREATE INDEX entity_months_with_figures ON analytics.entity_months (period, township_code)"
               f" INCLUDE ({include}) WHERE {WITH_FIGURES}")


def upgrade() -> None:
    _with_figures("industry_section, uscc, kwh, tax, kwh_reported, tax_reported")


def downgrade() -> None:
    _with_figures("industry_section, uscc")
