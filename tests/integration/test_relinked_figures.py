"""A correction that links a record to another entity, on analytics' real tables (repository.upsert_figures
over the platform's migrated database): the entity it left keeps the figure as reported at month end but no
longer has it now, the entity it went to has it now, whichever version arrives first (record-matched is keyed
by entity, so two versions linked to two entities may be consumed in either order)."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from services.analytics.storage import repository
from tests.integration.harness import new_uscc, townships_of

pytestmark = pytest.mark.integration

TOWNSHIP = townships_of("445281")[15]
PERIOD = "2026-11"


def _figure(record_id: uuid.UUID, uscc: str, version: int, value: float, known: bool) -> dict:
    return {"record_id": record_id, "uscc": uscc, "period": PERIOD, "measure": "kwh", "version": version,
            "value": value, "known": known, "township_code": TOWNSHIP, "entity_name": f"测试主体{uscc[-4:]}"}


@pytest.mark.parametrize("order", ["first version first", "correction first"])
async def test_a_correction_linked_elsewhere_moves_the_figure_now_and_leaves_it_as_reported(platform, order):
    record_id, left, went_to = uuid.uuid4(), new_uscc(TOWNSHIP[:6]), new_uscc(TOWNSHIP[:6])
    first = _figure(record_id, left, 1, 1000.0, known=True)  # before the month-end cutoff: as reported
    correction = _figure(record_id, went_to, 2, 1200.0, known=False)
    engine = create_async_engine(platform.database_url)
    try:
        for row in ([first, correction] if order == "first version first" else [correction, first]):
            async with engine.begin() as connection:  # each version in its own batch, as the consumer commits them
                await repository.upsert_figures(connection, [row])
        async with engine.connect() as connection:
            months = {r.uscc: (r.kwh, r.kwh_reported) for r in await connection.execute(sa.text(
                "SELECT uscc, kwh, kwh_reported FROM analytics.entity_months WHERE uscc IN (:a, :b) AND period = :p"),
                {"a": left, "b": went_to, "p": PERIOD})}
    finally:
        await engine.dispose()
    assert months == {left: (None, 1000.0), went_to: (1200.0, None)}
