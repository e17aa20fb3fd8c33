"""matcher's own tables (schema `matcher`): the entity registry built from registration events, the
townships' decisions (learned links, cannot-link constraints) and the records waiting for one."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table

metadata = sa.MetaData(schema="matcher")
outbox, processed_events = messaging_tables(metadata)
outbox_dead_letters = outbox_dead_letters_table(metadata)

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
    # the keyed hash of a name that is a person's (an individual business): masked in `name`
    sa.Column("name_hash", sa.Text, nullable=True),
    sa.Index("entities_by_seq", "seq"),
)

# a township's decision for one department's source key: applies to every later record of that key
learned_links = sa.Table(
    "learned_links",
    metadata,
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("source_key", sa.Text, primary_key=True),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("usccs", ARRAY(sa.Text), nullable=False),
    sa.Column("shares", ARRAY(sa.Float), nullable=False),
    sa.Column("feedback_id", sa.Uuid, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

# a township's 非同一主体 decision: the source key is never linked to this entity, until a later
# link decision for the key names it (which deletes the row); one row per key and refused entity
cannot_links = sa.Table(
    "cannot_links",
    metadata,
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("source_key", sa.Text, primary_key=True),
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("feedback_id", sa.Uuid, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

# records sent for review, kept until a decision for their source key resolves them
pending_records = sa.Table(
    "pending_records",
    metadata,
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("source_key", sa.Text, nullable=False),
    sa.Column("record", JSONB, nullable=False),
    sa.Column("held_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Index("pending_by_source_key", "department", "source_key"),
)

# which department source keys are linked to each entity: its meters (一户多表) and whether its
# tax registration is known, for the cases a new link reveals
linked_sources = sa.Table(
    "linked_sources",
    metadata,
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("source_key", sa.Text, primary_key=True),
    sa.Column("family", sa.Text, nullable=False),
)
