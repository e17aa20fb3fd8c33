"""feedback: the deadlines alerting announced as passed undone.

Revision ID: feedback_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "feedback_0006"
down_revision = "feedback_0005"
SCHEMA = "feedback"


def upgrade() -> None:
    op.add_column("alerts", sa.Column("acknowledge_overdue_since", sa.Date, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("resolve_overdue_since", sa.Date, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("alerts", "resolve_overdue_since", schema=SCHEMA)
    op.drop_column("alerts", "acknowledge_overdue_since", schema=SCHEMA)
