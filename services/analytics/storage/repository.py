from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Hashable, Sequence
from datetime import date, timedelta
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.bulk import arrays, insert_rows
from shared.reference import UNKNOWN_ENTITY_TYPE

from services.analytics.domain.overview import (
    ALERT_ACKNOWLEDGED,
    ALERT_OPEN,
    ALERT_RESOLVED,
    MATCH_FAILED,
    MATCH_OK,
    TownshipFigures,
)
from services.analytics.domain import changes, power
from services.analytics.domain.months import UNKNOWN_SECTION
from services.analytics.domain.pivot import Scope
from services.analytics.domain.size_bands import UNDECLARED, SizeBands
from services.analytics.storage.tables import (
    AREA_MONTH_COUNTS,
    AREA_MONTH_SUMS,
    KIND_MONTH_COUNTS,
    alerts,
    applied_files,
    area_months,
    entities,
    entity_months,
    figure_records,
    kind_months,
    record_counts,
    records,
    submissions,
)


def _latest(rows: Sequence[dict], key: Callable[[dict], Hashable], version: str) -> list[dict]:
    """One row per key, the newest: a statement may not update the same row twice."""
    latest: dict = {}
    for row in rows:
        k = key(row)
        if k not in latest or latest[k][version] < row[version]:
            latest[k] = row
    return list(latest.values())


async def upsert_entities(session: AsyncSession, rows: Sequence[dict]) -> None:
    if not rows:
        return
    stmt = insert(entities)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[entities.c.entity_key],
            set_={
                **{c: stmt.excluded[c] for c in ("name", "township_code", "status", "industry_code", "industry_section", "version", "entity_type")},
                "registered_capital": sa.func.coalesce(stmt.excluded.registered_capital, entities.c.registered_capital),
                # a later version (a 变更, a 注销) need not repeat the dates an earlier one gave
                "established_on": sa.func.coalesce(stmt.excluded.established_on, entities.c.established_on),
                "ended_on": sa.case((stmt.excluded.status == "active", None),
                                    else_=sa.func.coalesce(stmt.excluded.ended_on, entities.c.ended_on)),
            },
            where=entities.c.version < stmt.excluded.version,
        ),
        _latest(rows, itemgetter("entity_key"), "version"),
    )


async def upsert_records(session: AsyncSession, rows: Sequence[dict]) -> None:
    """Rows carry the match_rank they prove. Within one version of a record the rank only goes up
    (its import and its match arrive on different topics, in either order); a newer version (a
    correction) replaces what the older one said: its township, its link, its rank."""
    if not rows:
        return
    merged: dict = {}
    for row in rows:
        current = merged.get(row["record_id"])
        if current is None or row["version"] > current["version"]:
            merged[row["record_id"]] = row
        elif row["version"] == current["version"]:
            proves_more = row["match_rank"] > current["match_rank"]  # a link names the entity the record is about
            merged[row["record_id"]] = {
                **current, "match_rank": max(row["match_rank"], current["match_rank"]),
                "uscc": (row["uscc"] or current["uscc"]) if proves_more else (current["uscc"] or row["uscc"]),
            }
    rows = sorted(merged.values(), key=itemgetter("record_id"))  # one lock order for concurrent batches
    await session.execute(_UPSERT_RECORDS, {
        "record_ids": [r["record_id"] for r in rows], "departments": [r["department"] for r in rows],
        "kinds": [r["kind"] for r in rows], "townships": [r["township_code"] for r in rows],
        "periods": [r["period"] for r in rows], "usccs": [r["uscc"] for r in rows],
        "versions": [r["version"] for r in rows], "ranks": [r["match_rank"] for r in rows],
        "source_keys": [r["source_key"] for r in rows], "names": [r["record_name"] for r in rows],
    })


# The record upsert and its deltas to record_counts (as `_with_rollup` does for entity-months).
_UPSERT_RECORDS = sa.text("""
WITH changed AS (
  INSERT INTO analytics.records AS t (record_id, department, kind, township_code, period, uscc, version, match_rank,
                                      source_key, record_name)
  SELECT * FROM unnest(CAST(:record_ids AS uuid[]), CAST(:departments AS text[]), CAST(:kinds AS text[]),
                       CAST(:townships AS text[]), CAST(:periods AS text[]), CAST(:usccs AS text[]),
                       CAST(:versions AS integer[]), CAST(:ranks AS smallint[]),
                       CAST(:source_keys AS text[]), CAST(:names AS text[]))
  ON CONFLICT (record_id) DO UPDATE SET
    version = greatest(t.version, excluded.version),
    source_key = CASE WHEN excluded.version >= t.version THEN coalesce(excluded.source_key, t.source_key) ELSE t.source_key END,
    record_name = CASE WHEN excluded.version >= t.version THEN coalesce(excluded.record_name, t.record_name) ELSE t.record_name END,
    township_code = CASE WHEN excluded.version > t.version THEN excluded.township_code ELSE t.township_code END,
    period = CASE WHEN excluded.version > t.version THEN excluded.period ELSE t.period END,
    match_rank = CASE WHEN excluded.version > t.version THEN excluded.match_rank
                      WHEN excluded.version = t.version THEN greatest(t.match_rank, excluded.match_rank)
                      ELSE t.match_rank END,
    uscc = CASE WHEN excluded.version > t.version THEN excluded.uscc
                WHEN excluded.version = t.version AND excluded.match_rank > t.match_rank THEN coalesce(excluded.uscc, t.uscc)
                WHEN excluded.version = t.version THEN coalesce(t.uscc, excluded.uscc)
                ELSE t.uscc END
  RETURNING old.township_code AS old_township, old.kind AS old_kind, old.period AS old_period, old.match_rank AS old_rank,
            new.township_code AS new_township, new.kind AS new_kind, new.period AS new_period, new.match_rank AS new_rank
), sides AS (
  SELECT new_township AS township_code, new_kind AS kind, coalesce(new_period, '') AS period, new_rank AS match_rank, 1 AS n
  FROM changed
  UNION ALL
  SELECT old_township, old_kind, coalesce(old_period, ''), old_rank, -1 FROM changed WHERE old_township IS NOT NULL
)
INSERT INTO analytics.record_counts AS c (township_code, kind, period, match_rank, records)
SELECT township_code, kind, period, match_rank, sum(n) FROM sides
GROUP BY township_code, kind, period, match_rank ORDER BY township_code, kind, period, match_rank
ON CONFLICT (township_code, kind, period, match_rank) DO UPDATE SET records = c.records + excluded.records
""")

REFILL_RECORD_COUNTS = """
    INSERT INTO analytics.record_counts
    SELECT township_code, kind, coalesce(period, ''), match_rank, count(*) FROM analytics.records GROUP BY 1, 2, 3, 4"""


async def upsert_alerts(session: AsyncSession, rows: Sequence[dict]) -> None:
    """Detection and feedback may arrive in either order; each fills its own columns. Rows with the same
    columns go as one statement executed row by row in their order; between such groups order does not
    matter, as every column is only filled (coalesce) or raised (greatest)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for columns, group in groups.items():
        await session.execute(_upsert_alert(columns), group)


@functools.lru_cache(maxsize=32)
def _upsert_alert(columns: tuple[str, ...]):
    stmt = insert(alerts)
    updates = {c: sa.func.coalesce(stmt.excluded[c], alerts.c[c]) for c in columns if c not in ("alert_id", "status_rank")}
    updates["status_rank"] = sa.func.greatest(alerts.c.status_rank, stmt.excluded.status_rank)
    if "detected_at" in columns:  # raised again after a withdrawal: counted again
        updates["detected_at"] = sa.func.greatest(alerts.c.detected_at, stmt.excluded.detected_at)
        updates["withdrawn_at"] = sa.case(
            (alerts.c.withdrawn_at < stmt.excluded.detected_at, None), else_=alerts.c.withdrawn_at)
    return stmt.on_conflict_do_update(index_elements=[alerts.c.alert_id], set_=updates)


async def withdraw_alerts(session: AsyncSession, rows: Sequence[dict]) -> None:
    """`rows`: alert_id, withdrawn_at. A withdrawal older than the alert's last detection does nothing."""
    if rows:
        await session.execute(_WITHDRAW_ALERT, [{**row, "status_rank": 0} for row in rows])


_withdrawal = insert(alerts)
_WITHDRAW_ALERT = _withdrawal.on_conflict_do_update(
    index_elements=[alerts.c.alert_id], set_={"withdrawn_at": _withdrawal.excluded.withdrawn_at},
    where=sa.or_(alerts.c.detected_at.is_(None), alerts.c.detected_at <= _withdrawal.excluded.withdrawn_at),
)


