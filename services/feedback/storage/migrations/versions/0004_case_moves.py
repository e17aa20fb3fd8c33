"""feedback: a match case follows its newest record's township; the moves, for both townships to see.

Revision ID: feedback_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "feedback_0004"
down_revision = "feedback_0003"
SCHEMA = "feedback"


def upgrade() -> None:
    op.add_column("match_cases", sa.Column("township_basis", sa.Text, nullable=False, server_default=""), schema=SCHEMA)
    op.create_table(
        "case_moves",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.Uuid, nullable=False),
        sa.Column("record_id", sa.Text, nullable=False),
        sa.Column("from_township_code", sa.Text, nullable=False),
        sa.Column("to_township_code", sa.Text, nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("case_moves_by_case", "case_moves", ["case_id"], schema=SCHEMA)
    op.create_index("case_moves_from", "case_moves", ["from_township_code"], schema=SCHEMA)
    op.create_index("case_moves_to", "case_moves", ["to_township_code"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("case_moves", schema=SCHEMA)
    op.drop_column("match_cases", "township_basis", schema=SCHEMA)
