"""No single input may stop a service: an event the broker refuses for good, a message too large
to copy to its dead-letter topic, a database that crashes and recovers under load."""

import asyncio
import os
import subprocess
import sys
import uuid

import orjson
import pytest

from deploy.local.infra import REPO_ROOT
from deploy.topics import ensure_topics
from shared import topics
from shared.topics import TopicSpec
from tests.integration.harness import (
    TopicReader,
    db_execute,
    db_scalar,
    eventually,
    json_value,
    operator_command,
    produce_raw,
    townships_of,
)

pytestmark = pytest.mark.integration


def _total(metrics: dict, name: str, **labels) -> float:
    return sum(v for (n, ls), v in metrics.items() if n == name and labels.items() <= dict(ls).items())


async def test_an_event_the_broker_refuses_for_good_is_set_aside_and_the_relay_goes_on(api, platform, kafka):
    """Before: the relay retried its oldest rows forever; one unpublishable event stopped every
    department's intake behind it (ingest), or the routing of every unmatched record (matcher)."""
    missing_topic = topics.township_alerts(f"4452999{uuid.uuid4().int % 100:02d}")  # a township with no topic
    staged = [
        # larger than any message the broker takes
        ("ingest", "record-imported", b"x" * 1_100_000, "staged-too-large"),
        ("matcher", missing_topic, b'{"staged": true}', "staged-unknown-topic"),
    ]
    for service, topic, value, event_id in staged:
        await db_execute(
            platform,
            f"insert into {service}.outbox (topic, key, value, headers) values (:topic, 'k', :value, CAST(:headers AS json))",
            topic=topic, value=value, headers=orjson.dumps({"event_id": event_id, "event_type": "staged"}).decode(),
        )
    township = townships_of("445203")[0]
    account = f"HOL{uuid.uuid4().hex[:12]}"
    async with TopicReader(kafka, topics.RECORD_IMPORTED) as imported, TopicReader(kafka, topics.MATCH_FAILED) as failed:
        reply = await api.submit("power_supply", "power_usage", [
            {"power_account": account, "account_name": "揭东区队头测试五金厂", "township_code": township,
             "period": "2026-10", "kwh": 10.0}])
        assert reply.json()["accepted"] == 1, reply.text
        await imported.read_until(lambda ms: any(account.encode() in m.value for m in ms), timeout=30)
        await failed.read_until(lambda ms: any(account.encode() in m.value for m in ms), timeout=30)

    async def set_aside(service: str, event_id: str):
        return await db_scalar(
            platform, f"select error_code from {service}.outbox_dead_letters where headers->>'event_id' = :e", e=event_id)

    for service, _, _, event_id in staged:
        await eventually(lambda: set_aside(service, event_id), what=f"{event_id} in {service}.outbox_dead_letters")
    assert await set_aside("ingest", "staged-too-large") == "message_too_large"
    assert await set_aside("matcher", "staged-unknown-topic") == "unknown_topic"
    size = await db_scalar(platform, "select length(value) from ingest.outbox_dead_letters where headers->>'event_id' = 'staged-too-large'")
    assert size == 1_100_000  # kept whole, to be requeued once the cause is fixed
    assert await db_scalar(platform, "select count(*) from ingest.outbox where headers->>'event_id' like 'staged-%'") == 0
    ingest, matcher = await api.metrics("ingest"), await api.metrics("matcher")
    assert _total(ingest, "bizpulse_outbox_publish_failures_total", failure="permanent", error_code="message_too_large") >= 1
    assert _total(matcher, "bizpulse_outbox_publish_failures_total", failure="permanent", error_code="unknown_topic") >= 1

    # the operator fixes the cause (creates the township's topic), then requeues that event: it is published
    await ensure_topics(kafka, [TopicSpec(missing_topic, 1)])
    dead_id = await db_scalar(platform, "select id from matcher.outbox_dead_letters where headers->>'event_id' = 'staged-unknown-topic'")
    listed = await operator_command(platform, "matcher", "dead-letters", "--requeue", str(dead_id))
    assert "requeued 1 event(s)" in listed
    async with TopicReader(kafka, missing_topic) as reader:
        await reader.read_until(lambda ms: any(m.value == b'{"staged": true}' for m in ms), timeout=30)
    assert await set_aside("matcher", "staged-unknown-topic") is None
    assert "message_too_large" in await operator_command(platform, "ingest", "dead-letters")


async def test_a_message_too_large_to_copy_is_dead_lettered_by_its_head_and_the_partition_goes_on(api, kafka):
    """Before: the copy to `.dlq` was refused by the producer, the batch was redelivered in a hot
    loop and the partition stopped."""
    huge = b"{" + uuid.uuid4().hex.encode() + b"x" * 1_047_900  # not JSON, and nearly the broker's 1 MiB
    township = townships_of("445203")[1]
    account = f"BIG{uuid.uuid4().hex[:12]}"
    async with TopicReader(kafka, topics.dead_letter(topics.RECORD_IMPORTED)) as dlq, \
               TopicReader(kafka, topics.MATCH_FAILED) as failed:
        # keyed like a record, so that it lands before the next record on the same partition
        await produce_raw(kafka, topics.RECORD_IMPORTED, huge, key=f"power_supply:{account}".encode(),
                          max_request_size=2 * 1024 * 1024)
        reply = await api.submit("power_supply", "power_usage", [
            {"power_account": account, "account_name": "揭东区超大消息测试商行", "township_code": township,
             "period": "2026-10", "kwh": 10.0}])
        assert reply.json()["accepted"] == 1, reply.text

        def ours(ms):
            return [m for m in ms if dict(m.headers).get("dlq_original_sha256") is not None and m.value == huge[:len(m.value)]]

        dead = ours(await dlq.read_until(lambda ms: len(ours(ms)) >= 2, timeout=60))
        await failed.read_until(
            lambda ms: any(json_value(m)["payload"]["record"]["source_key"] == account for m in ms), timeout=60
        )
    for record in dead:
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["dlq_truncated"] == "true" and headers["dlq_error_code"] == "not_json"
        assert headers["dlq_original_size"] == str(len(huge))
        assert 0 < len(record.value) < len(huge)
    assert {dict(r.headers)["dlq_service"] for r in dead} == {b"matcher", b"analytics"}


