"""matcher's own tables (schema `matcher`): the entity registry built from registration events."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from shared.db.messaging_tables import messaging_tables

metadata = sa.MetaData(schema="matcher")
outbox, processed_events = messaging_tables(metadata)

# every write takes the next value, so each instance's in-memory index catches up with `seq > last seen`
entity_changes = sa.Sequence("entity_changes", metadata=metadata)

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("record_version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("registration_number", sa.Text, nullable=True),
    sa.Column("address", sa.Text, nullable=False, server_default=""),
    sa.Column("former_names", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("seq", sa.BigInteger, entity_changes, server_default=entity_changes.next_value(), nullable=False),
    sa.Index("entities_by_seq", "seq"),
)