async def restate_alerts(session: AsyncSession, rows: Sequence[dict]) -> None:
    """`rows`: alert_id, message_zh, facts, evidence_months — alerts that still hold with other figures, as
    the data reads now."""
    if rows:
        await session.execute(_RESTATE_ALERT, [{f"b_{k}": v for k, v in row.items()} for row in rows])


_RESTATE_ALERT = sa.update(alerts).where(alerts.c.alert_id == sa.bindparam("b_alert_id")).values(
    message_zh=sa.bindparam("b_message_zh"), facts=sa.bindparam("b_facts"),
    evidence_months=sa.bindparam("b_evidence_months"))


async def figures_by_township(session: AsyncSession, township_prefix: str) -> dict[str, TownshipFigures]:
    figures: dict[str, TownshipFigures] = {}

    def fig(code: str) -> TownshipFigures:
        return figures.setdefault(code, TownshipFigures())

    in_scope = lambda col: col.startswith(township_prefix)  # noqa: E731
    for code, n in await session.execute(
        sa.select(entities.c.township_code, sa.func.count()).where(in_scope(entities.c.township_code)).group_by(entities.c.township_code)
    ):
        fig(code).entities = n
    count_rank = lambda col, rank: sa.func.count().filter(col == rank)  # noqa: E731
    c = record_counts.c
    with_rank = lambda rank: sa.func.coalesce(sa.func.sum(c.records).filter(c.match_rank == rank), 0)  # noqa: E731
    for code, total, matched, failed in await session.execute(
        sa.select(c.township_code, sa.func.sum(c.records), with_rank(MATCH_OK), with_rank(MATCH_FAILED))
        .where(c.kind != "registration", in_scope(c.township_code))
        .group_by(c.township_code)
    ):
        f = fig(code)
        f.records, f.matched_records, f.unmatched_records = total, matched, failed
    for code, open_, acknowledged, resolved in await session.execute(
        sa.select(
            alerts.c.township_code,
            count_rank(alerts.c.status_rank, ALERT_OPEN),
            count_rank(alerts.c.status_rank, ALERT_ACKNOWLEDGED),
            count_rank(alerts.c.status_rank, ALERT_RESOLVED),
        )
        .where(in_scope(alerts.c.township_code), alerts.c.withdrawn_at.is_(None))
        .group_by(alerts.c.township_code)
    ):
        f = fig(code)
        f.open_alerts, f.acknowledged_alerts, f.resolved_alerts = open_, acknowledged, resolved
    return figures


async def upsert_submissions(session: AsyncSession, rows: Sequence[dict]) -> None:
    if not rows:
        return
    stmt = insert(submissions)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[submissions.c.department, submissions.c.kind, submissions.c.period],
            set_={c: stmt.excluded[c] for c in ("deadline", "status", "first_arrival", "assessed_at")},
            where=submissions.c.assessed_at <= stmt.excluded.assessed_at,
        ),
        _latest(rows, itemgetter("department", "kind", "period"), "assessed_at"),
    )


async def list_submissions(session: AsyncSession, period: str | None, department: str | None, limit: int, offset: int):
    query = (
        sa.select(submissions)
        .order_by(submissions.c.period.desc(), submissions.c.department, submissions.c.kind)
        .limit(limit)
        .offset(offset)
    )
    if period:
        query = query.where(submissions.c.period == period)
    if department:
        query = query.where(submissions.c.department == department)
    return (await session.execute(query)).mappings().all()


# ---- the monthly read model ------------------------------------------------------------------

# A record's newest version speaks for it now, its first version known at month end as reported:
# rows of other versions keep their place, without the figure they do not give. The batch's records'
# rows are read once through the primary key and only those to change are joined back: joined to
# the whole table, the planner hashed all of it for every batch (a sequential scan of figure_records
# per batch: 41 ms of a batch of 400 at 121,000 rows, growing with every month; now 6 ms).
_SUPERSEDE = sa.text(
    "UPDATE analytics.figure_records AS f SET"
    "  value = CASE WHEN f.version < stale.version THEN NULL ELSE f.value END,"
    "  reported_value = CASE WHEN f.reported_version > stale.reported_version THEN NULL ELSE f.reported_value END"
    " FROM (SELECT * FROM (SELECT record_id, uscc, version AS own_version, value, reported_version AS own_reported_version,"
    "                             reported_value, max(version) OVER same AS version,"
    "                             min(reported_version) OVER same AS reported_version"
    "                      FROM analytics.figure_records WHERE record_id = ANY(CAST(:record_ids AS uuid[]))"
    "                      WINDOW same AS (PARTITION BY record_id)) AS rows_of_the_records"
    "       WHERE (own_version < version AND value IS NOT NULL)"
    "          OR (own_reported_version > reported_version AND reported_value IS NOT NULL)) AS stale"
    " WHERE f.record_id = stale.record_id AND f.uscc = stale.uscc"
    " RETURNING f.uscc, f.period"
)

# What a change to entity-months does to the rollups (tables.area_months, tables.kind_months): the
# changed rows' new figures are added to their group, their old ones (PostgreSQL 18's RETURNING
# old.*; none for a new row) taken from theirs. One statement with the change itself.
_ROW_FIGURES = ("kwh", "tax", "kwh_reported", "tax_reported", "base_daily_kwh", "base_daily_kwh_reported")
_AREA_KEYS = ("period", "township_code", "section")
_KIND_KEYS = (*_AREA_KEYS, "entity_type", "size_band")
_ROLLUP_COUNTS = {  # what each count of the rollups counts, over an entity-month's row
    "entities": "kwh IS NOT NULL OR tax IS NOT NULL", "entities_reported": "kwh_reported IS NOT NULL OR tax_reported IS NOT NULL",
    **{f"{c}_entities": f"{c} IS NOT NULL" for c in ("kwh", "tax")},
    **{f"{c}_entities_reported": f"{c}_reported IS NOT NULL" for c in ("kwh", "tax")},
    **{f"kwh_compared{s}": f"kwh{s} IS NOT NULL AND base_daily_kwh{s} IS NOT NULL" for s in ("", "_reported")},
    **{f"kwh_below{s}": f"coalesce(kwh{s} / analytics.days_in(period) < base_daily_kwh{s}, false)" for s in ("", "_reported")},
}
# an entity-month's keys in the rollups, over its row (`{r}`: the row's name and a dot, or nothing)
_ROW_KEYS = {"township_code": "{r}township_code", "section": "coalesce({r}industry_section, 'unknown')",
             "entity_type": f"coalesce({{r}}entity_type, '{UNKNOWN_ENTITY_TYPE}')",
             "size_band": f"coalesce({{r}}size_band, '{UNDECLARED}')"}
_CHANGED = ", ".join(
    [f"{expression.format(r=age + '.')} AS {age}_{key}" for age in ("old", "new") for key, expression in _ROW_KEYS.items()]
    + ["new.period"] + [f"{age}.{c} AS {age}_{c}" for age in ("old", "new") for c in _ROW_FIGURES])


def _side(age: str, sign: int) -> str:
    return (f"SELECT period, {', '.join(f'{age}_{k} AS {k}' for k in _ROW_KEYS)}, {sign} AS sign, "
            + ", ".join(f"{age}_{c} AS {c}" for c in _ROW_FIGURES) + f" FROM changed WHERE {age}_township_code IS NOT NULL")


def _upsert_deltas(table: str, keys: Sequence[str], counts: Sequence[str]) -> str:
    """Adds the grouped deltas of the change's sides to a rollup keyed by `keys`, in key order
    (concurrent batches lock a rollup's rows in the same order)."""
    columns, key = [*counts, *AREA_MONTH_SUMS], ", ".join(keys)
    deltas = [f"sum(sign * ({_ROLLUP_COUNTS[c]})::int) AS {c}" for c in counts]
    deltas += [f"sum(sign * coalesce({c}::numeric, 0)) AS {c}" for c in AREA_MONTH_SUMS]
    return (f"INSERT INTO analytics.{table} AS a ({key}, {', '.join(columns)})"
            f" SELECT {key}, {', '.join(deltas)} FROM sides GROUP BY {key} ORDER BY {key}"
            f" ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{c} = a.{c} + excluded.{c}" for c in columns))


def _with_rollup(change: str) -> sa.TextClause:
    """`change` (an INSERT or UPDATE of entity_months, without RETURNING) and both rollups' deltas."""
    return sa.text(
        f"WITH changed AS ({change} RETURNING {_CHANGED}),"
        f" sides AS ({_side('new', 1)} UNION ALL {_side('old', -1)}),"
        f" areas AS ({_upsert_deltas('area_months', _AREA_KEYS, AREA_MONTH_COUNTS)})"
        f" {_upsert_deltas('kind_months', _KIND_KEYS, KIND_MONTH_COUNTS)}"
    )


