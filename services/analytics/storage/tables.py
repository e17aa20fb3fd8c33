"""analytics' read models (schema `analytics`), kept from every event of the flow."""

import sqlalchemy as sa

from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table

metadata = sa.MetaData(schema="analytics")
outbox, processed_events = messaging_tables(metadata)
outbox_dead_letters = outbox_dead_letters_table(metadata)

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("entity_key", sa.Text, primary_key=True),  # the USCC, or "reg:<number>" without one
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("industry_code", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("entities_by_township", "township_code"),
)

# match_rank: 0 pending, 1 unmatched, 2 matched; only ever raised, so late or repeated events are harmless
records = sa.Table(
    "records",
    metadata,
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=True),
    sa.Column("uscc", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("match_rank", sa.SmallInteger, nullable=False),
    sa.Index("records_by_township", "township_code"),
)

# status_rank: 0 open, 1 acknowledged, 2 resolved
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Uuid, primary_key=True),
    sa.Column("township_code", sa.Text, nullable=True),
    sa.Column("rule", sa.Text, nullable=True),
    sa.Column("uscc", sa.Text, nullable=True),
    sa.Column("period", sa.Text, nullable=True),
    sa.Column("status_rank", sa.SmallInteger, nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    # withdrawn by alerting (the data no longer supports it): not counted in the handling figures
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("alerts_by_township", "township_code"),
)

# each department's timeliness per kind and period, as ingest last judged it
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("first_arrival", sa.DateTime(timezone=True), nullable=True),
    sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
)
