"""analytics: 企业信息多维分析 and 区域企业发展概况 count entities by type (from the USCC) and by size
band (from the 注册资本 the registration declares); both are kept on the entity.

Revision ID: analytics_0009
"""

import sqlalchemy as sa
from alembic import op

revision = "analytics_0009"
down_revision = "analytics_0008"
SCHEMA = "analytics"


def upgrade() -> None:
    op.add_column("entities", sa.Column("entity_type", sa.Text, nullable=False, server_default="unknown"), schema=SCHEMA)
    op.add_column("entities", sa.Column("registered_capital", sa.Float, nullable=True), schema=SCHEMA)
    # entities registered before this migration: their type is in their key
    op.execute(
        "UPDATE analytics.entities SET entity_type = left(entity_key, 2) "
        "WHERE left(entity_key, 2) IN ('91', '92', '93', '11', '12', '51', '52', '53')"
    )


def downgrade() -> None:
    op.drop_column("entities", "registered_capital", schema=SCHEMA)
    op.drop_column("entities", "entity_type", schema=SCHEMA)
