"""feedback's own tables (schema `feedback`): the townships' worklist (anomaly alerts and match cases)
and what they did."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table

metadata = sa.MetaData(schema="feedback")
outbox, processed_events = messaging_tables(metadata)
outbox_dead_letters = outbox_dead_letters_table(metadata)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Uuid, primary_key=True),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("uscc", sa.Text, nullable=False),
    sa.Column("entity_name", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("message_zh", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("severity", sa.Text, nullable=False, server_default="medium"),
    sa.Column("facts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    # other townships the alert concerns (a jurisdiction question, 属地不一致): they see it too
    sa.Column("also_townships", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    # when alerting withdrew it because the data no longer supports it; cleared if the data comes back
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawn_message_zh", sa.Text, nullable=True),
    # the deadlines alerting announced as passed undone (签收, 办结): what escalation starts from
    sa.Column("acknowledge_overdue_since", sa.Date, nullable=True),
    sa.Column("resolve_overdue_since", sa.Date, nullable=True),
    sa.Index("alerts_by_township_status", "township_code", "status"),
)

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("feedback_id", sa.Uuid, primary_key=True),
    sa.Column("alert_id", sa.Uuid, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("actions_by_alert", "alert_id"),
)

# one case per department source key the matcher could not link: the township decides it once
match_cases = sa.Table(
    "match_cases",
    metadata,
    sa.Column("case_id", sa.Uuid, primary_key=True),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("source_key", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("message_zh", sa.Text, nullable=False),
    sa.Column("candidates", JSONB, nullable=False),
    sa.Column("record_ids", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # how new the record is that placed the case in its township: period, then arrival
    sa.Column("township_basis", sa.Text, nullable=False, server_default=""),
    sa.Index("match_cases_by_township_status", "township_code", "status"),
)

# a case that followed its source key's newest record into another township: shown to both
case_moves = sa.Table(
    "case_moves",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", sa.Uuid, nullable=False),
    sa.Column("record_id", sa.Text, nullable=False),
    sa.Column("from_township_code", sa.Text, nullable=False),
    sa.Column("to_township_code", sa.Text, nullable=False),
    sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("case_moves_by_case", "case_id"),
    sa.Index("case_moves_from", "from_township_code"),
    sa.Index("case_moves_to", "to_township_code"),
)