async def test_database_crashes_under_load_lose_nothing_and_dead_letter_nothing(api, platform, kafka):
    """kill -9 PostgreSQL five times while departments stream records over Kafka: while it
    recovers it answers "the database system is not yet accepting connections" (57P03), which
    once dead-lettered an event. Every record must arrive, once, and nothing be dead-lettered."""
    township = townships_of("445224")[1]
    before = await api.overview_of(township)
    dead_before = {s: _total(await api.metrics(s), "bizpulse_dead_letters_total") for s in platform.services}
    messages, per_message = 40, 50
    run = uuid.uuid4().hex[:8]

    async def stream():
        for m in range(messages):
            records = [{"power_account": f"PG{run}{m:03d}{i:03d}", "account_name": f"惠来县崩溃测试{run}{m:03d}{i:03d}号",
                        "township_code": township, "period": "2026-10", "kwh": 5.0} for i in range(per_message)]
            await produce_raw(kafka, topics.intake("power_supply"),
                              orjson.dumps({"kind": "power_usage", "records": records}), key=f"{run}-{m}".encode())
            await asyncio.sleep(0.3)

    feeding = asyncio.create_task(stream())
    for _ in range(5):  # each recovery is one chance of the old misjudgement (1 record in 6 kills)
        await asyncio.sleep(1.5)
        platform.postgres.kill()
        await asyncio.sleep(1)
        await asyncio.to_thread(platform.postgres.start)
    await feeding

    async def all_judged():  # imported, and the matcher's verdict on each (it may lag behind ingest)
        row = await api.overview_of(township)
        done = min(row["records"] - before["records"], row["unmatched_records"] - before["unmatched_records"])
        return row if done >= messages * per_message else None

    await eventually(all_judged, timeout=240, what="every streamed record in analytics, and judged unlinked")
    await asyncio.sleep(2)  # redelivered duplicates, if any, would show now
    row = await api.overview_of(township)
    assert row["records"] - before["records"] == messages * per_message
    assert row["unmatched_records"] - before["unmatched_records"] == messages * per_message
    for service in platform.services:
        assert _total(await api.metrics(service), "bizpulse_dead_letters_total") == dead_before[service], service


async def test_a_period_whose_deadline_cannot_be_judged_yet_is_accepted_and_the_department_told(api):
    township = townships_of("445203")[2]
    rows = [{"taxpayer_id": f"T{uuid.uuid4().hex[:10]}", "township_code": township, "period": period, "amount": "10.00"}
            for period in ("2099-03", "2026-10", "2099-03")]
    reply = await api.submit("tax", "tax_payment", rows)
    body = reply.json()
    assert reply.status_code == 200 and body["accepted"] == 3, body
    assert [(w["row"], w["field"], w["code"]) for w in body["warnings"]] == [(1, "period", "deadline_unknown")]
    assert "2099-03" in body["warnings"][0]["message"] and "截止日" in body["warnings"][0]["message"]


async def test_a_tax_refund_is_accepted_and_a_month_of_net_refund_with_power_raises_power_without_tax(api, kafka, platform):
    from tests.integration.harness import new_uscc

    township = townships_of("445203")[3]
    code = new_uscc("445203")
    await api.submit("market_regulation", "registration", [{"uscc": code, "name": "揭东区退税测试塑料有限公司", "township_code": township}])
    reply = await api.submit("tax", "tax_payment", [{"taxpayer_id": code, "uscc": code, "township_code": township,
                                                      "period": "2026-09", "amount": "-300.00"}])
    assert reply.json()["accepted"] == 1, reply.text
    # September is past the tax deadline: power before the refund would be 用电无税 for want of a record
    facts = "select count(*) from alerting.facts where uscc = :code"
    await eventually(lambda: db_scalar(platform, facts, code=code), what="the refund in alerting")
    async with TopicReader(kafka, topics.township_alerts(township)) as reader:
        await api.submit("power_supply", "power_usage", [{"power_account": f"R{code[-9:]}", "uscc": code,
                                                            "township_code": township, "period": "2026-09", "kwh": 1800.0}])
        messages = await reader.read_until(lambda ms: any(
            json_value(m)["event_type"] == "anomaly-detected" and json_value(m)["payload"]["uscc"] == code for m in ms))
    alert = next(json_value(m)["payload"] for m in messages if json_value(m)["payload"].get("uscc") == code)
    assert alert["rule"] == "power_without_tax" and alert["facts"]["tax"] == -300.0
    assert "净退税" in alert["message_zh"]


@pytest.mark.parametrize("key", ["", "bizpulse-dev-only-key"])
def test_ingest_refuses_to_run_without_a_secret_key_of_its_own(platform, key):
    """The development key once shipped with the code turned masked mobiles back into raw numbers in 0.2 s."""
    env = {**platform.service_env("ingest"), "BIZPULSE_HMAC_KEY": key, "BIZPULSE_HTTP_PORT": "0"}
    if not key:
        del env["BIZPULSE_HMAC_KEY"]
    result = subprocess.run([sys.executable, "-m", "services.ingest"], cwd=REPO_ROOT, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "BIZPULSE_HMAC_KEY" in result.stderr