def _refill(table: str, keys: Sequence[str], counts: Sequence[str]) -> str:
    """A rollup from scratch (a bulk load, as bench_dashboard's, and a new band file bypass the deltas)."""
    grouped = [_ROW_KEYS.get(k, k).format(r="") for k in keys]
    return (f"INSERT INTO analytics.{table} ({', '.join(keys)}, {', '.join([*counts, *AREA_MONTH_SUMS])})"
            f" SELECT {', '.join(grouped)}, " + ", ".join(f"count(*) FILTER (WHERE {_ROLLUP_COUNTS[c]})" for c in counts)
            + ", " + ", ".join(f"coalesce(sum({c}::numeric), 0)" for c in AREA_MONTH_SUMS)
            + f" FROM analytics.entity_months GROUP BY {', '.join(map(str, range(1, len(keys) + 1)))}")


REFILL_AREA_MONTHS = _refill("area_months", _AREA_KEYS, AREA_MONTH_COUNTS)
REFILL_KIND_MONTHS = _refill("kind_months", _KIND_KEYS, KIND_MONTH_COUNTS)


def size_band_function(bands: SizeBands) -> str:
    """analytics.size_band(capital): SizeBands.band_of in SQL, for the statements that band entity-months."""
    higher = " ".join(f"WHEN capital >= {b.lower!r} THEN '{b.code}'" for b in reversed(bands.bands[1:]))
    return ("CREATE OR REPLACE FUNCTION analytics.size_band(capital double precision) RETURNS text"
            " LANGUAGE sql STABLE PARALLEL SAFE"
            f" RETURN CASE WHEN capital IS NULL THEN '{UNDECLARED}' {higher} ELSE '{bands.bands[0].code}' END")


def bands_fingerprint(bands: SizeBands) -> str:
    """What of a band file the tables depend on: its codes and lower bounds (not the names people read)."""
    return hashlib.sha256(";".join(f"{b.code}:{b.lower!r}" for b in bands.bands).encode()).hexdigest()


_BAND_ENTITY_MONTHS = (
    "UPDATE analytics.entity_months AS m SET entity_type = e.entity_type, size_band = analytics.size_band(e.registered_capital)"
    " FROM analytics.entities AS e WHERE e.entity_key = m.uscc"
    " AND (m.entity_type, m.size_band) IS DISTINCT FROM (e.entity_type, analytics.size_band(e.registered_capital))",
    f"UPDATE analytics.entity_months AS m SET entity_type = '{UNKNOWN_ENTITY_TYPE}', size_band = '{UNDECLARED}'"
    " WHERE NOT EXISTS (SELECT FROM analytics.entities AS e WHERE e.entity_key = m.uscc)"
    f" AND (m.entity_type, m.size_band) IS DISTINCT FROM ('{UNKNOWN_ENTITY_TYPE}', '{UNDECLARED}')",
)


async def apply_size_bands(session: AsyncSession, bands: SizeBands) -> bool:
    """Brings the tables in line with the city's band file when it is not the one they were banded by
    (the first start after migration 0016, or a changed file): analytics.size_band() written from it,
    every entity-month's 规模档 (and type) set again, kind_months refilled. The consumers' statements
    wait meanwhile (the two tables are locked), so no delta falls between. True if anything was done."""
    fingerprint = bands_fingerprint(bands)
    applied = sa.select(applied_files.c.fingerprint).where(applied_files.c.name == "size_bands")
    if await session.scalar(applied) == fingerprint:
        return False
    await session.execute(sa.text("LOCK TABLE analytics.entity_months, analytics.kind_months IN SHARE ROW EXCLUSIVE MODE"))
    if await session.scalar(applied) == fingerprint:  # another instance did it while this one waited
        return False
    await session.execute(sa.text(size_band_function(bands)))
    for statement in _BAND_ENTITY_MONTHS:
        await session.execute(sa.text(statement))
    await session.execute(sa.delete(kind_months))
    await session.execute(sa.text(REFILL_KIND_MONTHS))
    stmt = insert(applied_files).values(name="size_bands", fingerprint=fingerprint)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[applied_files.c.name], set_={"fingerprint": stmt.excluded.fingerprint, "applied_at": sa.func.now()}))
    return True


# Recomputes the touched entity-months from their records (idempotent, whatever was redelivered).
# Township, 门类 and name come from the registration when analytics has it, else from the link; the
# base daily kWh from the entity's row of the aligned base month (`:bases`, domain/power.py).
_RECOMPUTE = _with_rollup("""
INSERT INTO analytics.entity_months AS m
  (uscc, period, township_code, industry_section, entity_name, kwh, tax, kwh_reported, tax_reported,
   base_daily_kwh, base_daily_kwh_reported, entity_type, size_band)
SELECT t.uscc, t.period, coalesce(e.township_code, t.township_code), e.industry_section, coalesce(e.name, t.entity_name),
       sum(f.value) FILTER (WHERE f.measure = 'kwh'), sum(f.value) FILTER (WHERE f.measure = 'tax'),
       sum(f.reported_value) FILTER (WHERE f.measure = 'kwh'), sum(f.reported_value) FILTER (WHERE f.measure = 'tax'),
       b.kwh / analytics.days_in(t.base), b.kwh_reported / analytics.days_in(t.base),
       coalesce(e.entity_type, 'unknown'), analytics.size_band(e.registered_capital)
FROM unnest(CAST(:usccs AS text[]), CAST(:periods AS text[]), CAST(:townships AS text[]), CAST(:names AS text[]),
            CAST(:bases AS text[]))
     AS t (uscc, period, township_code, entity_name, base)
LEFT JOIN analytics.figure_records AS f ON f.uscc = t.uscc AND f.period = t.period
LEFT JOIN analytics.entities AS e ON e.entity_key = t.uscc
LEFT JOIN analytics.entity_months AS b ON b.uscc = t.uscc AND b.period = t.base
GROUP BY t.uscc, t.period, t.township_code, t.entity_name, t.base, e.township_code, e.industry_section, e.name,
         e.entity_type, e.registered_capital, b.kwh, b.kwh_reported
ON CONFLICT (uscc, period) DO UPDATE SET
  entity_type = excluded.entity_type, size_band = excluded.size_band,
  kwh = excluded.kwh, tax = excluded.tax, kwh_reported = excluded.kwh_reported, tax_reported = excluded.tax_reported,
  base_daily_kwh = excluded.base_daily_kwh, base_daily_kwh_reported = excluded.base_daily_kwh_reported,
  township_code = CASE WHEN excluded.township_code <> '' THEN excluded.township_code ELSE m.township_code END,
  industry_section = coalesce(excluded.industry_section, m.industry_section),
  entity_name = CASE WHEN excluded.entity_name <> '' THEN excluded.entity_name ELSE m.entity_name END
""")

# Whether any entity has figures for one of the months: a month's dependents are a year later and
# mostly not there yet. One index probe a batch, where _FOLLOW_BASES probes two per entity-month
# (20 ms a batch of 400, 5 % of PostgreSQL's statement time in the month that updated nothing).
_ANY_MONTH_OF = sa.text(
    "SELECT EXISTS (SELECT FROM analytics.entity_months WHERE period = ANY(CAST(:periods AS text[])))")

# The months whose aligned base a recomputed month is (`:dependents`) take its new daily kWh. After
# _RECOMPUTE, so a batch holding both a month and its base leaves the month with the base's new figure.
_FOLLOW_BASES = _with_rollup("""
UPDATE analytics.entity_months AS m
SET base_daily_kwh = b.kwh / analytics.days_in(b.period), base_daily_kwh_reported = b.kwh_reported / analytics.days_in(b.period)
FROM unnest(CAST(:usccs AS text[]), CAST(:periods AS text[]), CAST(:dependents AS text[])) AS t (uscc, period, dependent),
     analytics.entity_months AS b
WHERE b.uscc = t.uscc AND b.period = t.period AND m.uscc = t.uscc AND m.period = t.dependent
  AND (m.base_daily_kwh, m.base_daily_kwh_reported)
      IS DISTINCT FROM (b.kwh / analytics.days_in(b.period), b.kwh_reported / analytics.days_in(b.period))
""")

_FOLLOW_REGISTRATIONS = _with_rollup(
    "UPDATE analytics.entity_months AS m"
    " SET township_code = e.township_code, industry_section = e.industry_section, entity_name = e.name,"
    "     entity_type = e.entity_type, size_band = analytics.size_band(e.registered_capital)"
    " FROM analytics.entities AS e"
    " WHERE e.entity_key = ANY(CAST(:keys AS text[])) AND m.uscc = e.entity_key"
    " AND (m.township_code, m.industry_section, m.entity_name, m.entity_type, m.size_band)"
    "     IS DISTINCT FROM (e.township_code, e.industry_section, e.name, e.entity_type, analytics.size_band(e.registered_capital))"
)


