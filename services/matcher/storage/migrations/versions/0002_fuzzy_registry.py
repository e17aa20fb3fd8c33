"""matcher: what fuzzy matching needs of each entity, and a change sequence for the in-memory index.

Revision ID: matcher_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "matcher_0002"
down_revision = "matcher_0001"
SCHEMA = "matcher"


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("entity_changes", schema=SCHEMA)))
    op.add_column("entities", sa.Column("registration_number", sa.Text, nullable=True), schema=SCHEMA)
    op.add_column("entities", sa.Column("address", sa.Text, nullable=False, server_default=""), schema=SCHEMA)
    op.add_column(
        "entities", sa.Column("former_names", ARRAY(sa.Text), nullable=False, server_default="{}"), schema=SCHEMA
    )
    op.add_column(
        "entities",
        sa.Column("seq", sa.BigInteger, nullable=False, server_default=sa.text(f"nextval('{SCHEMA}.entity_changes')")),
        schema=SCHEMA,
    )
    op.create_index("entities_by_seq", "entities", ["seq"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("entities_by_seq", "entities", schema=SCHEMA)
    for column in ("seq", "former_names", "address", "registration_number"):
        op.drop_column("entities", column, schema=SCHEMA)
    op.execute(sa.schema.DropSequence(sa.Sequence("entity_changes", schema=SCHEMA)))
