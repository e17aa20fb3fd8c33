"""feedback: the departments' correction requests (数据错误) and when each was answered, so that 效能监测
charges the wait to the department, not to the township that found the error.

Revision ID: feedback_0008
"""

import sqlalchemy as sa
from alembic import op

revision = "feedback_0008"
down_revision = "feedback_0007"
SCHEMA = "feedback"


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("request_id", sa.Uuid, primary_key=True),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_index("corrections_by_requested_at", "corrections", ["requested_at"], schema=SCHEMA)
    op.create_index("corrections_by_case", "corrections", ["case_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("corrections", schema=SCHEMA)
