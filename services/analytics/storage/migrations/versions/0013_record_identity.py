"""analytics: who each department record is of — its key (户号, 纳税人识别号) and the name it carries
(户名, 纳税人名称), as desensitised at import — so that an unlinked record on 部门记录 can be told
apart without opening the workbench. Records kept before this migration get them from their next
version, or all at once from a rebuild (`python -m services.analytics rebuild`).

Revision ID: analytics_0013
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0013"
down_revision = "analytics_0012"
SCHEMA = "analytics"


def upgrade() -> None:
    op.add_column("records", sa.Column("source_key", sa.Text, nullable=True), schema=SCHEMA)
    op.add_column("records", sa.Column("record_name", sa.Text, nullable=True), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("records", "record_name", schema=SCHEMA)
    op.drop_column("records", "source_key", schema=SCHEMA)
