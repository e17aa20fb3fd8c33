"""alerting: the catalogue's inputs (registry facts, period closures, fitted populations) and
alerts that carry their rule set, severity and facts, and whether the data still supports them.

Revision ID: alerting_0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "alerting_0004"
down_revision = "alerting_0003"
SCHEMA = "alerting"

_ALERT_COLUMNS = (
    sa.Column("supported", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("inhibited", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("severity", sa.Text, nullable=False, server_default="medium"),
    sa.Column("ruleset_version", sa.Text, nullable=False, server_default=""),
    sa.Column("facts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("message_zh", sa.Text, nullable=False, server_default=""),
    sa.Column("also_townships", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
)


def upgrade() -> None:
    op.add_column("facts", sa.Column("record_township_code", sa.Text, nullable=True), schema=SCHEMA)
    op.create_index("facts_by_period", "facts", ["period"], schema=SCHEMA)
    op.create_table(
        "entities",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("industry_code", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_since", sa.Date, nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "closures",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("missing", sa.Boolean, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "populations",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("ruleset_version", sa.Text, nullable=False),
        sa.Column("population", JSONB, nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        schema=SCHEMA,
    )
    for column in _ALERT_COLUMNS:
        op.add_column("alerts", column, schema=SCHEMA)
    op.create_index("alerts_by_entity_period", "alerts", ["uscc", "period"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("alerts_by_entity_period", "alerts", schema=SCHEMA)
    for column in _ALERT_COLUMNS:
        op.drop_column("alerts", column.name, schema=SCHEMA)
    op.drop_table("populations", schema=SCHEMA)
    op.drop_table("closures", schema=SCHEMA)
    op.drop_table("entities", schema=SCHEMA)
    op.drop_index("facts_by_period", "facts", schema=SCHEMA)
    op.drop_column("facts", "record_township_code", schema=SCHEMA)