_FIGURE_COLUMNS = tuple(c.name for c in figure_records.c)


async def upsert_figures(session: AsyncSession, rows: Sequence[dict]) -> None:
    """`rows`: record_id, uscc ("" for a version that matched no entity), period, measure, version,
    value (by the entity's share), known (received before the month-end cutoff: the first known
    version is the as-reported one, domain/months.py), township_code and
    entity_name (the link's, used until the registration is known). Three statements per batch: the
    records, the links their newer versions superseded, the entity-months they touch."""
    if not rows:
        return
    merged: dict[tuple, dict] = {}
    for row in rows:
        key = (row["record_id"], row["uscc"])
        current = merged.setdefault(key, {**row, "version": 0, "value": None, "reported_version": None, "reported_value": None})
        if row["version"] > current["version"]:
            current.update(version=row["version"], value=row["value"])
        if row["known"] and (current["reported_version"] is None or row["version"] < current["reported_version"]):
            current.update(reported_version=row["version"], reported_value=row["value"])
    stmt = insert_rows(figure_records, _FIGURE_COLUMNS)
    t, new = figure_records.c, stmt.excluded
    first_report = new.reported_version < sa.func.coalesce(t.reported_version, new.reported_version + 1)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[t.record_id, t.uscc],
            set_={
                "version": sa.func.greatest(t.version, new.version),
                "value": sa.case((new.version > t.version, new.value), else_=t.value),
                "reported_version": sa.case((first_report, new.reported_version), else_=t.reported_version),
                "reported_value": sa.case((first_report, new.reported_value), else_=t.reported_value),
            },
        ),
        arrays(merged.values(), _FIGURE_COLUMNS),
    )
    superseded = await session.execute(_SUPERSEDE, {"record_ids": sorted({r["record_id"] for r in merged.values()})})
    touched: dict[tuple[str, str], tuple[str, str]] = {}
    for uscc, period in superseded:
        touched.setdefault((uscc, period), ("", ""))
    for r in merged.values():
        touched[(r["uscc"], r["period"])] = (r["township_code"], r["entity_name"])
    keys = sorted(k for k in touched if k[0])
    if not keys:
        return
    # in key order: concurrent batches lock entity-months in the same order
    await session.execute(_RECOMPUTE, {
        "usccs": [k[0] for k in keys], "periods": [k[1] for k in keys],
        "townships": [touched[k][0] for k in keys], "names": [touched[k][1] for k in keys],
        "bases": [power.known_base(k[1]) for k in keys],
    })
    dependents = sorted((uscc, later, period) for uscc, period in keys for later in power.based_on(period))
    if dependents and await session.scalar(_ANY_MONTH_OF, {"periods": sorted({later for _, later, _ in dependents})}):
        await session.execute(_FOLLOW_BASES, dict(zip(("usccs", "dependents", "periods"), map(list, zip(*dependents, strict=True)), strict=True)))


async def follow_registrations(session: AsyncSession, entity_keys: Sequence[str]) -> None:
    """An entity's months move with its registration (township, 门类, name, type, 规模档)."""
    if entity_keys:
        await session.execute(_FOLLOW_REGISTRATIONS, {"keys": sorted(set(entity_keys))})


def _in_area(column: sa.ColumnElement, prefix: str) -> sa.ColumnElement:
    """township_code starts with `prefix` (codes are digits), as a range the index can use."""
    if not prefix:
        return sa.true()
    return sa.and_(column >= prefix, column < _area_end(prefix))


def _area_end(prefix: str) -> str:
    """The first code after every code starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _measures(basis: str) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    m = entity_months.c
    return (m.kwh_reported, m.tax_reported) if basis == "reported" else (m.kwh, m.tax)


def _in_section(section: str | None, column: sa.ColumnElement = entity_months.c.industry_section) -> sa.ColumnElement:
    if section is None:
        return sa.true()
    return column.is_(None) if section == "unknown" else column == section


def _rollup(basis: str) -> dict[str, sa.ColumnElement]:
    """The rollup's sums for a basis, summed over the rows selected: a sum is null where no entity gave one."""
    a, suffix = area_months.c, "_reported" if basis == "reported" else ""

    def total(measure: str) -> sa.ColumnElement:
        return sa.case((sa.func.sum(a[f"{measure}_entities{suffix}"]) > 0, sa.cast(sa.func.sum(a[f"{measure}{suffix}"]), sa.Float)))

    return {"entities": sa.func.sum(a[f"entities{suffix}"]), "kwh_entities": sa.func.sum(a[f"kwh_entities{suffix}"]),
            "kwh": total("kwh"), "tax": total("tax")}


def _any_entity() -> sa.ColumnElement:
    """A group is answered while an entity-month is in it by either basis (one that moved away leaves zeros)."""
    return sa.func.sum(area_months.c.entities) + sa.func.sum(area_months.c.entities_reported) > 0


async def figures_by_section(session: AsyncSession, prefix: str, periods: Sequence[str], basis: str) -> list:
    """Per 门类 × month (one of `periods`) in the area: entities with data, total kWh, total tax —
    from the township × 门类 × month rollup (tables.area_months), a few thousand rows city-wide."""
    a, figures = area_months.c, _rollup(basis)
    query = (
        sa.select(a.section, a.period, figures["entities"].label("entities"), figures["kwh"].label("kwh"), figures["tax"].label("tax"))
        .where(a.period.in_(list(periods)), _in_area(a.township_code, prefix))
        .group_by(a.section, a.period)
        .having(_any_entity())
    )
    return (await session.execute(query)).mappings().all()


# per mover sought, the largest figures read from each end of each month: deeper while they cannot prove the
# movers (in a city-wide month the 10 largest moves are often whole figures of entities that went quiet, below the
# 40th largest figure but above the 320th: a first read 40 deep proved none of the city's or a county's movers on
# the 600,000-entity benchmark), before every entity-month of both months is read
MOVER_DEPTHS = (32, 256)


async def mover_candidates(
    session: AsyncSession, prefix: str, period: str, before: str, measure: str, basis: str, n: int, section: str | None = None,
    depth: int = MOVER_DEPTHS[0],
) -> tuple[list, float | None]:
    """The `n` entities of the area whose `measure` changed most from `before` to `period` among the
    candidates, and the most any other entity can have changed (None: every entity with a figure is a
    candidate) — for domain/changes.py `proven_movers`. An entity's change is at most the sum of its
    figures' sizes, so the largest figures of each month, from both ends (a tax can be negative), are
    read down the (period, kwh|tax) indexes; an entity outside them is no larger than the last read.
    Two statements: the four ends answer as four rows (how many read, the smallest size, the USCCs),
    and the candidates' changes are ranked by PostgreSQL, so only the movers come back."""
    column, k = _measure_name(measure, basis), n * depth
    params = {"period": period, "before": before, "k": k, **_area_params(prefix), **_section_params(section)}
    ends = _mover_ends(column, bool(prefix), _section_shape(section))
    stats = sorted((await session.execute(ends, params)).all())  # this month's two ends, then the month before's
    picked = sorted({uscc for *_, usccs in stats for uscc in usccs or ()})
    bound = changes.outside_bound([[(count, smallest) for _, count, smallest, _ in stats[i:i + 2]] for i in (0, 2)], k)
    if not picked:
        return [], bound
    ranked = _mover_figures(column, bool(prefix), _section_shape(section), candidates=True)
    return (await session.execute(ranked, {**params, "n": n, "candidates": picked})).mappings().all(), bound


async def all_movers(
    session: AsyncSession, prefix: str, period: str, before: str, measure: str, basis: str, n: int, section: str | None = None
) -> list:
    """The `n` entities of the area whose `measure` changed most, from every entity-month of both
    months (where the candidates of `mover_candidates` could not tell)."""
    ranked = _mover_figures(_measure_name(measure, basis), bool(prefix), _section_shape(section), candidates=False)
    params = {"period": period, "before": before, "n": n, **_area_params(prefix), **_section_params(section)}
    return (await session.execute(ranked, params)).mappings().all()


# The movers' statements are built once per shape (measure, area or city, 门类 or not) with their values
# as parameters: building and keying a statement of this size cost SQLAlchemy ~2.5 ms of CPU per
# execution, more than PostgreSQL took to answer it.

def _measure_name(measure: str, basis: str) -> str:
    return dict(zip(("kwh", "tax"), _measures(basis), strict=True))[measure].name


def _area_params(prefix: str) -> dict[str, str]:
    return {"area_from": prefix, "area_to": _area_end(prefix)} if prefix else {}


