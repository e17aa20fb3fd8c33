"""analytics: 用电景气 kept as the figures arrive. Each entity-month carries its entity's average daily
kWh in the festival-aligned base month (`base_daily_kwh`, by each basis), and the township × 门类 ×
month rollup counts the entities compared with their base and those below it — so 用电趋势 reads a
few thousand rollup rows instead of joining every entity-month of a year with the year before on
each request (issue 13's p95; the join was ~1 s of PostgreSQL city-wide at 120,000 entities).
Filled here from the months kept so far.

Revision ID: analytics_0014
"""

import sqlalchemy as sa
from alembic import op

from services.analytics.domain.power import known_base

revision = "analytics_0014"
down_revision = "analytics_0013"
SCHEMA = "analytics"
COUNTS = ("kwh_compared", "kwh_compared_reported", "kwh_below", "kwh_below_reported")


def upgrade() -> None:
    # a month's days, as domain/power.py `days_in` (IMMUTABLE: the rollup's deltas call it per row)
    op.execute("""
        CREATE FUNCTION analytics.days_in(period text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN extract(day FROM make_date(left(period, 4)::int, substr(period, 6, 2)::int, 1) + interval '1 month - 1 day')::int""")
    for column in ("base_daily_kwh", "base_daily_kwh_reported"):
        op.add_column("entity_months", sa.Column(column, sa.Float, nullable=True), schema=SCHEMA)
    for column in COUNTS:
        op.add_column("area_months", sa.Column(column, sa.Integer, nullable=False, server_default="0"), schema=SCHEMA)
    periods = [p for (p,) in op.get_bind().execute(sa.text("SELECT DISTINCT period FROM analytics.entity_months"))]
    op.get_bind().execute(sa.text("""
        UPDATE analytics.entity_months AS m
        SET base_daily_kwh = b.kwh / analytics.days_in(b.period),
            base_daily_kwh_reported = b.kwh_reported / analytics.days_in(b.period)
        FROM unnest(CAST(:periods AS text[]), CAST(:bases AS text[])) AS p (period, base), analytics.entity_months AS b
        WHERE m.period = p.period AND b.uscc = m.uscc AND b.period = p.base"""),
        {"periods": periods, "bases": [known_base(p) for p in periods]})
    op.execute(f"""
        UPDATE analytics.area_months AS a SET ({', '.join(COUNTS)}) = (t.{', t.'.join(COUNTS)})
        FROM (SELECT period, township_code, coalesce(industry_section, 'unknown') AS section,
                     count(*) FILTER (WHERE kwh IS NOT NULL AND base_daily_kwh IS NOT NULL) AS kwh_compared,
                     count(*) FILTER (WHERE kwh_reported IS NOT NULL AND base_daily_kwh_reported IS NOT NULL) AS kwh_compared_reported,
                     count(*) FILTER (WHERE kwh / analytics.days_in(period) < base_daily_kwh) AS kwh_below,
                     count(*) FILTER (WHERE kwh_reported / analytics.days_in(period) < base_daily_kwh_reported) AS kwh_below_reported
              FROM analytics.entity_months GROUP BY 1, 2, 3) AS t
        WHERE (a.period, a.township_code, a.section) = (t.period, t.township_code, t.section)""")


def downgrade() -> None:
    for column in COUNTS:
        op.drop_column("area_months", column, schema=SCHEMA)
    for column in ("base_daily_kwh", "base_daily_kwh_reported"):
        op.drop_column("entity_months", column, schema=SCHEMA)
    op.execute("DROP FUNCTION analytics.days_in(text)")
