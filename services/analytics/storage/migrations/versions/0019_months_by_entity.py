"""analytics: an entity's figures of a month read from the primary key alone. 产业运行监控's movers
(the industries page and every township report) rank candidates by the change between two months:
each candidate's figure in both months, found by (uscc, period), was read from its heap page — a
page per candidate-month, the costliest statement left under the dashboard benchmark at 600,000
entities (7 ms per call of 48). The primary key now carries the four figures and the township and
门类 the movers are narrowed by. Updates of entity_months already rewrite every index entry (kwh and
tax are indexed), so this adds width, not writes.

Revision ID: analytics_0019
"""

from alembic import op

revision = "analytics_0019"
down_revision = "analytics_0018"
CARRIED = "kwh, tax, kwh_reported, tax_reported, township_code, industry_section"


def upgrade() -> None:
    op.execute("ALTER TABLE analytics.entity_months DROP CONSTRAINT entity_months_pkey,"
               f" ADD CONSTRAINT entity_months_pkey PRIMARY KEY (uscc, period) INCLUDE ({CARRIED})")


def downgrade() -> None:
    op.execute("ALTER TABLE analytics.entity_months DROP CONSTRAINT entity_months_pkey,"
               " ADD CONSTRAINT entity_months_pkey PRIMARY KEY (uscc, period)")