def _bound_area(column: sa.ColumnElement, area: bool) -> sa.ColumnElement:
    """_in_area with the range as the parameters `area_from`, `area_to`."""
    return sa.and_(column >= sa.bindparam("area_from"), column < sa.bindparam("area_to")) if area else sa.true()


def _section_shape(section: str | None) -> str | None:
    return None if section is None else "unknown" if section == "unknown" else "one"


def _section_params(section: str | None) -> dict[str, str]:
    return {"section": section} if _section_shape(section) == "one" else {}


def _bound_section(shape: str | None, column: sa.ColumnElement) -> sa.ColumnElement:
    """_in_section with the 门类 as the parameter `section`."""
    if shape is None:
        return sa.true()
    return column.is_(None) if shape == "unknown" else column == sa.bindparam("section")


@functools.cache
def _mover_ends(column_name: str, area: bool, section: str | None) -> sa.CompoundSelect:
    """The four ends of mover_candidates, `k` deep."""
    m = entity_months.c
    column = m[column_name]
    where = [_bound_area(m.township_code, area), _bound_section(section, m.industry_section)]
    ends = []
    for month in ("period", "before"):
        for side, order in ((column > 0, column.desc().nulls_last()), (column < 0, column.asc())):
            read = (sa.select(m.uscc, column.label("v")).where(m.period == sa.bindparam(month), side, *where)
                    .order_by(order, m.uscc).limit(sa.bindparam("k", type_=sa.Integer)).subquery())
            ends.append(sa.select(sa.literal_column(str(len(ends))), sa.func.count(), sa.func.min(sa.func.abs(read.c.v)),
                                  sa.func.array_agg(read.c.uscc)).select_from(read))
    return sa.union_all(*ends)


@functools.cache
def _mover_figures(column_name: str, area: bool, section: str | None, candidates: bool) -> sa.Select:
    """The `n` entity-months of the area (among the parameter `candidates`, one array however many)
    whose figure changed most, ranked from what an index carries (the candidates' from the primary key,
    migration 0019; an area's from its months' entity-months with figures, 0023); names, townships and
    门类 read for those `n` only."""
    m = entity_months.c
    column = m[column_name]
    months = [sa.bindparam("period"), sa.bindparam("before")]
    now = sa.func.max(column).filter(m.period == sa.bindparam("period"))
    was = sa.func.max(column).filter(m.period == sa.bindparam("before"))
    among = m.uscc == sa.any_(sa.bindparam("candidates", type_=ARRAY(sa.Text))) if candidates else sa.true()
    moved = (
        sa.select(m.uscc, now.label("now"), was.label("before"))
        .where(m.period.in_(months), among, _bound_area(m.township_code, area), _bound_section(section, m.industry_section),
               _with_figures())  # an area's are read from entity_months_with_figures alone (migration 0023)
        .group_by(m.uscc)
        .order_by(sa.func.abs(sa.func.coalesce(now, 0) - sa.func.coalesce(was, 0)).desc(), m.uscc)
        .limit(sa.bindparam("n", type_=sa.Integer))
        .subquery("moved")
    )
    x = entity_months.alias("named").c
    named = (
        sa.select(sa.func.max(x.entity_name).label("name"), sa.func.max(x.township_code).label("township_code"),
                  sa.func.max(x.industry_section).label("section"))
        .where(x.uscc == moved.c.uscc, x.period.in_(months), _bound_area(x.township_code, area),
               _bound_section(section, x.industry_section))
        .lateral("named")
    )
    change = sa.func.abs(sa.func.coalesce(moved.c.now, 0) - sa.func.coalesce(moved.c.before, 0))
    return (
        sa.select(moved.c.uscc, named.c.name, named.c.township_code, named.c.section, moved.c.now, moved.c.before)
        .select_from(moved.join(named, sa.true()))
        .order_by(change.desc(), moved.c.uscc)
    )


async def power_by_group(session: AsyncSession, prefix: str, first: str, last: str, group: str, basis: str) -> list:
    """Per group (township or 门类) × month from `first` to `last`, from the rollup: entities with power,
    their kWh, and 用电景气's counts — entities with power in the month and in its aligned base month
    (`compared`; the group and area are the month's, the base figure the entity's own, wherever it
    was then) and those using less per day than then (`below`; domain/power.py `below_last_year`)."""
    a, figures = area_months.c, _rollup(basis)
    suffix = "_reported" if basis == "reported" else ""
    key = a.township_code if group == "township" else a.section
    query = (
        sa.select(key.label("key"), a.period, figures["kwh_entities"].label("entities"), figures["kwh"].label("kwh"),
                  sa.func.sum(a[f"kwh_compared{suffix}"]).label("compared"), sa.func.sum(a[f"kwh_below{suffix}"]).label("below"))
        .where(a.period >= first, a.period <= last, _in_area(a.township_code, prefix))
        .group_by(key, a.period)
        .having(_any_entity())
    )
    return (await session.execute(query)).mappings().all()


async def pillar_candidates(session: AsyncSession, prefix: str, period: str, before: str, basis: str, n: int) -> list:
    """The area's `n` largest taxpayers and `n` largest power users of `period` (梁柱企业,
    domain/report.py), each with its tax and power in `period` and in `before`."""
    m = entity_months.c
    kwh, tax = _measures(basis)
    top: set[str] = set()
    for column in (tax, kwh):
        query = (sa.select(m.uscc).where(m.period == period, _in_area(m.township_code, prefix), column > 0)
                 .order_by(column.desc().nulls_last(), m.uscc).limit(n))  # as the (period, kwh|tax) indexes run
        top.update((await session.execute(query)).scalars())
    if not top:
        return []
    now, was = m.period == period, m.period == before
    query = (
        sa.select(m.uscc, sa.func.max(m.entity_name).filter(now).label("name"),
                  sa.func.max(m.industry_section).filter(now).label("industry"),
                  sa.func.max(tax).filter(now).label("tax"), sa.func.max(tax).filter(was).label("tax_before"),
                  sa.func.max(kwh).filter(now).label("kwh"), sa.func.max(kwh).filter(was).label("kwh_before"))
        .where(m.uscc.in_(sorted(top)), m.period.in_([period, before]))
        .group_by(m.uscc)
    )
    return (await session.execute(query)).mappings().all()


async def entity_statuses(session: AsyncSession, prefix: str) -> dict[str, int]:
    """The area's registered entities by registration status (active, deregistered, revoked)."""
    e = entities.c
    query = sa.select(e.status, sa.func.count()).where(_in_area(e.township_code, prefix)).group_by(e.status)
    return {status: n for status, n in await session.execute(query)}


async def registrations_in(session: AsyncSession, prefix: str, first_day: date, next_first_day: date) -> dict[str, int]:
    """The area's entities established in the month, and deregistered or revoked in it (by status)."""
    e = entities.c
    in_month = lambda column, *also: sa.func.count().filter(column >= first_day, column < next_first_day, *also)  # noqa: E731
    query = sa.select(
        in_month(e.established_on).label("established"),
        in_month(e.ended_on, e.status == "deregistered").label("deregistered"),
        in_month(e.ended_on, e.status == "revoked").label("revoked"),
    ).where(_in_area(e.township_code, prefix))
    return dict((await session.execute(query)).mappings().one())


def _size_band(bands: SizeBands) -> sa.ColumnElement:
    """The entity's 规模档 (domain/size_bands.py: SizeBands.band_of) in SQL; 未申报 without a registration."""
    capital = entities.c.registered_capital
    higher = [(capital >= b.lower, b.code) for b in reversed(bands.bands[1:])]
    return sa.case((capital.is_(None), UNDECLARED), *higher, else_=bands.bands[0].code)


def _dimension(
    dimension: str, bands: SizeBands, township: sa.ColumnElement = entity_months.c.township_code,
    section: sa.ColumnElement = entity_months.c.industry_section, period: sa.ColumnElement = entity_months.c.period,
    entity_type: sa.ColumnElement | None = None, size_band: sa.ColumnElement | None = None,
) -> sa.ColumnElement:
    """A row's value of a pivot dimension (domain/pivot.py), over entity_months ⟕ entities (or, given
    their township, 门类 and month columns, over another table joined to entities; given the type's and
    规模档's columns too, over a table that has them all: kind_months)."""
    return {
        "county": sa.func.substr(township, 1, 6), "township": township,
        "industry": sa.func.coalesce(section, UNKNOWN_SECTION),
        "entity_type": sa.func.coalesce(entities.c.entity_type, UNKNOWN_ENTITY_TYPE) if entity_type is None else entity_type,
        "size_band": _size_band(bands) if size_band is None else size_band, "period": period,
    }[dimension]


