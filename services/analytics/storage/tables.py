"""analytics' read models (schema `analytics`), kept from every event of the flow."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from shared import topics
from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table

metadata = sa.MetaData(schema="analytics")
outbox, processed_events = messaging_tables(metadata)
outbox_dead_letters = outbox_dead_letters_table(metadata)
# the families of tables, by the topics whose handlers write them; one sequence each, advanced after
# every batch that wrote it: the cached answers' validity (shared/service/read_cache.py)
FIGURES, ALERTS, TIMELINESS = "figures", "alerts", "timeliness"  # registrations and records; alerts; submissions
READ_FAMILIES = {
    topics.RECORD_IMPORTED: FIGURES, topics.RECORD_MATCHED: FIGURES, topics.MATCH_FAILED: FIGURES,
    topics.ANOMALY_DETECTED: ALERTS, topics.FEEDBACK_SUBMITTED: ALERTS,
    topics.SUBMISSION_ASSESSED: TIMELINESS,
}
read_versions = [sa.Sequence(f"read_version_{family}", metadata=metadata) for family in (FIGURES, ALERTS, TIMELINESS)]

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("entity_key", sa.Text, primary_key=True),  # the USCC, or "reg:<number>" without one
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("industry_code", sa.Text, nullable=True),
    sa.Column("industry_section", sa.Text, nullable=True),  # its GB/T 4754 门类 letter (domain.months.section)
    sa.Column("version", sa.Integer, nullable=False),
    # 成立日期, and the 登记日期 of its 注销 or 吊销 (migration 0008): the report's new and ended entities
    sa.Column("established_on", sa.Date, nullable=True),
    sa.Column("ended_on", sa.Date, nullable=True),
    # 市场主体类型 (shared.reference.entity_type) and 注册资本 in 万元, for the size bands (migration 0009)
    sa.Column("entity_type", sa.Text, nullable=False, server_default="unknown"),
    sa.Column("registered_capital", sa.Float, nullable=True),
    # an area's registrations counted from the index alone (migration 0018)
    sa.Index("entities_by_township", "township_code", postgresql_include=[
        "status", "entity_type", "industry_section", "established_on", "ended_on", "registered_capital"]),
    # the registrations behind a count, newest founded first, and the ended ones of a month (migration 0021)
    sa.Index("entities_by_established", sa.text("established_on DESC NULLS LAST"), "entity_key"),
    sa.Index("entities_by_ended", "ended_on"),
)

# match_rank: 0 pending, 1 unmatched, 2 matched; only ever raised, so late or repeated events are harmless
records = sa.Table(
    "records",
    metadata,
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=True),
    sa.Column("uscc", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("match_rank", sa.SmallInteger, nullable=False),
    # who the record is of, as the department wrote it (desensitised at import): 户号 / 纳税人识别号 and
    # 户名 / 纳税人名称, so an unlinked record is identifiable on 部门记录 (migration 0013)
    sa.Column("source_key", sa.Text, nullable=True),
    sa.Column("record_name", sa.Text, nullable=True),
    sa.Index("records_by_township", "township_code"),
    sa.Index("records_by_uscc", "uscc"),
)

# status_rank: 0 open, 1 acknowledged, 2 resolved
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Uuid, primary_key=True),
    sa.Column("township_code", sa.Text, nullable=True),
    sa.Column("rule", sa.Text, nullable=True),
    sa.Column("message_zh", sa.Text, nullable=True),  # as alerting worded it (企业全景 shows it)
    sa.Column("uscc", sa.Text, nullable=True),
    sa.Column("period", sa.Text, nullable=True),
    sa.Column("status_rank", sa.SmallInteger, nullable=False),
    sa.Column("detected_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    # withdrawn by alerting (the data no longer supports it): not counted in the handling figures
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    # what the analyses of alerts show (migration 0007): the entity's name and the rule's severity
    # as alerting judged them, the figures that raised the alert (`facts`, as the rule names them,
    # and up to 13 months of power and tax), the township's 办结 disposition, a passed deadline
    sa.Column("month", sa.Text, nullable=True),  # the month it is counted in (domain/alerts.month_of)
    sa.Column("entity_name", sa.Text, nullable=True),
    sa.Column("severity", sa.Text, nullable=True),
    sa.Column("facts", JSONB, nullable=True),
    sa.Column("evidence_months", JSONB, nullable=True),
    sa.Column("disposition", sa.Text, nullable=True),
    sa.Column("effect", sa.Text, nullable=True),  # shared.contracts.DispositionEffect
    sa.Column("overdue", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("alerts_by_township", "township_code"),
    sa.Index("alerts_by_uscc", "uscc"),
    sa.Index("alerts_by_month", "month", "township_code"),
    # a township's live alerts by rule and state: the report's lists and counts (migration 0022)
    sa.Index("alerts_live_by_township", "township_code", "rule", "status_rank", postgresql_where=sa.text("withdrawn_at IS NULL")),
    # a rule's live alerts by month, with the keys the per-entity lists rank by (migration 0024)
    sa.Index("alerts_live_by_rule", "rule", "month", "uscc", "alert_id", postgresql_include=["township_code"],
             postgresql_where=sa.text("withdrawn_at IS NULL")),
)

# each department's timeliness per kind and period, as ingest last judged it
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("first_arrival", sa.DateTime(timezone=True), nullable=True),
    sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
)

# The monthly read model (domain/months.py says what "as known at month end" means).
# One row per record × entity it is linked to (a shared meter's record has one per sharer): its
# figure by the entity's share, as the newest version says (`value`, NULL once a newer version is
# linked elsewhere or not at all) and as the newest version received before the month-end cutoff
# said (`reported_value`, NULL when none was). `uscc` "" is a version that failed to match: it
# supersedes older versions' links and counts for no entity.
figure_records = sa.Table(
    "figure_records",
    metadata,
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("measure", sa.Text, nullable=False),  # kwh | tax
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("reported_version", sa.Integer, nullable=True),
    sa.Column("reported_value", sa.Float, nullable=True),
    sa.Index("figure_records_by_entity_month", "uscc", "period"),
)

# an entity-month with a figure by either basis: what entity lists show and pivots count
WITH_FIGURES = "kwh IS NOT NULL OR tax IS NOT NULL OR kwh_reported IS NOT NULL OR tax_reported IS NOT NULL"

# Per entity × month, summed from figure_records for the entity-months each batch touches (a
# recomputation, never a delta: a redelivered event changes nothing). NULL: nothing reported. The
# entity's township and 门类 are copied from its registration (kept in step when it changes) so
# the dashboards' rollups read this one table by period and township.
entity_months = sa.Table(
    "entity_months",
    metadata,
    sa.Column("uscc", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("industry_section", sa.Text, nullable=True),
    sa.Column("entity_name", sa.Text, nullable=False),
    sa.Column("kwh", sa.Float, nullable=True),
    sa.Column("tax", sa.Float, nullable=True),
    sa.Column("kwh_reported", sa.Float, nullable=True),
    sa.Column("tax_reported", sa.Float, nullable=True),
    # the entity's average daily kWh in this month's festival-aligned base month (domain/power.py),
    # by each basis; NULL without a figure there. Copied from that month's row whenever either
    # changes (migration 0014), so the 用电景气 counts are kept in area_months like any sum.
    sa.Column("base_daily_kwh", sa.Float, nullable=True),
    sa.Column("base_daily_kwh_reported", sa.Float, nullable=True),
    # the entity's 主体类型 and 规模档 (the city's band file, analytics.size_band()) copied from its
    # registration like its township, so kind_months is kept by the same deltas (migration 0016)
    sa.Column("entity_type", sa.Text, nullable=True),
    sa.Column("size_band", sa.Text, nullable=True),
    # an entity's figures of a month from the key alone (the movers' candidates, migration 0019)
    sa.PrimaryKeyConstraint("uscc", "period", name="entity_months_pkey",
                            postgresql_include=["kwh", "tax", "kwh_reported", "tax_reported", "township_code", "industry_section"]),
    sa.Index("entity_months_by_period_township", "period", "township_code"),
    # a month's largest taxpayers and power users first (梁柱企业, the movers, the entity lists): read
    # down these, not sorted from all of the month's rows (migration 0015), and a row's township and
    # 门类 tested in the index, not on its heap page (0017); only the rows with a figure, so an entity
    # list's page is found in the index alone (0020)
    *(sa.Index(f"entity_months_by_period_{m}", "period", sa.text(f"{m} DESC NULLS LAST"), "uscc",
               postgresql_include=["township_code", "industry_section"], postgresql_where=sa.text(WITH_FIGURES))
      for m in ("tax", "kwh")),
    # the rows with a figure, what a pivot counts of them (0017; by type and 规模档 too, 0025), and a
    # township's figures of a month (its movers, 0023)
    sa.Index("entity_months_with_figures", "period", "township_code",
             postgresql_include=["industry_section", "uscc", "kwh", "tax", "kwh_reported", "tax_reported", "entity_type", "size_band"],
             postgresql_where=sa.text(WITH_FIGURES)),
)

# The township × 门类 × month rollup of entity_months (migration 0010): what 产业运行监控 and 用电趋势
# sum city- and county-wide. Kept by deltas in the statement that changes entity-months (each
# change adds its new figures to its group and takes its old ones from the old group: row locks
# serialise concurrent batches, a redelivered event changes nothing). Sums are exact decimals (no
# drift from adding and taking away); a sum is meaningful only where its count is above zero.
# kwh_compared / kwh_below: 用电景气, entities with power in the month and in its aligned base month,
# and those of them using less per day than then (domain/power.py `below_last_year`; migration 0014)
AREA_MONTH_COUNTS = ("entities", "entities_reported", "kwh_entities", "kwh_entities_reported", "tax_entities", "tax_entities_reported",
                     "kwh_compared", "kwh_compared_reported", "kwh_below", "kwh_below_reported")
AREA_MONTH_SUMS = ("kwh", "kwh_reported", "tax", "tax_reported")
area_months = sa.Table(
    "area_months",
    metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("township_code", sa.Text, primary_key=True),
    sa.Column("section", sa.Text, primary_key=True),  # 门类 letter or "unknown"
    *(sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in AREA_MONTH_COUNTS),
    *(sa.Column(c, sa.Numeric, nullable=False, server_default="0") for c in AREA_MONTH_SUMS),
)

# The same rollup finer, by the entity's 主体类型 and 规模档 too (migration 0016): the pivots of power
# and tax by type or band (企业信息多维分析) sum these instead of every entity-month of the year joined
# to its registration (1–3 s of PostgreSQL city-wide). Kept by the same deltas; refilled when the
# city's band file changes (repository.apply_size_bands, at start).
KIND_MONTH_COUNTS = AREA_MONTH_COUNTS[:6]  # entities, kwh_entities, tax_entities by each basis
kind_months = sa.Table(
    "kind_months",
    metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("township_code", sa.Text, primary_key=True),
    sa.Column("section", sa.Text, primary_key=True),
    sa.Column("entity_type", sa.Text, primary_key=True),
    sa.Column("size_band", sa.Text, primary_key=True),
    *(sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in KIND_MONTH_COUNTS),
    *(sa.Column(c, sa.Numeric, nullable=False, server_default="0") for c in AREA_MONTH_SUMS),
)

# The data files whose content the tables were last brought in line with (the band file: its
# fingerprint; a change re-bands entity_months and refills kind_months at start).
applied_files = sa.Table(
    "applied_files",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

# Department records counted per township × kind × period ("" for a register's) × link rank
# (migration 0011): 区域概况 and 公共信息对比分析 read these few thousand rows, not every record. Kept
# by deltas in the statement that upserts records (storage/repository.py `upsert_records`).
record_counts = sa.Table(
    "record_counts",
    metadata,
    sa.Column("township_code", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("match_rank", sa.SmallInteger, primary_key=True),
    sa.Column("records", sa.Integer, nullable=False, server_default="0"),
)
