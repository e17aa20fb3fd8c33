"""alerting's own tables (schema `alerting`)."""

import sqlalchemy as sa

from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table

metadata = sa.MetaData(schema="alerting")
outbox, processed_events = messaging_tables(metadata)
outbox_dead_letters = outbox_dead_letters_table(metadata)

# one row per matched record and entity (several when a meter is shared, 多户一表, each with its
# share of the value), newest version only: corrections replace, never add
facts = sa.Table(
    "facts",
    metadata,
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("entity_name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Index("facts_by_entity_month", "uscc", "period"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Uuid, primary_key=True),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("uscc", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
)
