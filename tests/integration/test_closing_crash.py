"""kill -9 alerting in the middle of a period's closing, start it again: the closing resumes at the
page it stopped in and finishes, every entity judged; each planted absence (有税无电) reaches the
township exactly once, nothing is raised where nothing was planted, nothing is dead-lettered and
alerting's outbox is empty.

How the closing is made the only path to the planted alerts: the tax office's month arrives first
(it closes the period for tax; 有税无电 cannot speak yet, power is still open), then the power
company's month for the producing companies closes it for power, and that closing judges everyone.
The planted companies get no record after it, so no live re-judgement can find them; the ones that
must stay quiet are chosen so that a closing page judging them before their power record is in
still finds nothing (their tax is at or below the rule's `min_tax`), and the sweep's refit is held
off (`BIZPULSE_REFIT_QUIET_SECONDS`), so a second closing cannot mask a page the first one lost.
"""

from __future__ import annotations

import asyncio
import collections
import time

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.alerting.domain.history import shift
from services.alerting.judging import LOOKBACK_MONTHS
from shared import topics
from shared.messaging.connection import KafkaConnection
from tests.integration.harness import (
    TopicReader, db_scalar, eventually, json_value, new_uscc, registered, restart_with_env, townships_of,
)

pytestmark = pytest.mark.integration

PERIOD = "2024-07"  # beyond the timeliness sweep's reach: closed only by the data arriving in this test
TOWNSHIP = townships_of("445222")[2]
PAGE = 3  # entities per closing transaction (the default is 2,000)
PLANTED = 12  # C13, 26,000+ 元 of tax, no power: 有税无电
PRODUCING = 60  # C13, 3,000–3,590 元 of tax on 20,000 kWh: an ordinary factory
TRADING = 150  # F51 wholesale, 8,000+ 元 of tax, no power: a trade that needs none
SMALL = 78  # C13, 1,000 元 of tax, no power: below the rule's min_tax (small fixed taxes)
POPULATION = "select count(*) from (select uscc from alerting.facts where period between :first and :period" \
             " union select uscc from alerting.entities) known"


@pytest.fixture
def closing_in_pages(platform):
    """alerting judging closings a few entities per transaction, and never refitting a closed period
    within the test (a second closing would judge everyone again and hide a lost page)."""
    before = dict(platform.services["alerting"].env)
    restart_with_env(platform, "alerting", {"BIZPULSE_CLOSING_PAGE": str(PAGE), "BIZPULSE_CLOSING_POLL_SECONDS": "0.2",
                                            "BIZPULSE_REFIT_QUIET_SECONDS": "86400"})
    yield platform
    process = platform.services["alerting"]
    process.stop()
    process.env = before
    process.start()
    process.wait_ready()


def _entities() -> dict[str, list[dict]]:
    """The entities by group, the planted ones spread evenly through the order the closing pages by."""
    total = PLANTED + PRODUCING + TRADING + SMALL
    codes = sorted(new_uscc(TOWNSHIP[:6]) for _ in range(total))
    others = ["producing"] * PRODUCING + ["trading"] * TRADING + ["small"] * SMALL
    others = [others[(i * 7919) % len(others)] for i in range(len(others))]  # mixed, the same every run
    step = total // PLANTED
    plan = iter(others)
    groups: dict[str, list[dict]] = collections.defaultdict(list)
    for n, code in enumerate(codes):
        group = "planted" if n % step == step // 2 else next(plan)
        industry = "F5141" if group == "trading" else "C1311"
        groups[group].append({"uscc": code, "name": f"揭西{n:04d}号{'贸易' if group == 'trading' else '食品加工'}有限公司",
                              "township_code": TOWNSHIP, "industry_code": industry})
    return groups


def _tax(entity: dict, amount: float) -> dict:
    return {"taxpayer_id": entity["uscc"], "uscc": entity["uscc"], "township_code": TOWNSHIP, "period": PERIOD,
            "amount": f"{amount:.2f}"}


def _power(entity: dict, kwh: float) -> dict:
    return {"power_account": f"P{entity['uscc'][-10:]}", "uscc": entity["uscc"], "township_code": TOWNSHIP,
            "period": PERIOD, "kwh": kwh}


