"""shared/db/bulk.py: a batch as one statement over one array per column (its effect on real tables is
tested through alerting's facts and analytics' figure records, tests/integration/test_corrections.py)."""

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from shared.db.bulk import arrays, insert_rows

_TABLE = sa.Table("facts", sa.MetaData(schema="x"), sa.Column("record_id", sa.Uuid, primary_key=True),
                  sa.Column("version", sa.Integer), sa.Column("link", JSONB, nullable=True))


def test_the_rows_become_one_array_per_column_in_their_order():
    ids = [uuid.uuid4(), uuid.uuid4()]
    rows = [{"record_id": ids[0], "version": 2, "link": None, "other": "not bound"},
            {"record_id": ids[1], "version": 1, "link": {"method": "exact"}}]
    assert arrays(rows, ("record_id", "version", "link")) == {
        "record_id": ids, "version": [2, 1], "link": [None, {"method": "exact"}]}


def test_one_statement_binds_a_typed_array_per_column_and_takes_an_upsert():
    stmt = insert_rows(_TABLE, ("record_id", "version", "link"))
    stmt = stmt.on_conflict_do_update(index_elements=[_TABLE.c.record_id], set_={"version": stmt.excluded.version},
                                      where=_TABLE.c.version < stmt.excluded.version)
    sql = " ".join(str(stmt.compile(dialect=asyncpg_dialect())).split())
    assert sql == (
        "INSERT INTO x.facts (record_id, version, link) SELECT incoming.record_id, incoming.version, incoming.link"
        " FROM unnest($1::UUID[], $2::INTEGER[], $3::JSONB[]) AS incoming(record_id, version, link)"
        " ON CONFLICT (record_id) DO UPDATE SET version = excluded.version WHERE x.facts.version < excluded.version")
