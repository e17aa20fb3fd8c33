"""The read cache (shared/service/read_cache.py): answers kept while the read models are unchanged,
shared by callers of one scope only, computed once however many ask at the same moment."""

import asyncio
import dataclasses

import pytest

from shared.auth import Person, Principal, Role
from shared.service.read_cache import ReadCache, cached


class _Cache(ReadCache):
    """The cache with its versions in memory instead of the schema's sequences (the sequences
    themselves are exercised by the integration tests, whose every read follows the data it just sent)."""

    def __init__(self, entries: int = 8, max_age: float = 600) -> None:
        super().__init__(service="test", schema="test", families={"records": "figures", "alerts": "alerts"},
                         sessions=None, entries=entries, max_age=max_age)
        self.current = {"figures": 1, "alerts": 1}
        self.asked = 0  # looks at the versions

    async def version(self, families: tuple[str, ...]) -> tuple:
        self.asked += 1
        return tuple(self.current[f] for f in families)

    async def changed(self, topics) -> None:
        for family in self.families_of(topics):
            self.current[family] += 1


class _Service:
    def __init__(self, cache: ReadCache | None) -> None:
        self.read_cache = cache
        self.computed: list[tuple] = []


@cached
async def read_figure(service: _Service, principal: Principal, period: str, pause: float = 0.0) -> dict:
    service.computed.append((principal.code, period))
    await asyncio.sleep(pause)
    if period == "bad":
        raise ValueError("no such month")
    return {"township": principal.code, "period": period, "n": len(service.computed)}


TOWNSHIP = Principal(Role.TOWNSHIP, "445281101")
OTHER = Principal(Role.TOWNSHIP, "445281102")


async def test_an_answer_is_kept_until_the_read_models_change():
    service = _Service(cache := _Cache())
    first = await read_figure(service, TOWNSHIP, "2026-10")
    assert await read_figure(service, TOWNSHIP, "2026-10") == first
    assert len(service.computed) == 1
    await cache.changed({"records"})
    assert (await read_figure(service, TOWNSHIP, "2026-10"))["n"] == 2


@cached(reads=("figures",))
async def read_power(service: _Service, principal: Principal, period: str) -> dict:
    service.computed.append((principal.code, period))
    return {"period": period, "n": len(service.computed)}


async def test_an_answer_outlives_changes_to_what_it_does_not_read():
    service = _Service(cache := _Cache())
    await read_power(service, TOWNSHIP, "2026-10")
    await cache.changed({"alerts"})  # a township acknowledged an alert: the power figures stand
    await read_power(service, TOWNSHIP, "2026-10")
    assert len(service.computed) == 1
    await cache.changed({"records", "alerts"})
    await read_power(service, TOWNSHIP, "2026-10")
    assert len(service.computed) == 2
    await cache.changed({"a-topic-without-a-family"})  # unknown: every family is out of date
    await read_power(service, TOWNSHIP, "2026-10")
    assert len(service.computed) == 3


@cached(reads=("figures", "alerts"))
async def read_report(service: _Service, principal: Principal, period: str) -> dict:
    service.computed.append(("report", period))
    power = await read_power(service, principal, period)
    await service.read_cache.changed({"records"})  # new figures committed while the report is being computed
    return {"power": power, "alerts": await read_alerts(service, principal)}


@cached(reads=("alerts",))
async def read_alerts(service: _Service, principal: Principal) -> list:
    service.computed.append(("alerts",))
    return []


async def test_reads_within_a_read_use_the_versions_it_was_computed_under_and_stay_no_older_than_them():
    service = _Service(cache := _Cache())
    first = await read_report(service, TOWNSHIP, "2026-10")
    assert cache.asked == 1  # one look for the report and the two reads inside it
    assert await read_alerts(service, TOWNSHIP) == []  # kept under the versions the report read
    assert cache.asked == 2 and service.computed.count(("alerts",)) == 1
    # the figures changed during the report: the power read inside it was kept under the older version,
    # which only makes it computed again, never served as newer than it is
    again = await read_power(service, TOWNSHIP, "2026-10")
    assert again["n"] > first["power"]["n"]
    assert (await read_report(service, TOWNSHIP, "2026-10"))["power"] != first["power"]


async def test_a_reading_that_declares_an_unknown_family_is_refused():
    @cached(reads=("figuers",))
    async def misspelt(service: _Service, principal: Principal) -> int:
        return 1

    with pytest.raises(ValueError, match="figuers"):
        await misspelt(_Service(_Cache()), TOWNSHIP)


@dataclasses.dataclass
class _Query:
    rows: str
    periods: list[str]


@cached
async def read_pivot(service: _Service, principal: Principal, q: _Query, paths: dict[str, str]) -> list:
    service.computed.append((principal.code, q.rows))
    return [q.rows, *q.periods]


