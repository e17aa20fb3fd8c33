"""Townships and departments are isolated at the broker too: each principal reads and writes only what
deploy/kafka_access.py grants it, no one gets in without credentials, and the departments' raw messages
are kept only briefly."""

import uuid

import orjson
import pytest
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from deploy.kafka_access import (
    Grant,
    Operation,
    Resource,
    department_principal,
    ensure_access,
    own_groups,
    township_principal,
)
from deploy.topics import ensure_topics, platform_grants, platform_topics
from shared import topics
from shared.messaging.connection import KafkaConnection
from tests.integration.harness import TopicReader, json_value, new_uscc, produce_raw, townships_of

pytestmark = pytest.mark.integration

REFUSED_WRITE = (TopicAuthorizationFailedError, ClusterAuthorizationFailedError)  # no write right at all: the latter


async def _read_one_poll(kafka: KafkaConnection, topic: str, group_prefix: str | None) -> None:
    async with TopicReader(kafka, topic, group_prefix) as reader:
        await reader.read_until(lambda _: True, timeout=20)


async def test_a_township_system_reads_its_own_alerts_and_no_other_townships(api, platform):
    township, neighbour = townships_of("445281")[2:4]
    principal = township_principal(township)
    as_township = platform.kafka_as(principal)
    code = new_uscc("445281")  # never registered: the matcher routes the record to the township
    tax = {"taxpayer_id": code, "uscc": code, "township_code": township, "period": "2026-10", "amount": "64.00"}
    async with TopicReader(as_township, topics.township_alerts(township), own_groups(principal)) as reader:
        assert (await api.submit("tax", "tax_payment", [tax])).json()["accepted"] == 1
        mine = await reader.read_until(lambda ms: any(code.encode() in m.value for m in ms))
    assert {json_value(m)["payload"]["record"]["township_code"] for m in mine if code.encode() in m.value} == {township}

    with pytest.raises(TopicAuthorizationFailedError):
        await _read_one_poll(as_township, topics.township_alerts(neighbour), own_groups(principal))
    with pytest.raises(GroupAuthorizationFailedError):  # nor join, or move the offsets of, the neighbour's group
        await _read_one_poll(as_township, topics.township_alerts(township), own_groups(township_principal(neighbour)))
    with pytest.raises(REFUSED_WRITE):  # and it cannot forge an alert, not even on its own topic
        await produce_raw(as_township, topics.township_alerts(township), b'{"event_type": "anomaly-detected"}')


async def test_a_right_the_registry_no_longer_gives_is_revoked(platform, kafka):
    township, neighbour = townships_of("445224")[:2]
    principal = township_principal(township)
    registry = [g for g in platform_grants() if g.principal == principal]
    stray = Grant(principal, Operation.READ, Resource.TOPIC, topics.township_alerts(neighbour))  # granted by hand once
    await ensure_access(kafka, {}, [*registry, stray])
    await _read_one_poll(platform.kafka_as(principal), topics.township_alerts(neighbour), own_groups(principal))

    await ensure_access(kafka, {}, registry)  # as `python -m deploy.topics` does for every principal
    with pytest.raises(TopicAuthorizationFailedError):
        await _read_one_poll(platform.kafka_as(principal), topics.township_alerts(neighbour), own_groups(principal))


async def test_no_one_gets_in_without_credentials(platform):
    township = townships_of("445202")[0]
    topic, groups = topics.township_alerts(township), own_groups(township_principal(township))
    plaintext = KafkaConnection(platform.bootstrap)  # no SASL at all, as a naive client connects
    wrong_password = platform.kafka.admin.as_principal(township_principal(township), "not-the-password")
    for stranger in (plaintext, wrong_password):
        with pytest.raises(KafkaConnectionError):
            await _read_one_poll(stranger, topic, groups)
    await _read_one_poll(platform.kafka_as(township_principal(township)), topic, groups)  # the real one gets in


