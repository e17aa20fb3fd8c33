"""analytics: entity-months read from their indexes alone. A month's entity-months are written in
the order records arrive, so one township's rows of a month lie on as many heap pages as it has
rows: reading down the (period, kwh|tax) indexes for one township's or 门类's largest figures (the
movers of 产业运行监控, 梁柱企业, the entity lists) fetched a heap page per row passed over to test its
township, and a township's year of entities (the pivot's count) fetched ~50,000 pages. At 600,000
entities × 36 months these were ~40 % of PostgreSQL's time under the dashboard benchmark (issue 13).
The largest-first indexes now carry the township, 门类 and USCC (the USCC as the tie-breaker the
queries order by), and a partial index of the rows with a figure carries what the pivot counts.

Revision ID: analytics_0017
"""

from alembic import op

revision = "analytics_0017"
down_revision = "analytics_0016"
SCHEMA = "analytics"
WITH_FIGURES = "kwh IS NOT NULL OR tax IS NOT NULL OR kwh_reported IS NOT NULL OR tax_reported IS NOT NULL"


def upgrade() -> None:
    for measure in ("tax", "kwh"):
        op.execute(f"DROP INDEX analytics.entity_months_by_period_{measure}")
        op.execute(f"CREATE INDEX entity_months_by_period_{measure} ON analytics.entity_months"
                   f" (period, {measure} DESC NULLS LAST, uscc) INCLUDE (township_code, industry_section)")
    op.execute("CREATE INDEX entity_months_with_figures ON analytics.entity_months (period, township_code)"
               f" INCLUDE (industry_section, uscc) WHERE {WITH_FIGURES}")


def downgrade() -> None:
    op.execute("DROP INDEX analytics.entity_months_with_figures")
    for measure in ("tax", "kwh"):
        op.execute(f"DROP INDEX analytics.entity_months_by_period_{measure}")
        op.execute(f"CREATE INDEX entity_months_by_period_{measure} ON analytics.entity_months (period, {measure} DESC NULLS LAST)")
