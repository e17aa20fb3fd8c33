"""alerting: backtests run as jobs. A whole city's history takes minutes to replay, longer than an
HTTP request should wait: a supervisor's proposal is queued here, an instance takes it, keeps its
progress and heartbeat here, and leaves the report (or why it failed) for the supervisor to fetch.

Revision ID: alerting_0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "alerting_0009"
down_revision = "alerting_0008"
SCHEMA = "alerting"


def upgrade() -> None:
    op.create_table(
        "backtests",
        sa.Column("backtest_id", sa.Uuid, primary_key=True),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("first", sa.Text, nullable=False),
        sa.Column("last", sa.Text, nullable=False),
        sa.Column("ruleset", sa.Text, nullable=False),
        sa.Column("ruleset_version", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="queued"),
        sa.Column("pages_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pages_total", sa.Integer, nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", JSONB, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name="backtest_status"),
        schema=SCHEMA,
    )
    op.create_index("backtests_waiting", "backtests", ["submitted_at"], schema=SCHEMA,
                    postgresql_where=sa.text("status in ('queued', 'running')"))


def downgrade() -> None:
    op.drop_table("backtests", schema=SCHEMA)