async def test_a_department_writes_only_its_own_intake_and_reads_its_answers(platform):
    principal = department_principal("tax")
    as_tax = platform.kafka_as(principal)
    township = townships_of("445203")[2]
    code = new_uscc("445203")
    message = {"kind": "tax_payment", "records": [
        {"taxpayer_id": code, "uscc": code, "township_code": township, "period": "2026-10", "amount": "5.00"}
    ]}
    key = f"tax-system-{uuid.uuid4()}".encode()
    async with TopicReader(as_tax, topics.intake_results("tax"), own_groups(principal)) as results, \
               TopicReader(as_tax, topics.dead_letter(topics.intake("tax")), own_groups(principal)) as dead_letters:
        await produce_raw(as_tax, topics.intake("tax"), orjson.dumps(message), key=key)
        await produce_raw(as_tax, topics.intake("tax"), b"not json", key=key)
        answers = await results.read_until(lambda ms: any(m.key == key for m in ms))
        unreadable = await dead_letters.read_until(lambda ms: any(m.key == key for m in ms))
    assert next(json_value(m) for m in answers if m.key == key)["payload"]["accepted"] == 1
    assert dict(next(m for m in unreadable if m.key == key).headers)["dlq_error_code"] == b"not_json"

    with pytest.raises(TopicAuthorizationFailedError):  # the power supply company's intake is not the tax bureau's
        await produce_raw(as_tax, topics.intake("power_supply"), orjson.dumps(message))
    with pytest.raises(TopicAuthorizationFailedError):  # nor are its answers
        await _read_one_poll(as_tax, topics.intake_results("power_supply"), own_groups(principal))
    with pytest.raises(TopicAuthorizationFailedError):  # and a department cannot publish platform events
        await produce_raw(as_tax, topics.RECORD_IMPORTED, b"{}")


async def test_a_service_cannot_forge_another_services_events_or_read_raw_intake(platform):
    with pytest.raises(TopicAuthorizationFailedError):
        await produce_raw(platform.kafka_as("analytics"), topics.RECORD_MATCHED, b'{"event_type": "record-matched"}')
    with pytest.raises(TopicAuthorizationFailedError):
        await produce_raw(platform.kafka_as("feedback"), topics.ANOMALY_DETECTED, b'{"event_type": "anomaly-detected"}')
    with pytest.raises(TopicAuthorizationFailedError):  # only ingest sees the departments' raw messages
        await _read_one_poll(platform.kafka_as("matcher"), topics.intake("tax"), group_prefix=None)


def _topic_configs(admin: AdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    described = admin.describe_configs([ConfigResource(ResourceType.TOPIC, name) for name in names])
    return {resource.name: {k: e.value for k, e in f.result().items()} for resource, f in described.items()}


async def test_raw_intake_topics_keep_messages_briefly_and_an_older_topic_is_brought_in_line(kafka):
    admin = AdminClient(kafka.librdkafka())
    raw = [topics.intake("tax"), topics.dead_letter(topics.intake("tax"))]
    three_days, one_hour = str(3 * 24 * 3600 * 1000), str(3600 * 1000)
    configs = _topic_configs(admin, [*raw, topics.RECORD_IMPORTED])
    for name in raw:
        assert (configs[name]["retention.ms"], configs[name]["segment.ms"]) == (three_days, one_hour), name
    assert configs[topics.RECORD_IMPORTED]["retention.ms"] == "-1"  # a flow topic keeps every event (analytics rebuilds from it)

    # a topic created before the retention was chosen keeps the broker's week until deploy.topics runs again
    week = ConfigEntry("retention.ms", str(7 * 24 * 3600 * 1000), incremental_operation=AlterConfigOpType.SET)
    for future in admin.incremental_alter_configs([
        ConfigResource(ResourceType.TOPIC, topics.intake("tax"), incremental_configs=[week])
    ]).values():
        future.result()
    assert await ensure_topics(kafka, platform_topics()) == []
    assert _topic_configs(admin, raw[:1])[raw[0]]["retention.ms"] == three_days
