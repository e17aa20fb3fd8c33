"""The transactional outbox and the processed-events inbox, one pair in each service's schema.

A handler writes its state change, the events it causes (outbox) and the id of the event it
handled (inbox) in one transaction: state and events cannot drift apart, and an event delivered
twice is applied once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations


def _message_table(name: str, metadata: sa.MetaData, *columns: sa.Column) -> sa.Table:
    """An event as the relay publishes it: topic, key, the encoded value and the headers."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.LargeBinary, nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        *columns,
    )


def messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    outbox = _message_table(
        "outbox", metadata,
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


def outbox_dead_letters_table(metadata: sa.MetaData) -> sa.Table:
    """Events the broker refused for good (too large, unknown topic, invalid record): moved out of
    the outbox with the reason so that the relay goes on with the events behind them; an operator
    reads them here and requeues them once the cause is fixed (`python -m services.<name> dead-letters`)."""
    return _message_table(
        "outbox_dead_letters", metadata,
        sa.Column("error_code", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def create_messaging_tables(op: Operations, schema: str) -> None:
    """For each service's first migration: the same two tables everywhere."""
    for table in messaging_tables(sa.MetaData(schema=schema)):
        _create(op, table)


def create_outbox_dead_letters(op: Operations, schema: str) -> None:
    """For each service's migration that added the outbox's dead letters."""
    _create(op, outbox_dead_letters_table(sa.MetaData(schema=schema)))


def _create(op: Operations, table: sa.Table) -> None:
    op.create_table(table.name, *(c.copy() for c in table.columns), schema=table.schema)
