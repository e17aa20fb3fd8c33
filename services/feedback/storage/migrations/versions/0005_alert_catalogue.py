"""feedback: alerts carry their severity, facts and the other townships they concern, and when the
data stopped supporting them (withdrawn by alerting).

Revision ID: feedback_0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "feedback_0005"
down_revision = "feedback_0004"
SCHEMA = "feedback"

_COLUMNS = (
    sa.Column("severity", sa.Text, nullable=False, server_default="medium"),
    sa.Column("facts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("also_townships", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawn_message_zh", sa.Text, nullable=True),
)


def upgrade() -> None:
    for column in _COLUMNS:
        op.add_column("alerts", column, schema=SCHEMA)


def downgrade() -> None:
    for column in _COLUMNS:
        op.drop_column("alerts", column.name, schema=SCHEMA)
