"""matcher: the keyed hash of a registered name that is a person's (masked in `name`), for linking.

Revision ID: matcher_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "matcher_0005"
down_revision = "matcher_0004"
SCHEMA = "matcher"


def upgrade() -> None:
    op.add_column("entities", sa.Column("name_hash", sa.Text, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("entities", "name_hash", schema=SCHEMA)