def _entity_filters(
    bands: SizeBands, industry: str | None, entity_type: str | None, size_band: str | None, section: sa.ColumnElement,
) -> list[sa.ColumnElement]:
    """The pivot's filters on the entity (门类 as `section` says it, type and 规模档 as entities does)."""
    where = [_in_section(industry, section)]
    if entity_type:
        where.append(_dimension("entity_type", bands) == entity_type)
    if size_band:
        where.append(_size_band(bands) == size_band)
    return where


def _entity_months_in(scope: Scope) -> list[sa.ColumnElement]:
    """The entity-months of the scope with a figure (restated or as reported): those an entity list
    shows and a pivot counts, the same rows for both. Type and 规模档 as the rows carry them: their
    registration's, copied by follow_registrations and apply_size_bands, so no registration is read."""
    m = entity_months.c
    months = [m.period == scope.first] if scope.first == scope.last else [m.period >= scope.first, m.period <= scope.last]
    return [*months, _in_area(m.township_code, scope.prefix),  # one month by equality: read in the indexes' order
            _with_figures(), _in_section(scope.industry, m.industry_section),
            *([_OWN_TYPE == scope.entity_type] if scope.entity_type else []),
            *([m.size_band == scope.size_band] if scope.size_band else [])]


_OWN_TYPE = sa.func.coalesce(entity_months.c.entity_type, UNKNOWN_ENTITY_TYPE)  # as _dimension reads a registration's


def _with_figures() -> sa.ColumnElement:
    """An entity-month with a figure (restated or as reported): tables.WITH_FIGURES, the partial indexes' predicate."""
    m = entity_months.c
    return sa.or_(m.kwh.isnot(None), m.tax.isnot(None), m.kwh_reported.isnot(None), m.tax_reported.isnot(None))


_ENTITY_MONTHS = entity_months.outerjoin(entities, entities.c.entity_key == entity_months.c.uscc)


async def list_entity_months(session: AsyncSession, scope: Scope, order: str, limit: int, offset: int) -> list:
    """The entities with figures in the scope's months (one row each, its figures summed over them),
    largest first by `order`."""
    m, e = entity_months.c, entities.c
    if scope.first == scope.last and not scope.entity_type and not scope.size_band:
        # one month: one row per entity. The page is found down the (period, kwh|tax) index of the rows
        # with a figure, which carries township and 门类 (migration 0020), and only its rows are read and
        # joined to their registrations (a county's 产业 list is otherwise a sort of all, or a heap page
        # read for every row walked past)
        largest_first = (m[order].desc().nulls_last(), m.uscc)
        page = (sa.select(m.uscc).where(*_entity_months_in(scope)).order_by(*largest_first)
                .limit(limit).offset(offset).subquery("page"))
        query = (
            sa.select(m.uscc, m.entity_name, m.township_code, m.industry_section, e.industry_code, m.kwh, m.tax, m.kwh_reported, m.tax_reported)
            .select_from(page.join(_ENTITY_MONTHS, (m.uscc == page.c.uscc) & (m.period == scope.first)))
            .order_by(*largest_first)
        )
        return (await session.execute(query)).mappings().all()
    total = lambda column: sa.func.sum(column).label(column.name)  # noqa: E731
    sort = {"kwh": sa.func.sum(m.kwh), "tax": sa.func.sum(m.tax)}[order]
    query = (
        sa.select(m.uscc, sa.func.max(m.entity_name).label("entity_name"), sa.func.max(m.township_code).label("township_code"),
                  sa.func.max(m.industry_section).label("industry_section"), sa.func.max(e.industry_code).label("industry_code"),
                  total(m.kwh), total(m.tax), total(m.kwh_reported), total(m.tax_reported))
        .select_from(_ENTITY_MONTHS)
        .where(*_entity_months_in(scope))
        .group_by(m.uscc)
        .order_by(sort.desc().nulls_last(), m.uscc)
        .limit(limit)
        .offset(offset)
    )
    return (await session.execute(query)).mappings().all()


_ROLLUP_DIMENSIONS = {"county", "township", "industry", "period"}


def _area_rollup_answers(scope: Scope, rows: str, columns: str | None) -> bool:
    """Whether a pivot's power or tax can be summed from the township × 门类 × month rollup: its
    dimensions and filters are that rollup's own (not the entity's type or 规模档: kind_months has those)."""
    return not scope.entity_type and not scope.size_band and {rows, columns or "period"} <= _ROLLUP_DIMENSIONS


async def pivot_cells(
    session: AsyncSession, scope: Scope, rows: str, columns: str | None, measure: str, basis: str, bands: SizeBands,
    month_ends: Sequence[tuple[str, date]] = (),
) -> list[tuple]:
    """企业信息多维分析 (domain/pivot.py): (row key, column key, value) of every cell and, with None for
    the key summed over, every row's, column's and the grand total — one aggregate (GROUPING SETS), so
    an entity counted in several cells is counted once in their total. Over the scope's entity-months
    (entities; power and tax summed from the rollups area_months or kind_months); its registrations active at each of `month_ends` (period, last day: registered;
    a total over months is their sum, domain/pivot.py takes the last month's instead); its alerts
    counted in its months, not withdrawn (alerts; an alert's area is its township, its 门类, type and
    规模档 its entity's)."""
    e = entities.c
    if measure == "registered":
        ends = sa.values(sa.column("period", sa.Text), sa.column("day", sa.Date), name="month_ends").data(list(month_ends))
        columns_of = dict(township=e.township_code, section=e.industry_section, period=ends.c.period)
        source = entities.join(ends, _active_at(sa.cast(ends.c.day, sa.Date)))
        where = [_in_area(e.township_code, scope.prefix),
                 *_entity_filters(bands, scope.industry, scope.entity_type, scope.size_band, e.industry_section)]
        counted = [e.entity_key.label("uscc")]
    elif measure == "alerts":
        a = alerts.c
        columns_of = dict(township=a.township_code, section=e.industry_section, period=a.month)
        source = alerts.outerjoin(entities, e.entity_key == a.uscc)
        where = [*_alerts_where(scope.prefix, scope.first, scope.last, []), a.withdrawn_at.is_(None),
                 *_entity_filters(bands, scope.industry, scope.entity_type, scope.size_band, e.industry_section)]
        counted = [a.uscc]
    elif measure in ("kwh", "tax"):  # summed from a rollup: the township × 门类 one where it answers, else the finer one
        source = area_months if _area_rollup_answers(scope, rows, columns) else kind_months
        a, suffix = source.c, "_reported" if basis == "reported" else ""
        columns_of = dict(township=a.township_code, section=a.section, period=a.period)
        where = [a.period >= scope.first, a.period <= scope.last, _in_area(a.township_code, scope.prefix),
                 a.entities + a.entities_reported > 0]  # a group with an entity-month with a figure, as below
        if scope.industry:
            where.append(a.section == scope.industry)
        if source is kind_months:
            columns_of.update(entity_type=a.entity_type, size_band=a.size_band)
            where += [a[k] == getattr(scope, k) for k in ("entity_type", "size_band") if getattr(scope, k)]
        counted = [a[f"{measure}{suffix}"].label(measure), a[f"{measure}_entities{suffix}"].label("summed")]
    else:  # entities: from entity_months alone, its own type and 规模档 too — joined to the registrations, a
        # township's year by type hashed all 600,000 of them (~500 ms on the benchmark)
        columns_of = dict(entity_type=_OWN_TYPE, size_band=entity_months.c.size_band)
        source, where = entity_months, _entity_months_in(scope)
        counted = [entity_months.c.uscc]
    keys = [_dimension(rows, bands, **columns_of).label("r")] + ([_dimension(columns, bands, **columns_of).label("c")] if columns else [])
    keyed = sa.select(*counted, *keys).select_from(source).where(*where).subquery()
    if measure == "entities":
        return [tuple(row) for row in await session.execute(_entities_counted(keyed, rows, columns, scope.first == scope.last))]
    k = keyed.c
    if measure in ("kwh", "tax") and "summed" in k:  # the rollup's exact sums; none where no entity gave a figure
        value = sa.case((sa.func.sum(k.summed) > 0, sa.cast(sa.func.sum(k[measure]), sa.Float)))
    elif measure in ("kwh", "tax"):
        value = sa.func.sum(k[measure])
    else:  # a registration once per month's end; each alert
        value = sa.func.count()
    if columns:
        column, sets = k.c, [sa.tuple_(k.r, k.c), sa.tuple_(k.r), sa.tuple_(k.c), sa.text("()")]
    else:
        column, sets = sa.null(), [sa.tuple_(k.r), sa.text("()")]
    query = sa.select(k.r, column, value).group_by(sa.func.grouping_sets(*sets))
    return [tuple(row) for row in await session.execute(query)]


