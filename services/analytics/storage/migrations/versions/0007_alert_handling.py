"""analytics: 经济管理监管分析 (#7), 长期停业和亏损企业锁定分析 (#8) and 异常纳税行为预警 (#9) read
alerts by rule, township and month with the figures that raised them (the detection's facts and
evidence months), the entity's name, the rule's severity, the township's disposition (and its effect,
shared.contracts.DispositionEffect) when it resolved the case, and whether a deadline passed.

Revision ID: analytics_0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "analytics_0007"
down_revision = "analytics_0006"
SCHEMA = "analytics"
COLUMNS = ("month", "entity_name", "severity", "facts", "evidence_months", "disposition", "effect", "overdue")


def upgrade() -> None:
    # the month an alert is counted in: its period, a finance period's last month (domain/alerts.py)
    op.add_column("alerts", sa.Column("month", sa.Text, nullable=True), schema=SCHEMA)
    op.execute(f"UPDATE {SCHEMA}.alerts SET month = period WHERE period ~ '^[0-9]{{4}}-[0-9]{{2}}$'")
    op.add_column("alerts", sa.Column("entity_name", sa.Text, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("severity", sa.Text, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("facts", JSONB, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("evidence_months", JSONB, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("disposition", sa.Text, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("effect", sa.Text, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("overdue", sa.Boolean, nullable=False, server_default=sa.false()), schema=SCHEMA)
    op.create_index("alerts_by_month", "alerts", ["month", "township_code"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("alerts_by_month", "alerts", schema=SCHEMA)
    for column in reversed(COLUMNS):
        op.drop_column("alerts", column, schema=SCHEMA)
