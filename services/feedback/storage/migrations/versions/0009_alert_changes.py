"""feedback: what alerting says now about an alert the data still supports with other figures
(anomaly-updated), beside the evidence packet frozen when it was raised: the case shows what changed since.

Revision ID: feedback_0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "feedback_0009"
down_revision = "feedback_0008"
SCHEMA = "feedback"


def upgrade() -> None:
    op.add_column("alerts", sa.Column("latest_evidence", JSONB, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("latest_message_zh", sa.Text, nullable=True), schema=SCHEMA)
    op.add_column("alerts", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)


def downgrade() -> None:
    for column in ("changed_at", "latest_message_zh", "latest_evidence"):
        op.drop_column("alerts", column, schema=SCHEMA)
