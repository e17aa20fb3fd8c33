"""analytics: the township × 门类 × month rollup by 主体类型 and 规模档 too (`kind_months`), so the
pivots of power and tax by type or band sum a rollup instead of every entity-month of the range
joined to its registration (1–3 s of PostgreSQL city-wide at 600,000 entities: issue 13's p95).
entity_months carries its entity's type and band (copied like its township); `analytics.size_band()`
says a capital's band in SQL. Both depend on the city's band file, which the service reads at start:
there `repository.apply_size_bands` writes the function from the file, bands entity_months and fills
kind_months (nothing is recorded as applied here, so the first start after this migration does it).

Revision ID: analytics_0016
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0016"
down_revision = "analytics_0015"
SCHEMA = "analytics"
COUNTS = ("entities", "entities_reported", "kwh_entities", "kwh_entities_reported", "tax_entities", "tax_entities_reported")
SUMS = ("kwh", "kwh_reported", "tax", "tax_reported")


def upgrade() -> None:
    for column in ("entity_type", "size_band"):
        op.add_column("entity_months", sa.Column(column, sa.Text, nullable=True), schema=SCHEMA)
    op.create_table(
        "kind_months",
        *(sa.Column(c, sa.Text, primary_key=True) for c in ("period", "township_code", "section", "entity_type", "size_band")),
        *(sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in COUNTS),
        *(sa.Column(c, sa.Numeric, nullable=False, server_default="0") for c in SUMS),
        schema=SCHEMA,
    )
    op.create_table(
        "applied_files",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=SCHEMA,
    )
    # every capital 未申报 until the service's start writes the city's bands (repository.apply_size_bands)
    op.execute("CREATE FUNCTION analytics.size_band(capital double precision) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE"
               " RETURN 'undeclared'")


def downgrade() -> None:
    op.execute("DROP FUNCTION analytics.size_band(double precision)")
    op.drop_table("applied_files", schema=SCHEMA)
    op.drop_table("kind_months", schema=SCHEMA)
    for column in ("entity_type", "size_band"):
        op.drop_column("entity_months", column, schema=SCHEMA)
