"""alerting: a period's closing is judged page by page, each page its own transaction, from a cursor
kept here, so a closing over 600,000 entities is not one transaction and resumes where it stopped.

Revision ID: alerting_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "alerting_0006"
down_revision = "alerting_0005"
SCHEMA = "alerting"


def upgrade() -> None:
    op.create_table(
        "closings",
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("cause", sa.LargeBinary, nullable=True),
        sa.Column("fitted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("after", sa.Text, nullable=False, server_default=""),
        sa.Column("judged", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("closings", schema=SCHEMA)
