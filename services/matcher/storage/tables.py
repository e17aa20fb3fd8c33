"""matcher's own tables (schema `matcher`): the entity registry built from registration events."""

import sqlalchemy as sa

from shared.db.messaging_tables import messaging_tables

metadata = sa.MetaData(schema="matcher")
outbox, processed_events = messaging_tables(metadata)

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("record_version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
)
