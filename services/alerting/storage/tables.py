"""alerting's own tables (schema `alerting`)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.messaging_tables import messaging_tables, outbox_dead_letters_table

metadata = sa.MetaData(schema="alerting")
outbox, processed_events = messaging_tables(metadata)
outbox_dead_letters = outbox_dead_letters_table(metadata)

# one row per matched record and entity (several when a meter is shared, 多户一表, each with its
# share of the value), newest version only: corrections replace, never add
facts = sa.Table(
    "facts",
    metadata,
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # power_usage, tax_payment, net_profit
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("entity_name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    # where the department placed the record (a power account's township): 属地不一致 compares it
    sa.Column("record_township_code", sa.Text, nullable=True),
    # why the matcher linked the record here (department, kind, source_key, method, score, explanation):
    # the evidence packet shows it, a 非同一主体 finding names its source key to the matcher
    sa.Column("link", JSONB, nullable=True),
    sa.Index("facts_by_entity_month", "uscc", "period"),
    sa.Index("facts_by_period", "period"),
)

# the registry as the rules need it: industry, status and since when (newest registration version)
entities = sa.Table(
    "entities",
    metadata,
    sa.Column("uscc", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("industry_code", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("status_since", sa.Date, nullable=True),
)

# how complete a period is per department, from ingest's timeliness judgement (submission-assessed)
closures = sa.Table(
    "closures",
    metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("missing", sa.Boolean, nullable=False),
)

# one period's fitted intervals and peers (domain.history.Population), refitted when the period closes
populations = sa.Table(
    "populations",
    metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("ruleset_version", sa.Text, nullable=False),
    sa.Column("population", JSONB, nullable=False),
    sa.Column("fitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("changes_fitted", sa.BigInteger, nullable=False, server_default="0"),  # period_changes.changes then
)

# how often a period's facts changed, and when last: a closed period's population is refitted (and
# the period judged again) once its facts have changed since the fit and then stayed quiet — records
# matched after the period closed (the matcher runs behind ingest's timeliness judgement) count too
period_changes = sa.Table(
    "period_changes",
    metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("changes", sa.BigInteger, nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
)

# a period being judged for its closing, page by page (each page its own transaction): how far it got,
# and the event that closed it (the cause of the alerts it raises; none for the sweep's refits). A
# finished closing stays, with how many entities it judged, until the period closes again.
closings = sa.Table(
    "closings",
    metadata,
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("cause", sa.LargeBinary, nullable=True),  # the envelope, as it was consumed
    sa.Column("fitted", sa.Boolean, nullable=False, server_default=sa.false()),  # the population saved
    sa.Column("after", sa.Text, nullable=False, server_default=""),  # the last entity (uscc) judged
    sa.Column("judged", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Uuid, primary_key=True),
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("uscc", sa.Text, nullable=False),
    sa.Column("period", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # the township's handling: open, acknowledged, resolved
    sa.Column("detected_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    # whether the data supports it now: false once a correction or a late record made it untrue
    # (published as anomaly-resolved), true again if the data comes back to it
    sa.Column("supported", sa.Boolean, nullable=False, server_default=sa.true()),
    # silenced by another finding of the same entity-month (deregistered_active): recorded, not published
    sa.Column("inhibited", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("severity", sa.Text, nullable=False, server_default="medium"),
    sa.Column("ruleset_version", sa.Text, nullable=False, server_default=""),
    sa.Column("facts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("message_zh", sa.Text, nullable=False, server_default=""),
    sa.Column("also_townships", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    # the silence that holds it back (recorded, not published) while it lasts
    sa.Column("silenced_by", sa.Uuid, nullable=True),
    # deadlines in working days from the severity, and when their passing was announced
    sa.Column("acknowledge_due", sa.Date, nullable=True),
    sa.Column("resolve_due", sa.Date, nullable=True),
    # the township's finding when it resolved the alert (a disposition's effect: confirmed, suppress, …)
    sa.Column("finding", sa.Text, nullable=True),
    sa.Column("acknowledge_overdue_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolve_overdue_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("alerts_by_entity_period", "uscc", "period"),
    sa.Index("alerts_by_township_detected", "township_code", "detected_at"),
)

# a supervisor's silence: every matcher given must match; the table is its audit trail
silences = sa.Table(
    "silences",
    metadata,
    sa.Column("silence_id", sa.Uuid, primary_key=True),
    sa.Column("rule", sa.Text, nullable=True),
    sa.Column("uscc", sa.Text, nullable=True),
    sa.Column("industry", sa.Text, nullable=True),
    sa.Column("township_prefix", sa.Text, nullable=False),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("lifted_by", sa.Text, nullable=True),
    sa.Index("silences_by_end", "ends_at"),
)

# when each township last got its daily digest
digests = sa.Table(
    "digests",
    metadata,
    sa.Column("township_code", sa.Text, primary_key=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)

# a supervisor's backtest, queued until an instance takes it (see storage.backtest_jobs)
backtests = sa.Table(
    "backtests",
    metadata,
    sa.Column("backtest_id", sa.Uuid, primary_key=True),
    sa.Column("requested_by", sa.Text, nullable=False),  # the principal's actor
    sa.Column("area", sa.Text, nullable=False),  # township-code prefix judged; "" the city
    sa.Column("first", sa.Text, nullable=False),
    sa.Column("last", sa.Text, nullable=False),
    sa.Column("ruleset", sa.Text, nullable=False),  # the proposal's YAML, as sent
    sa.Column("ruleset_version", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="queued"),  # queued, running, done, failed
    sa.Column("pages_done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pages_total", sa.Integer, nullable=True),  # an estimate from the registry, once started
    sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),  # stale: its instance died
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("result", JSONB, nullable=True),  # backtest.BacktestOut
    sa.Column("error", sa.Text, nullable=True),
    sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name="backtest_status"),
    sa.Index("backtests_waiting", "submitted_at", postgresql_where=sa.text("status in ('queued', 'running')")),
)
