"""alerting: a fact per record and entity, so a shared meter (多户一表) counts for each sharer.

Revision ID: alerting_0002
"""

from alembic import op

revision = "alerting_0002"
down_revision = "alerting_0001"
SCHEMA = "alerting"


def upgrade() -> None:
    op.drop_constraint("facts_pkey", "facts", schema=SCHEMA)
    op.create_primary_key("facts_pkey", "facts", ["record_id", "uscc"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_constraint("facts_pkey", "facts", schema=SCHEMA)
    op.create_primary_key("facts_pkey", "facts", ["record_id"], schema=SCHEMA)
