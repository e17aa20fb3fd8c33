"""The transactional outbox and the processed-events inbox, one pair in each service's schema.

A handler writes its state change, the events it causes (outbox) and the id of the event it
handled (inbox) in one transaction: state and events cannot drift apart, and an event delivered
twice is applied once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations


def messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    processed = sa.Table(
        "processed_events",
        metadata,
        sa.Column("event_id", sa.Uuid, primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    return outbox, processed


def create_messaging_tables(op: Operations, schema: str) -> None:
    """For each service's first migration: the same two tables everywhere."""
    for table in messaging_tables(sa.MetaData(schema=schema)):
        op.create_table(table.name, *(c.copy() for c in table.columns), schema=schema)
