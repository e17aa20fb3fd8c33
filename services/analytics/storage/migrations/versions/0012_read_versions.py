"""analytics: the read-model versions (`read_version_figures`, `_alerts`, `_timeliness`), each advanced
after every committed batch that wrote its family of tables, so that answers kept by
shared/service/read_cache.py are served only while what they read is unchanged.

Revision ID: analytics_0012
"""

from alembic import op

revision = "analytics_0012"
down_revision = "analytics_0011"
SCHEMA = "analytics"
FAMILIES = ("figures", "alerts", "timeliness")  # storage/tables.py's, as they were at this revision


def upgrade() -> None:
    for family in FAMILIES:
        op.execute(f"CREATE SEQUENCE {SCHEMA}.read_version_{family}")


def downgrade() -> None:
    for family in FAMILIES:
        op.execute(f"DROP SEQUENCE {SCHEMA}.read_version_{family}")