def _entities_counted(keyed: sa.Subquery, rows: str, columns: str | None, one_month: bool) -> sa.CompoundSelect:
    """The entities pivot's cells and totals from `keyed` (one row per entity-month: uscc, r[, c]), an
    entity counted once however many months. A group within one month holds each entity once (an
    entity has one row a month), so it is counted by rows; only a group spanning months needs its
    entities told apart, and they are, over (keys, entity) pairs made unique first. A count(DISTINCT)
    over every grouping set sorted all the scope's entity-months once per set: for one township's year
    by 门类 × month, 266 ms against 114 ms with one set of pairs on the 600,000-entity benchmark."""
    k = keyed.c
    keys = {"r": k.r, **({"c": k.c} if columns else {})}
    sets = [("r", "c"), ("r",), ("c",), ()] if columns else [("r",), ()]
    monthly = {key for key, dimension in (("r", rows), ("c", columns)) if dimension == "period"}
    within = [s for s in sets if one_month or monthly & set(s)]
    across = [s for s in sets if s not in within]

    def grouped(source: sa.ColumnCollection, by: list[tuple[str, ...]], value: sa.ColumnElement) -> sa.Select:
        return (sa.select(source.r if "r" in source else sa.null(), source.c if "c" in source else sa.null(), value)
                .group_by(sa.func.grouping_sets(*(sa.tuple_(*(source[key] for key in s)) if s else sa.text("()") for s in by))))

    parts = [grouped(k, within, sa.func.count())] if within else []
    if across and monthly:  # the other dimension's totals and the grand total: each from its own unique
        # (keys, entity) pairs, hashed, counted by rows — 170 → 112 ms for a township's year by 门类 × month,
        # where sorting one set of pairs for a count(DISTINCT) per set was most of the statement
        for s in across:
            pairs = sa.select(*(keys[key] for key in s), k.uscc).group_by(*(keys[key] for key in s), k.uscc).subquery()
            parts.append(sa.select(pairs.c.r if "r" in s else sa.null(), pairs.c.c if "c" in s else sa.null(), sa.func.count())
                         .select_from(pairs).group_by(*(pairs.c[key] for key in s)))
    elif across:  # neither dimension is the month: up to four sets, one read of the pairs rather than four
        spanned = sorted({key for s in across for key in s})
        pairs = sa.select(*(keys[key] for key in spanned), k.uscc).group_by(*(keys[key] for key in spanned), k.uscc).subquery()
        parts.append(grouped(pairs.c, across, sa.func.count(sa.distinct(pairs.c.uscc))))
    return sa.union_all(*parts)


async def latest_period(session: AsyncSession, prefix: str, not_after: str) -> str | None:
    """The newest month up to `not_after` with figures in the area (a page's default month)."""
    m = entity_months.c
    query = (sa.select(m.period).where(m.period <= not_after, _in_area(m.township_code, prefix))
             .order_by(m.period.desc()).limit(1))
    return (await session.execute(query)).scalar()


# ---- one entity (企业全景) --------------------------------------------------------------------

async def entity_registration(session: AsyncSession, uscc: str) -> dict | None:
    row = (await session.execute(sa.select(entities).where(entities.c.entity_key == uscc))).mappings().first()
    return dict(row) if row else None


async def entity_month_rows(session: AsyncSession, uscc: str) -> list:
    """Every month the entity has figures for, oldest first (township and name as the newest month says)."""
    m = entity_months.c
    query = sa.select(entity_months).where(m.uscc == uscc).order_by(m.period)
    return (await session.execute(query)).mappings().all()


async def entity_alerts(session: AsyncSession, uscc: str) -> list:
    a = alerts.c
    query = sa.select(alerts).where(a.uscc == uscc).order_by(a.period.desc().nulls_last(), a.detected_at.desc().nulls_last())
    return (await session.execute(query)).mappings().all()


async def entity_records(session: AsyncSession, uscc: str, limit: int) -> list:
    """The department records naming or linked to the entity, newest month first, each with the
    figure it gives the entity (restated and as reported; None for a kind without a figure)."""
    r, f = records.c, figure_records.c
    query = (
        sa.select(r.record_id, r.department, r.kind, r.period, r.version, r.match_rank, f.measure, f.value, f.reported_value)
        .select_from(records.outerjoin(figure_records, sa.and_(f.record_id == r.record_id, f.uscc == uscc)))
        .where(r.uscc == uscc)
        .order_by(r.period.desc().nulls_last(), r.department, r.kind, r.record_id)
        .limit(limit)
    )
    return (await session.execute(query)).mappings().all()


# ---- alerts by rule, township and month (经济管理监管分析, 锁定分析, 异常纳税) ------------------------

def _alerts_where(prefix: str, first: str | None, last: str | None, rules: Sequence[str]) -> list[sa.ColumnElement]:
    a = alerts.c
    where = [_in_area(a.township_code, prefix), a.rule.isnot(None)]
    if first:
        where.append(a.month >= first)
    if last:
        where.append(a.month <= last)
    if rules:
        where.append(a.rule.in_(list(rules)))
    return where


def _state_filter(state: str | None) -> sa.ColumnElement:
    a = alerts.c
    live = a.withdrawn_at.is_(None)
    return {
        None: sa.true(), "open": live & (a.status_rank == ALERT_OPEN),
        "acknowledged": live & (a.status_rank == ALERT_ACKNOWLEDGED), "resolved": live & (a.status_rank == ALERT_RESOLVED),
        "withdrawn": a.withdrawn_at.isnot(None), "overdue": live & a.overdue,
        "pending": live & (a.status_rank < ALERT_RESOLVED),  # not yet 办结 (the report's entities to visit)
    }[state]


def _hours(later: sa.ColumnElement) -> sa.ColumnElement:
    """The median hours from detection to `later` (签收 or 办结) of the group's live alerts. In float8
    (date_part), not numeric (EXTRACT since PostgreSQL 14): the medians sort every alert once per
    grouping, and numeric made the city's year of alerts ~600 ms instead of ~340."""
    a = alerts.c
    hours = sa.func.date_part("epoch", later - a.detected_at) / 3600
    return sa.func.percentile_cont(0.5).within_group(hours).filter(a.withdrawn_at.is_(None), later.isnot(None), a.detected_at.isnot(None))


async def alert_tallies(
    session: AsyncSession, prefix: str, first: str | None, last: str | None, rules: Sequence[str],
) -> dict[str, list]:
    """Per group — all (one row, zeros for an area without alerts), rule, township, month and effect —
    live alerts by handling state, withdrawn, overdue, and the median hours to 签收 and 办结. One
    indexed pass over the area's alerts: the five groupings are GROUPING SETS of one statement."""
    a = alerts.c
    keys = {"rule": a.rule, "township": a.township_code, "month": a.month, "effect": a.effect}
    count = lambda state: sa.func.count().filter(_state_filter(state))  # noqa: E731
    # GROUPING(...) sets a bit per key the row is not grouped by: the set of each row, highest key first
    unset = {(1 << len(keys)) - 1 - (1 << (len(keys) - 1 - i)): group for i, group in enumerate(keys)} | {(1 << len(keys)) - 1: "all"}
    key = sa.func.coalesce(*(sa.case((sa.func.grouping(column) == 0, column)) for column in keys.values()))
    query = (
        sa.select(sa.func.grouping(*keys.values()).label("grouping"), key.label("key"), count("open").label("open"),
                  count("acknowledged").label("acknowledged"), count("resolved").label("resolved"),
                  count("withdrawn").label("withdrawn"), count("overdue").label("overdue"),
                  _hours(a.acknowledged_at).label("hours_to_acknowledge"), _hours(a.resolved_at).label("hours_to_resolve"))
        .where(*_alerts_where(prefix, first, last, rules))
        .group_by(sa.func.grouping_sets(sa.text("()"), *keys.values()))
    )
    tallies: dict[str, list] = {group: [] for group in ("all", *keys)}
    for row in (await session.execute(query)).mappings():
        tallies[unset[row["grouping"]]].append(row)
    return tallies


# an alert list's columns: not the figures that raised it (JSONB, decoded per row; the rule lists' evidence only)
_LISTED = [column for column in alerts.c if column.name not in ("facts", "evidence_months")]


