"""analytics: the read-model version (`read_model_version`), advanced after every committed batch, so
that answers kept by shared/service/read_cache.py are served only while the tables are unchanged.

Revision ID: analytics_0012
"""

from alembic import op

revision = "analytics_0012"
down_revision = "analytics_0011"
SCHEMA = "analytics"


def upgrade() -> None:
    op.execute(f"CREATE SEQUENCE {SCHEMA}.read_model_version")


def downgrade() -> None:
    op.execute(f"DROP SEQUENCE {SCHEMA}.read_model_version")