async def test_a_query_object_and_a_mapping_are_keyed_by_their_content():
    service = _Service(_Cache())
    await read_pivot(service, TOWNSHIP, _Query("industry", ["2026-10"]), {"entities": "/v1/entities"})
    await read_pivot(service, TOWNSHIP, _Query("industry", ["2026-10"]), {"entities": "/v1/entities"})
    assert len(service.computed) == 1
    assert await read_pivot(service, TOWNSHIP, _Query("industry", ["2026-11"]), {"entities": "/v1/entities"}) == ["industry", "2026-11"]
    await read_pivot(service, TOWNSHIP, _Query("industry", ["2026-11"]), {"entities": "/entities"})
    assert len(service.computed) == 3


async def test_callers_of_one_scope_share_answers_and_other_scopes_never_do():
    service = _Service(_Cache())
    officer = Principal(Role.TOWNSHIP, "445281101", Person("zhangsan", "张三"))
    colleague = Principal(Role.TOWNSHIP, "445281101", Person("lisi", "李四"))
    assert (await read_figure(service, officer, "2026-10"))["township"] == "445281101"
    await read_figure(service, colleague, "2026-10")
    assert len(service.computed) == 1
    assert (await read_figure(service, OTHER, "2026-10"))["township"] == "445281102"
    assert (await read_figure(service, TOWNSHIP, "2026-09"))["period"] == "2026-09"
    assert service.computed == [("445281101", "2026-10"), ("445281102", "2026-10"), ("445281101", "2026-09")]


async def test_identical_calls_at_the_same_moment_are_computed_once():
    service = _Service(_Cache())
    answers = await asyncio.gather(*(read_figure(service, TOWNSHIP, "2026-10", pause=0.05) for _ in range(8)))
    assert len(service.computed) == 1 and all(a is answers[0] for a in answers)


async def test_an_error_reaches_every_waiting_caller_and_is_not_kept():
    service = _Service(_Cache())
    results = await asyncio.gather(*(read_figure(service, TOWNSHIP, "bad", pause=0.05) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results) and len(service.computed) == 1
    with pytest.raises(ValueError):
        await read_figure(service, TOWNSHIP, "bad")
    assert len(service.computed) == 2


async def test_a_caller_that_goes_away_does_not_leave_the_others_without_an_answer():
    service = _Service(_Cache())
    first = asyncio.create_task(read_figure(service, TOWNSHIP, "2026-10", pause=0.2))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(read_figure(service, TOWNSHIP, "2026-10", pause=0.01))
    await asyncio.sleep(0.01)
    first.cancel()
    assert (await second)["period"] == "2026-10"
    assert len(service.computed) == 2


async def test_the_least_recently_used_answers_go_first_and_none_outlives_max_age():
    service = _Service(_Cache(entries=2))
    for period in ("2026-08", "2026-09", "2026-08", "2026-10"):
        await read_figure(service, TOWNSHIP, period)
    await read_figure(service, TOWNSHIP, "2026-08")  # kept: used more recently than 2026-09
    await read_figure(service, TOWNSHIP, "2026-09")  # gone
    assert [p for _, p in service.computed] == ["2026-08", "2026-09", "2026-10", "2026-09"]
    aged = _Service(_Cache(max_age=0.05))
    await read_figure(aged, TOWNSHIP, "2026-10")
    await asyncio.sleep(0.06)
    await read_figure(aged, TOWNSHIP, "2026-10")
    assert len(aged.computed) == 2


async def test_without_a_cache_or_with_none_allowed_every_call_is_computed():
    for service in (_Service(None), _Service(_Cache(entries=0))):
        await read_figure(service, TOWNSHIP, "2026-10")
        await read_figure(service, TOWNSHIP, "2026-10")
        assert len(service.computed) == 2


def test_analytics_readings_declare_only_families_its_topics_write_and_what_their_tables_need():
    """Every cached reading of analytics declares families the service has; those reading alerts say so."""
    import importlib
    import pkgutil

    import services.analytics.api as api
    from services.analytics.storage.tables import ALERTS, READ_FAMILIES

    readings = {}
    for module in pkgutil.iter_modules(api.__path__):
        loaded = importlib.import_module(f"{api.__name__}.{module.name}")
        readings.update({f"{module.name}.{n}": f for n, f in vars(loaded).items()
                         if hasattr(f, "reads") and getattr(f, "__module__", "") == loaded.__name__})
    assert len(readings) >= 19  # every analysis, list and export
    for name, reading in readings.items():
        assert reading.reads is None or set(reading.reads) <= set(READ_FAMILIES.values()), name
    # the readings whose queries touch the alerts table (storage/repository.py) must not miss its changes
    for name in ("supervision.read_supervision", "supervision.read_alerts", "supervision.read_rule_lists", "routes.read_overview",
                 "panorama.read_entity", "pivot.read_pivot", "report.read_report"):
        assert ALERTS in readings[name].reads, name