async def list_alerts(
    session: AsyncSession, prefix: str, first: str | None, last: str | None, rules: Sequence[str],
    state: str | None, limit: int, offset: int, per_entity: bool = False, effect: str | None = None,
    of_entities: tuple[SizeBands, str | None, str | None, str | None] | None = None,
) -> list:
    """The alerts behind a count, newest month first; `per_entity`: one row per entity and rule (its
    newest alert, with `alerts` the number of its alerts of that rule), as the lists of #8 and #9 show them;
    `of_entities` (the 规模档, a 门类, a type, a 规模档 code): only those whose entity (alerts ⟕ entities)
    passes the pivot's filters, as its alert count applies them."""
    a = alerts.c
    where = [*_alerts_where(prefix, first, last, rules), _state_filter(state)]
    if effect:
        where.append(a.effect == effect)
    source = alerts
    if of_entities:
        source = alerts.outerjoin(entities, entities.c.entity_key == a.uscc)
        where += _entity_filters(*of_entities, entities.c.industry_section)
    if per_entity:  # ranked by their keys alone, then the page's newest alerts read whole: sorting the
        # city's year of a rule with every column (its JSONB figures too) was most of the statement
        where.append(a.withdrawn_at.is_(None))
        ranked = (
            sa.select(a.alert_id, a.rule, a.month, a.township_code, a.uscc,
                      sa.func.count().over(partition_by=(a.rule, a.uscc)).label("alerts"),
                      sa.func.row_number().over(partition_by=(a.rule, a.uscc), order_by=(a.month.desc().nulls_last(), a.alert_id)).label("n"))
            .select_from(source).where(*where)
            .subquery()
        )
        r = ranked.c
        page = (sa.select(r.alert_id, r.alerts).where(r.n == 1)
                .order_by(r.rule, r.month.desc().nulls_last(), r.township_code, r.uscc).limit(limit).offset(offset).subquery())
        query = (sa.select(alerts, page.c.alerts).join(page, a.alert_id == page.c.alert_id)
                 .order_by(a.rule, a.month.desc().nulls_last(), a.township_code, a.uscc))
    else:
        query = (sa.select(*_LISTED, sa.literal(1).label("alerts")).select_from(source).where(*where)
                 .order_by(a.month.desc().nulls_last(), a.rule, a.township_code, a.uscc, a.alert_id).limit(limit).offset(offset))
    return (await session.execute(query)).mappings().all()


# ---- 公共信息对比分析 (#5) ----------------------------------------------------------------------

async def comparison_counts(
    session: AsyncSession, prefix: str, period: str, month_end: date, kinds: Sequence[str],
) -> tuple[dict[str, int], list, list]:
    """Per township of the area: the entities registered at `month_end` (established by then, not
    ended by then); the entities with tax and with power in `period`; the records of `kinds` by
    match_rank (monthly kinds: of `period`; registers, without a period: all current ones)."""
    e, a, c = entities.c, area_months.c, record_counts.c
    exists = sa.and_(
        sa.or_(e.established_on.is_(None), e.established_on <= month_end),
        sa.or_(e.status == "active", e.ended_on > month_end),
    )
    registered = {code: n for code, n in await session.execute(
        sa.select(e.township_code, sa.func.count()).where(_in_area(e.township_code, prefix), exists).group_by(e.township_code))}
    with_figures = (await session.execute(  # from the township × 门类 × month rollup
        sa.select(a.township_code, sa.func.sum(a.tax_entities), sa.func.sum(a.kwh_entities))
        .where(a.period == period, _in_area(a.township_code, prefix)).group_by(a.township_code))).all()
    counted = (await session.execute(
        sa.select(c.township_code, c.kind, c.match_rank, sa.func.sum(c.records))
        .where(_in_area(c.township_code, prefix), c.kind.in_(list(kinds)), c.period.in_([period, ""]))
        .group_by(c.township_code, c.kind, c.match_rank)
        .having(sa.func.sum(c.records) > 0))).all()
    return registered, [tuple(row) for row in with_figures], [tuple(row) for row in counted]


# ---- 区域企业发展概况 (#1): registrations by month (domain/development.py says what is counted) ----

def _active_at(day: date | sa.ColumnElement) -> sa.ColumnElement:
    """domain/development.active_at in SQL: established by `day` (or undated), not ended by it
    (`day` a date, or a column of them: the pivot's month ends)."""
    e = entities.c
    return sa.and_(sa.or_(e.established_on.is_(None), e.established_on <= day),
                   sa.or_(e.status == "active", e.ended_on > day))


def _registration_events(first_day: date, next_first_day: date) -> dict[str, sa.ColumnElement]:
    """Which entities each count of a month is of: active at its end, founded, ended (deregistered or revoked) in it."""
    e = entities.c
    within = lambda column: sa.and_(column >= first_day, column < next_first_day)  # noqa: E731
    return {"active": _active_at(next_first_day - timedelta(days=1)), "new": within(e.established_on),
            "ended": sa.and_(e.status != "active", within(e.ended_on)),
            "new_or_ended": sa.or_(within(e.established_on), sa.and_(e.status != "active", within(e.ended_on))),
            "deregistered": sa.and_(e.status == "deregistered", within(e.ended_on)),
            "revoked": sa.and_(e.status == "revoked", within(e.ended_on))}


def _registrations_where(prefix: str, entity_type: str | None, section: str | None) -> list[sa.ColumnElement]:
    e = entities.c
    return [_in_area(e.township_code, prefix), _in_section(section, e.industry_section),
            e.entity_type == entity_type if entity_type else sa.true()]


async def registration_counts(
    session: AsyncSession, prefix: str, entity_type: str | None, section: str | None,
    first_day: date, next_first_day: date, year_before: date, opening_day: date,
) -> list:
    """Per township × entity type × 门类 of the area (filtered): active at the month's end, at
    `year_before` and at `opening_day` (where registration_flows' series starts from), founded,
    deregistered and revoked in the month. One pass over the area's entities: at the city's 600,000,
    a second pass for the opening count alone was 74 ms of the page's ~230."""
    e = entities.c
    section_key = sa.func.coalesce(e.industry_section, "unknown")
    events = _registration_events(first_day, next_first_day)
    query = (
        sa.select(e.township_code, e.entity_type, section_key.label("section"),
                  *(sa.func.count().filter(where).label(name) for name, where in events.items() if name in ("active", "new", "deregistered", "revoked")),
                  sa.func.count().filter(_active_at(year_before)).label("active_year_before"),
                  sa.func.count().filter(_active_at(opening_day)).label("opening"))
        .where(*_registrations_where(prefix, entity_type, section))
        .group_by(e.township_code, e.entity_type, section_key)
    )
    return (await session.execute(query)).mappings().all()


async def registration_flows(
    session: AsyncSession, prefix: str, entity_type: str | None, section: str | None, first_day: date, next_first_day: date,
) -> list:
    """Per month of the area's entities (filtered) from `first_day` up to `next_first_day`: (month,
    event, count) for the founded, deregistered and revoked."""
    e = entities.c
    where = _registrations_where(prefix, entity_type, section)
    month = lambda column: sa.func.to_char(column, sa.literal_column("'YYYY-MM'"))  # noqa: E731 (a literal: GROUP BY repeats it)
    founded = (sa.select(month(e.established_on).label("period"), sa.literal("new").label("event"), sa.func.count().label("n"))
               .where(*where, e.established_on >= first_day, e.established_on < next_first_day)
               .group_by(month(e.established_on)))
    ended = (sa.select(month(e.ended_on), e.status, sa.func.count())
             .where(*where, e.status != "active", e.ended_on >= first_day, e.ended_on < next_first_day)
             .group_by(month(e.ended_on), e.status))
    return [tuple(row) for row in await session.execute(sa.union_all(founded, ended))]


async def list_registrations(
    session: AsyncSession, prefix: str, entity_type: str | None, section: str | None, event: str,
    first_day: date, next_first_day: date, limit: int, offset: int, in_band: tuple[SizeBands, str] | None = None,
) -> list:
    """The entities behind a count of registration_counts (or of the pivot's registered, `in_band`: of
    that 规模档): `event` of the month, newest founded first."""
    e = entities.c
    query = (
        sa.select(entities)
        .where(*_registrations_where(prefix, entity_type, section), _registration_events(first_day, next_first_day)[event],
               _size_band(in_band[0]) == in_band[1] if in_band else sa.true())
        .order_by(e.established_on.desc().nulls_last(), e.entity_key)
        .limit(limit)
        .offset(offset)
    )
    return (await session.execute(query)).mappings().all()


# ---- 部门记录 (#13): the records behind 公共信息对比分析's counts ----

async def list_records(
    session: AsyncSession, prefix: str, period: str, department: str | None, kind: str | None, match_rank: int | None,
    limit: int, offset: int,
) -> list:
    """The area's department records comparison_counts counts for `period` (the month's and the
    registers, without a period), of `department`, `kind` and verdict `match_rank` when given."""
    r = records.c
    query = sa.select(records).where(_in_area(r.township_code, prefix), sa.or_(r.period == period, r.period.is_(None)))
    if department is not None:
        query = query.where(r.department == department)
    if kind is not None:
        query = query.where(r.kind == kind)
    if match_rank is not None:
        query = query.where(r.match_rank == match_rank)
    query = query.order_by(r.township_code, r.department, r.kind, r.record_id).limit(limit).offset(offset)
    return (await session.execute(query)).mappings().all()
