"""alerting: silences (who held back which alerts, where, until when, why), each alert's deadlines
in working days and when their passing was announced, the townships' daily digests, and how much
each period's facts changed since its population was fitted.

Revision ID: alerting_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "alerting_0005"
down_revision = "alerting_0004"
SCHEMA = "alerting"

_ALERT_COLUMNS = (
    sa.Column("silenced_by", sa.Uuid, nullable=True),
    sa.Column("acknowledge_due", sa.Date, nullable=True),
    sa.Column("resolve_due", sa.Date, nullable=True),
    sa.Column("acknowledge_overdue_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolve_overdue_at", sa.DateTime(timezone=True), nullable=True),
)


def upgrade() -> None:
    op.create_table(
        "silences",
        sa.Column("silence_id", sa.Uuid, primary_key=True),
        sa.Column("rule", sa.Text, nullable=True),
        sa.Column("uscc", sa.Text, nullable=True),
        sa.Column("industry", sa.Text, nullable=True),
        sa.Column("township_prefix", sa.Text, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.Text, nullable=True),
        schema=SCHEMA,
    )
    op.create_index("silences_by_end", "silences", ["ends_at"], schema=SCHEMA)
    op.create_table(
        "digests",
        sa.Column("township_code", sa.Text, primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "period_changes",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("changes", sa.BigInteger, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.add_column("populations", sa.Column("changes_fitted", sa.BigInteger, nullable=False, server_default="0"),
                  schema=SCHEMA)
    for column in _ALERT_COLUMNS:
        op.add_column("alerts", column, schema=SCHEMA)
    op.create_index("alerts_by_township_detected", "alerts", ["township_code", "detected_at"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("alerts_by_township_detected", "alerts", schema=SCHEMA)
    for column in _ALERT_COLUMNS:
        op.drop_column("alerts", column.name, schema=SCHEMA)
    op.drop_column("populations", "changes_fitted", schema=SCHEMA)
    op.drop_table("period_changes", schema=SCHEMA)
    op.drop_table("digests", schema=SCHEMA)
    op.drop_table("silences", schema=SCHEMA)
