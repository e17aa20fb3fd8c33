"""ingest's own tables (schema `ingest`)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table

metadata = sa.MetaData(schema="ingest")
outbox, processed_events = messaging_tables(metadata)
outbox_dead_letters = outbox_dead_letters_table(metadata)

records = sa.Table(
    "records",
    metadata,
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("source_key", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
)

submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("accepted", sa.Integer, nullable=False),
    sa.Column("corrections", sa.Integer, nullable=False),
    sa.Column("duplicates", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Index("submissions_by_department_period", "department", "kind", "received_at"),
)

# first and last arrival of each department's data for each period: the basis of timeliness
arrivals = sa.Table(
    "arrivals",
    metadata,
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("first_arrival", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_arrival", sa.DateTime(timezone=True), nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
)

# the latest judgement (on time / late / missing) of each department, kind and period
assessments = sa.Table(
    "assessments",
    metadata,
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("first_arrival", sa.DateTime(timezone=True), nullable=True),
    sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
)

# 数据错误: a township found records of a department wrong; the department is asked to correct them
# (services/ingest/domain/corrections.py). One row per finding and department.
correction_requests = sa.Table(
    "correction_requests",
    metadata,
    sa.Column("request_id", sa.Uuid, primary_key=True),  # uuid5 of (feedback id, department)
    sa.Column("feedback_id", sa.Uuid, nullable=False),
    sa.Column("alert_id", sa.Uuid, nullable=False),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("records", JSONB, nullable=False),  # [{record_id, kind, source_key, period}]
    sa.Column("record_ids", ARRAY(sa.Uuid), nullable=False),  # the same, searchable: which requests a correction answers
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("rule", sa.Text, nullable=True),
    sa.Column("uscc", sa.Text, nullable=True),
    sa.Column("period", sa.Text, nullable=True),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'answered')", name="correction_requests_status"),
    sa.Index("correction_requests_by_department", "department", sa.text("requested_at DESC"), "request_id"),
    sa.Index(
        "correction_requests_open_records", "record_ids", postgresql_using="gin",
        postgresql_where=sa.text("status = 'open'"),
    ),
)