async def _dead_letters(kafka: KafkaConnection) -> dict[str, int]:
    """Messages in each dead-letter topic that holds any."""
    consumer = AIOKafkaConsumer(**kafka.aiokafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        dlqs = [t for t in await consumer.topics() if t.endswith(topics.DEAD_LETTER_SUFFIX)]
        partitions = [TopicPartition(t, p) for t in dlqs for p in consumer.partitions_for_topic(t) or ()]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return dict(collections.Counter({tp.topic: offset for tp, offset in ends.items() if offset}))


async def _drain(reader: TopicReader, quiet: float = 3.0) -> list:
    """Everything on the topic until it has been quiet for `quiet` seconds."""
    last, seen = time.monotonic(), len(reader.messages)
    while time.monotonic() - last < quiet:
        await reader.read_until(lambda _: True)
        if len(reader.messages) != seen:
            last, seen = time.monotonic(), len(reader.messages)
    return reader.messages


def _detected(messages) -> list[dict]:
    return [v for m in messages if (v := json_value(m))["event_type"] == "anomaly-detected"]


async def test_kill_9_alerting_mid_closing_resumes_at_its_page_and_publishes_each_alert_once(api, kafka, closing_in_pages):
    platform = closing_in_pages
    groups = _entities()
    everyone = [e for group in groups.values() for e in group]
    reply = await api.submit("market_regulation", "registration", everyone)
    assert reply.status_code == 200 and reply.json()["accepted"] == len(everyone), reply.text
    await registered(platform, *(e["uscc"] for e in everyone))
    in_alerting = "select count(*) from alerting.entities where uscc = any(:codes) and industry_code is not null"
    codes = [e["uscc"] for e in everyone]
    await eventually(lambda: _equals(len(everyone), db_scalar(platform, in_alerting, codes=codes)),
                     what="every registration in alerting")

    dead_letters_before = await _dead_letters(kafka)
    buried = "select count(*) from alerting.outbox_dead_letters"
    buried_before = await db_scalar(platform, buried)
    engine = create_async_engine(platform.database_url)
    closing = 'select fitted, "after", judged, finished_at, opened_at from alerting.closings where period = :period'

    async def closing_row():
        async with engine.connect() as connection:
            return (await connection.execute(text(closing), {"period": PERIOD})).first()

    try:
        # readers in no consumer group: no heartbeat to miss while alerting restarts, no rebalance to re-read from
        async with TopicReader(kafka, topics.township_alerts(TOWNSHIP), group_prefix=None) as township, \
                   TopicReader(kafka, topics.ANOMALY_DETECTED, group_prefix=None) as detected:
            # the tax office's July (late): the period closes for tax; power is still open, so 有税无电 waits
            taxes = ([_tax(e, 26_000 + 100 * n) for n, e in enumerate(groups["planted"])]
                     + [_tax(e, 3_000 + 10 * n) for n, e in enumerate(groups["producing"])]
                     + [_tax(e, 8_000 + 5 * n) for n, e in enumerate(groups["trading"])]
                     + [_tax(e, 1_000) for e in groups["small"]])
            reply = await api.submit("tax", "tax_payment", taxes)
            assert reply.status_code == 200 and reply.json()["accepted"] == len(taxes), reply.text
            facts = ("select count(*) from alerting.facts where period = :period and kind = 'tax_payment'"
                     " and uscc = any(:codes)")
            await eventually(lambda: _equals(len(taxes), db_scalar(platform, facts, period=PERIOD, codes=codes)),
                             timeout=90, what="every tax fact in alerting")
            tax_closing = await eventually(lambda: _finished(closing_row()), timeout=90,
                                           what="the tax closing finished")
            # this period's alerts: in the full suite other tests close other periods, and their closings judge
            # every registered entity, these too (a company with no data there may be 长期停业 there)
            ours = "select count(*) from alerting.alerts where uscc = any(:codes) and period = :period"
            assert not await db_scalar(platform, ours, codes=codes, period=PERIOD)  # nothing to say yet

            # the power company's July for the producing companies: the period closes for power, and that
            # closing judges everyone, a page per transaction
            power = [_power(e, 20_000) for e in groups["producing"]]
            reply = await api.submit("power_supply", "power_usage", power)
            assert reply.status_code == 200 and reply.json()["accepted"] == len(power), reply.text

            async def mid_closing():
                row = await closing_row()
                under_way = row.opened_at > tax_closing.opened_at and row.finished_at is None and row.fitted
                return row if under_way and row.judged >= len(everyone) // 3 else None
            at_kill = await eventually(mid_closing, timeout=90, interval=0.02, what="the power closing under way")
            platform.services["alerting"].kill()
            killed_at = time.monotonic()
            killed = await closing_row()
            raised_before = await db_scalar(platform, ours, codes=codes, period=PERIOD)
            await asyncio.to_thread(platform.restart, "alerting")

            population = await db_scalar(platform, POPULATION, first=shift(PERIOD, -LOOKBACK_MONTHS), period=PERIOD)
            finished = await eventually(lambda: _finished(closing_row()), timeout=120, what="the closing finished")
            resumed_in = time.monotonic() - killed_at
            outbox = "select count(*) from alerting.outbox"
            await eventually(lambda: _equals(0, db_scalar(platform, outbox)), what="alerting's outbox empty")
            mine = set(codes)
            on_township = [a for a in _detected(await _drain(township))
                           if a["payload"]["uscc"] in mine and a["payload"]["period"] == PERIOD]
            on_detected = [a for a in _detected(await _drain(detected))
                           if a["payload"]["uscc"] in mine and a["payload"]["period"] == PERIOD]
    finally:
        await engine.dispose()

    print(f"\nalerting killed with {killed.judged} of {population} entities judged ({at_kill.judged} seen before"
          f" the kill); {raised_before} of {PLANTED} alerts raised by then; restarted and finished"
          f" {resumed_in:.1f}s after the kill")
    assert killed.finished_at is None and 0 < killed.judged < population, "the kill must land mid-closing"
    assert killed.opened_at == at_kill.opened_at and killed.after  # the same closing, its cursor kept
    # the restart resumed: the same closing (opening it again resets its cursor, count and time) judged
    # every entity once, from where the last committed page stopped (a lost cursor would count some twice)
    assert finished.opened_at == killed.opened_at and finished.judged == population >= len(everyone)

    planted = {(e["uscc"], "tax_without_power") for e in groups["planted"]}
    for name, alerts in (("the township's topic", on_township), (topics.ANOMALY_DETECTED, on_detected)):
        # delivery is at least once: a relay killed between the broker's ack and its delete sends a batch
        # again under the same event ids, which every consumer drops; a second *event* would be a double
        events = {a["event_id"]: a for a in alerts}.values()
        copies = collections.Counter(a["payload"]["alert_id"] for a in events)
        doubled = {a: sorted(b["event_id"] for b in events if b["payload"]["alert_id"] == a)
                   for a, n in copies.items() if n > 1}
        assert not doubled, f"alerts published more than once on {name} (alert → event ids): {doubled}"
        assert {(a["payload"]["uscc"], a["payload"]["rule"]) for a in events} == planted, name
        assert len(events) == PLANTED, name
    assert all(a["payload"]["period"] == PERIOD and a["payload"]["missing_departments"] == [] for a in on_township)
    stored = ("select count(*) from alerting.alerts where rule = 'tax_without_power' and supported and not inhibited"
              " and silenced_by is null and uscc = any(:codes) and period = :period")
    assert await db_scalar(platform, ours, codes=codes, period=PERIOD) == PLANTED  # nothing held back, nothing else
    assert await db_scalar(platform, stored, codes=[u for u, _ in planted], period=PERIOD) == PLANTED
    assert await _dead_letters(kafka) == dead_letters_before
    assert await db_scalar(platform, buried) == buried_before


async def _equals(expected, value) -> bool:
    return (await value) == expected


async def _finished(row):
    found = await row
    return found if found is not None and found.finished_at is not None else None
