"""feedback: one case per alert or match case, with its state (待签收 … 已复核), assignee, transfer,
disposition and deadlines; acts record their device and resulting state; photos taken on site.

Existing alerts and match cases become cases in the state their old status meant; the clock is
feedback's from now on (the deadlines alerting announced are recomputed from the case's own dues).

Revision ID: feedback_0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "feedback_0007"
down_revision = "feedback_0006"
SCHEMA = "feedback"


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("received_by", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=True),
        sa.Column("severity", sa.Text, nullable=True),
        sa.Column("assignee", sa.Text, nullable=True),
        sa.Column("disposition", sa.Text, nullable=True),
        sa.Column("transfer_to", sa.Text, nullable=True),
        sa.Column("state_before_transfer", sa.Text, nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_working_days", sa.Integer, nullable=False),
        sa.Column("resolve_working_days", sa.Integer, nullable=False),
        sa.Column("acknowledge_due", sa.Date, nullable=True),
        sa.Column("resolve_due", sa.Date, nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation", sa.Text, nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("cases_by_township_state", "cases", ["township_code", "state"], schema=SCHEMA)
    op.create_index("cases_by_transfer_to", "cases", ["transfer_to"], schema=SCHEMA,
                    postgresql_where=sa.text("transfer_to IS NOT NULL"))
    op.create_index("cases_open_by_due", "cases", ["resolve_due"], schema=SCHEMA,
                    postgresql_where=sa.text("state IN ('pending', 'acknowledged', 'verifying', 'transferring')"))
    op.execute(f"""
        INSERT INTO {SCHEMA}.cases (case_id, kind, township_code, received_by, state, title, subject, period, severity,
            received_at, acknowledge_working_days, resolve_working_days, updated_at)
        SELECT alert_id, 'alert', township_code, township_code,
               CASE status WHEN 'open' THEN 'pending' ELSE status END,
               entity_name, rule, period, severity, detected_at,
               CASE severity WHEN 'high' THEN 2 WHEN 'low' THEN 5 ELSE 3 END,
               CASE severity WHEN 'high' THEN 10 WHEN 'low' THEN 30 ELSE 20 END, updated_at
        FROM {SCHEMA}.alerts""")
    op.execute(f"""
        INSERT INTO {SCHEMA}.cases (case_id, kind, township_code, received_by, state, title, subject, received_at,
            acknowledge_working_days, resolve_working_days, updated_at)
        SELECT case_id, 'match_case', township_code, township_code, CASE status WHEN 'open' THEN 'pending' ELSE 'resolved' END,
               name, reason, opened_at, 3, 20, updated_at
        FROM {SCHEMA}.match_cases""")
    # the alert's records: a 数据错误 finding asks their departments to correct them
    op.add_column("alerts", sa.Column("record_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
                  schema=SCHEMA)
    op.add_column("alerts", sa.Column("evidence", JSONB, nullable=True), schema=SCHEMA)
    op.drop_index("alerts_by_township_status", "alerts", schema=SCHEMA)
    for column in ("status", "acknowledge_overdue_since", "resolve_overdue_since"):
        op.drop_column("alerts", column, schema=SCHEMA)

    for column in (
        sa.Column("state_after", sa.Text, nullable=True),
        sa.Column("disposition", sa.Text, nullable=True),
        sa.Column("assignee", sa.Text, nullable=True),
        sa.Column("to_township", sa.Text, nullable=True),
        sa.Column("device", sa.Text, nullable=False, server_default=""),
        sa.Column("evidence_id", sa.Uuid, nullable=True),
        sa.Column("holder_after", sa.Text, nullable=True),
    ):
        op.add_column("actions", column, schema=SCHEMA)

    op.create_table(
        "evidence",
        sa.Column("evidence_id", sa.Uuid, primary_key=True),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("thumbnail", sa.LargeBinary, nullable=False),
        sa.Column("latitude", sa.Float, nullable=True),
        sa.Column("longitude", sa.Float, nullable=True),
        sa.Column("accuracy_m", sa.Float, nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("evidence_by_case", "evidence", ["case_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("evidence", schema=SCHEMA)
    for column in ("holder_after", "evidence_id", "device", "to_township", "assignee", "disposition", "state_after"):
        op.drop_column("actions", column, schema=SCHEMA)
    op.drop_column("alerts", "evidence", schema=SCHEMA)
    op.drop_column("alerts", "record_ids", schema=SCHEMA)
    op.add_column("alerts", sa.Column("acknowledge_overdue_since", sa.Date, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("resolve_overdue_since", sa.Date, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("status", sa.Text, nullable=False, server_default="open"), schema=SCHEMA)
    op.execute(f"""UPDATE {SCHEMA}.alerts a SET status = CASE c.state WHEN 'pending' THEN 'open'
                   WHEN 'resolved' THEN 'resolved' WHEN 'reviewed' THEN 'resolved' ELSE 'acknowledged' END
                   FROM {SCHEMA}.cases c WHERE c.case_id = a.alert_id""")
    op.create_index("alerts_by_township_status", "alerts", ["township_code", "status"], schema=SCHEMA)
    op.drop_table("cases", schema=SCHEMA)
