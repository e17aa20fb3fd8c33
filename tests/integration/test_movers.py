"""产业运行监控's biggest movers on analytics' real tables: what the largest figures of each month
prove (repository.mover_candidates, deeper while they cannot tell) is what ranking every entity of
both months gives (repository.all_movers), for populations with heavy and even tails, refunds
(negative tax) entities that appear and disappear, and giants that do not move — and a walk cut short proves it."""

import random
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.analytics.domain import changes
from services.analytics.storage import repository
from tests.integration.harness import new_uscc, townships_of

pytestmark = pytest.mark.integration

TOWNSHIPS = townships_of("445224")[:4]
BEFORE, PERIOD = "2019-03", "2019-04"  # months no other test writes
N = 10


def _figures(r: random.Random, township: str, size: int, kind: str) -> list[dict]:
    """`kind`: heavy (lognormal), even (uniform) or steady (60 giants that hardly move above the
    others, who appear, disappear and move by thousands: the largest figures are not the movers)."""
    rows = []
    for i in range(size):
        uscc = new_uscc(township[:6])
        giant = kind == "steady" and i < 60
        for period in (BEFORE, PERIOD):
            if giant:
                value = 100_000.0 + r.randint(0, 50)
            elif r.random() < 0.85:
                value = r.lognormvariate(8, 1.5) if kind == "heavy" else r.uniform(1, 5000)
                value = round(value * (-1 if r.random() < 0.05 else 1), 2)  # refunds
            else:
                continue
            rows.append({"record_id": uuid.uuid4(), "uscc": uscc, "period": period, "measure": "tax", "version": 1,
                         "value": value, "known": True, "township_code": township, "entity_name": f"变动测试{uscc[-5:]}"})
    return rows


async def _proven(session: AsyncSession, township: str) -> tuple[list, list[float | None]]:
    bounds = []
    for depth in repository.MOVER_DEPTHS:
        rows, bound = await repository.mover_candidates(session, township, PERIOD, BEFORE, "tax", "restated", N, depth=depth)
        bounds.append(bound)
        found = changes.proven_movers({r["uscc"]: (r["now"], r["before"]) for r in rows}, N, bound)
        if found is not None:
            return found, bounds
    return [], bounds


async def test_the_movers_proven_from_the_largest_figures_are_everyones_movers(platform):
    r = random.Random(11)
    populations = dict(zip(TOWNSHIPS, ((400, "heavy"), (400, "even"), (400, "steady"), (25, "heavy")), strict=True))
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.connect() as connection:
            written = await connection.begin()  # rolled back: the other tests' rollups never see these entities
            try:
                for township, (size, kind) in populations.items():
                    await repository.upsert_figures(connection, _figures(r, township, size, kind))
                session = AsyncSession(bind=connection)
                for township in TOWNSHIPS:
                    found, bounds = await _proven(session, township)
                    everyone = await repository.all_movers(session, township, PERIOD, BEFORE, "tax", "restated", N)
                    expected = changes.movers({m["uscc"]: (m["now"], m["before"]) for m in everyone}, N)
                    assert len(expected) == N and found == expected, township
                    assert all(m["name"].startswith("变动测试") and m["township_code"] == township for m in everyone)
                    if populations[township][0] > 4 * N:
                        assert bounds[0] is not None  # the walk stopped before the month's end
                    else:
                        assert bounds == [None]  # a small township is read whole
            finally:
                await written.rollback()
    finally:
        await engine.dispose()
