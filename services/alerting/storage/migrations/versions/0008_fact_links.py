"""alerting: why each fact's record was linked to its entity (department, source key, the
matcher's method, score and explanation), so an alert's evidence packet can show it and a
非同一主体 finding can name the source keys the matcher must never link to the entity again.

Revision ID: alerting_0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "alerting_0008"
down_revision = "alerting_0007"
SCHEMA = "alerting"


def upgrade() -> None:
    op.add_column("facts", sa.Column("link", JSONB, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("facts", "link", schema=SCHEMA)
