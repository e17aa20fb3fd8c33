"""A batch's rows in one statement: one array per column, unnested by PostgreSQL.

An executemany sends, plans and executes its statement once per row, and every execution is planned
(`plan_cache_mode=force_custom_plan`, engine.py): a consumer's batch of 500 rows was 500 plans. Over
arrays it is one. Measured on the 100,000-entity month (docs/benchmarks/pipeline.md, 2026-12-04
evening): alerting's facts and analytics' figure records, each inserted row by row, were a sixth of
PostgreSQL's time.

    stmt = insert_rows(facts, columns)
    stmt = stmt.on_conflict_do_update(index_elements=[...], set_={c: stmt.excluded[c] for c in ...})
    await session.execute(stmt, arrays(rows, columns))

The caller keeps one row per conflict key, as for any INSERT … ON CONFLICT DO UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert


def unnested(table: sa.Table, columns: Sequence[str], name: str = "incoming") -> sa.Select:
    """SELECT of the rows bound as one array per column (parameters named as the columns), typed
    as `table`'s columns (the asyncpg dialect casts each parameter: `unnest($1::UUID[], …)`)."""
    for c in columns:
        if isinstance(table.c[c].type, sa.ARRAY):  # unnest would flatten an array of arrays into its elements
            raise ValueError(f"{table.name}.{c} is an array column: it cannot travel as an array of arrays")
    # one dimension: a JSON value that is itself a list stays one document, not a second dimension
    typed = [sa.bindparam(c, type_=ARRAY(table.c[c].type, dimensions=1)) for c in columns]
    incoming = sa.func.unnest(*typed).table_valued(*columns).render_derived(name=name)
    return sa.select(*incoming.c)


def insert_rows(table: sa.Table, columns: Sequence[str]) -> Insert:
    """INSERT INTO table (columns) SELECT … FROM unnest(…): add ON CONFLICT as to any insert()."""
    return insert(table).from_select(list(columns), unnested(table, columns))


def arrays(rows: Iterable[Mapping], columns: Sequence[str]) -> dict[str, list]:
    """The parameters of `insert_rows` / `unnested`: each column's values, in the rows' order."""
    rows = list(rows)
    return {c: [row[c] for row in rows] for c in columns}
