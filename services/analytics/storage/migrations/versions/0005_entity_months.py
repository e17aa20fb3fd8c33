"""analytics: the monthly read model (power and tax per record and per entity × month, restated and
as known at month end) and each entity's GB/T 4754 门类.

Revision ID: analytics_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0005"
down_revision = "analytics_0004"
SCHEMA = "analytics"

# the 门类 of every registered code, as domain.months.section reads it (letters, or the 大类's digits)
_SECTION_SQL = """
UPDATE analytics.entities SET industry_section = CASE
  WHEN substring(ltrim(industry_code, 'ABCDEFGHIJKLMNOPQRST') FROM 1 FOR 2) ~ '^[0-9]{2}$' THEN (
    SELECT s.letter FROM (VALUES (1,'A'),(6,'B'),(13,'C'),(44,'D'),(47,'E'),(51,'F'),(53,'G'),(61,'H'),(63,'I'),
      (66,'J'),(70,'K'),(71,'L'),(73,'M'),(76,'N'),(80,'O'),(83,'P'),(84,'Q'),(86,'R'),(91,'S'),(97,'T')) AS s(start, letter)
    WHERE s.start <= substring(ltrim(industry_code, 'ABCDEFGHIJKLMNOPQRST') FROM 1 FOR 2)::int
    ORDER BY s.start DESC LIMIT 1)
  WHEN industry_code ~ '^[A-T]$' THEN industry_code
END
WHERE industry_code IS NOT NULL
"""


def upgrade() -> None:
    op.add_column("entities", sa.Column("industry_section", sa.Text, nullable=True), schema=SCHEMA)
    op.execute(_SECTION_SQL)
    op.create_table(
        "figure_records",
        sa.Column("record_id", sa.Uuid, primary_key=True),
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("measure", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("reported_version", sa.Integer, nullable=True),
        sa.Column("reported_value", sa.Float, nullable=True),
        schema=SCHEMA,
    )
    op.create_index("figure_records_by_entity_month", "figure_records", ["uscc", "period"], schema=SCHEMA)
    op.create_table(
        "entity_months",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("industry_section", sa.Text, nullable=True),
        sa.Column("entity_name", sa.Text, nullable=False),
        sa.Column("kwh", sa.Float, nullable=True),
        sa.Column("tax", sa.Float, nullable=True),
        sa.Column("kwh_reported", sa.Float, nullable=True),
        sa.Column("tax_reported", sa.Float, nullable=True),
        schema=SCHEMA,
    )
    op.create_index("entity_months_by_period_township", "entity_months", ["period", "township_code"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("entity_months", schema=SCHEMA)
    op.drop_table("figure_records", schema=SCHEMA)
    op.drop_column("entities", "industry_section", schema=SCHEMA)
