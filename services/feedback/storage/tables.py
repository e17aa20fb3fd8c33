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
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("severity", sa.Text, nullable=False, server_default="medium"),
    sa.Column("facts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    # other townships the alert concerns (a jurisdiction question, 属地不一致): they see it too
    sa.Column("also_townships", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    # when alerting withdrew it because the data no longer supports it; cleared if the data comes back
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawn_message_zh", sa.Text, nullable=True),
    # the records the alert rests on: a 数据错误 finding asks their departments to correct them
    sa.Column("record_ids", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    # the evidence packet frozen when the alert was raised (registration facts, the months judged)
    sa.Column("evidence", JSONB, nullable=True),
    # anomaly-updated: the data still supports the alert with other figures; what it says now, and since when
    sa.Column("latest_evidence", JSONB, nullable=True),
    sa.Column("latest_message_zh", sa.Text, nullable=True),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
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
    sa.Column("state_after", sa.Text, nullable=True),
    sa.Column("disposition", sa.Text, nullable=True),
    sa.Column("assignee", sa.Text, nullable=True),
    sa.Column("to_township", sa.Text, nullable=True),
    sa.Column("device", sa.Text, nullable=False, server_default=""),
    sa.Column("evidence_id", sa.Uuid, nullable=True),
    # who holds the case after the act (the clock is charged to them): township:<code>, county:<code>, closed
    sa.Column("holder_after", sa.Text, nullable=True),
    sa.Index("actions_by_alert", "alert_id"),
)

# the workflow of every worklist item, an alert's or a match case's (services/feedback/domain/cases.py)
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.Uuid, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("received_by", sa.Text, nullable=False),  # the township it was routed to: 效能监测 starts there
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),  # the entity's or the unmatched record's name
    sa.Column("subject", sa.Text, nullable=False),  # the rule id, or the matcher's reason
    sa.Column("period", sa.Text, nullable=True),
    sa.Column("severity", sa.Text, nullable=True),
    sa.Column("assignee", sa.Text, nullable=True),
    sa.Column("disposition", sa.Text, nullable=True),
    sa.Column("transfer_to", sa.Text, nullable=True),
    sa.Column("state_before_transfer", sa.Text, nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    # how long the township has, kept so a township receiving a transfer gets the same time afresh
    sa.Column("acknowledge_working_days", sa.Integer, nullable=False),
    sa.Column("resolve_working_days", sa.Integer, nullable=False),
    sa.Column("acknowledge_due", sa.Date, nullable=True),  # None: that year's official calendar is not out yet
    sa.Column("resolve_due", sa.Date, nullable=True),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("escalation", sa.Text, nullable=True),  # "county", then "city": who has been told it is overdue
    sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("cases_by_township_state", "township_code", "state"),
    sa.Index("cases_by_transfer_to", "transfer_to", postgresql_where=sa.text("transfer_to IS NOT NULL")),
    sa.Index("cases_open_by_due", "resolve_due",
             postgresql_where=sa.text("state IN ('pending', 'acknowledged', 'verifying', 'transferring')")),
)

# photos taken on site, kept in the database with their case: nothing else to run, backed up with it
evidence = sa.Table(
    "evidence",
    metadata,
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
    sa.Index("evidence_by_case", "case_id"),
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

# 数据错误: each department asked to correct a case's records, and when it did (its clock in 效能监测)
corrections = sa.Table(
    "corrections",
    metadata,
    sa.Column("request_id", sa.Uuid, primary_key=True),
    sa.Column("case_id", sa.Uuid, nullable=False),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("corrections_by_requested_at", "requested_at"),
    sa.Index("corrections_by_case", "case_id"),
)
