"""shared/db/bulk.py: a batch as one statement over one array per column (its effect on real tables is
tested through alerting's facts and analytics' figure records, tests/integration/test_corrections.py)."""

import uuid

import pytest

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


def test_a_json_value_that_is_a_list_stays_one_document():
    """A JSONB column's values travel as one array of documents: a list value (a township list) must not be
    read as a second dimension of the array (it was: `also_townships` arrived as NULL)."""
    stmt = insert_rows(_TABLE, ("record_id", "version", "link"))
    dialect = asyncpg_dialect()
    link = next(p for p in stmt.compile(dialect=dialect).binds.values() if p.key == "link")
    encode = link.type.dialect_impl(dialect).bind_processor(dialect)
    assert encode([[], ["445281001", "445281002"], {"method": "exact"}]) == [
        "[]", '["445281001", "445281002"]', '{"method": "exact"}']


def test_an_array_column_is_refused():
    table = sa.Table("t", sa.MetaData(), sa.Column("ids", sa.ARRAY(sa.Uuid)))
    with pytest.raises(ValueError, match="array column"):
        insert_rows(table, ("ids",))
