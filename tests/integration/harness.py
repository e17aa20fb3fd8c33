"""Helpers for integration tests: drive the platform as its users and operators do."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import uuid
from collections.abc import Callable

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from deploy.local.infra import REPO_ROOT
from deploy.local.platform import LocalPlatform
from shared import uscc
from shared.messaging.connection import KafkaConnection
from shared.reference import TOWNSHIPS


class Api:
    """HTTP calls as a department, a township or the supervisor would make them."""

    def __init__(self, platform: LocalPlatform) -> None:
        self.platform = platform
        # uvicorn closes a connection idle for 5 s (timeout_keep_alive); reusing one it is closing fails
        # the next call with a ReadError, so the client lets its idle connections go sooner
        self.client = httpx.AsyncClient(timeout=30, limits=httpx.Limits(keepalive_expiry=2))

    def _auth(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def submit(self, department: str, kind: str, records: list, key: str | None = None) -> httpx.Response:
        key = key or self.platform.credentials.departments[department]
        return await self.client.post(
            f"{self.platform.url('ingest')}/v1/records", json={"kind": kind, "records": records}, headers=self._auth(key)
        )

    async def submit_all(self, department: str, kind: str, records: list) -> None:
        """Submit records that must all be accepted."""
        reply = await self.submit(department, kind, records)
        assert reply.status_code == 200 and not reply.json()["rejected"], reply.text

    async def as_township(self, township: str, method: str, service: str, path: str, **kw) -> httpx.Response:
        key = self.platform.credentials.townships[township]
        headers = {**self._auth(key), **kw.pop("headers", {})}
        return await self.client.request(method, f"{self.platform.url(service)}{path}", headers=headers, **kw)

    async def as_supervisor(self, service: str, path: str, method: str = "GET", **kw) -> httpx.Response:
        headers = {**self._auth(self.platform.credentials.supervisor), **kw.pop("headers", {})}
        return await self.client.request(method, f"{self.platform.url(service)}{path}", headers=headers, **kw)

    async def overview_of(self, township: str) -> dict:
        response = await self.as_township(township, "GET", "analytics", "/v1/overview")
        response.raise_for_status()
        (row,) = response.json()["townships"]
        return row

    async def metrics(self, service: str) -> dict[tuple[str, tuple], float]:
        text = (await self.client.get(f"{self.platform.url(service)}/metrics/")).text
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }


async def eventually(check: Callable, timeout: float = 60, interval: float = 0.25, what: str = "condition"):
    """Poll an async check until it returns a truthy value; fail with the last value seen."""
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s; last value: {last!r}")


class TopicReader:
    """A plain aiokafka consumer, as a township's or an operator's own system would use: `kafka` says as which
    principal, in a new consumer group named from `group_prefix` (a township's system may use only its own
    groups), or with None in none (the reader takes every partition itself)."""

    def __init__(self, kafka: KafkaConnection, topic: str, group_prefix: str | None = "test-reader-") -> None:
        self._consumer = AIOKafkaConsumer(
            topic, **kafka.aiokafka(), auto_offset_reset="earliest", enable_auto_commit=False,
            group_id=None if group_prefix is None else f"{group_prefix}{uuid.uuid4()}",
        )
        self.messages: list = []

    async def __aenter__(self) -> TopicReader:
        try:
            await self._consumer.start()
        except BaseException:  # e.g. refused by the broker: no connection left behind
            await self._consumer.stop()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        await self._consumer.stop()

    async def read_until(self, predicate: Callable[[list], bool], timeout: float = 60) -> list:
        async def poll():
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                self.messages.extend(records)
            return predicate(self.messages)

        await eventually(poll, timeout, interval=0, what="messages on topic")
        return self.messages


async def produce_raw(
    kafka: KafkaConnection, topic: str, value: bytes, key: bytes | None = None, max_request_size: int = 1024 * 1024
) -> None:
    producer = AIOKafkaProducer(
        **kafka.aiokafka(), acks="all", enable_idempotence=True, max_request_size=max_request_size
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


def json_value(record) -> dict:
    return orjson.loads(record.value)


_serial = itertools.count(uuid.uuid4().int % 10**8)  # a random start, then strictly new numbers


def new_uscc(division: str = "445202") -> str:
    """A valid code never used before in this run (6 base-31 digits: no wrap within 8×10^8 codes)."""
    n = next(_serial)
    body = "MA" + "".join(uscc.ALPHABET[(n // 31**i) % 31] for i in range(6))
    return uscc.build("9", "1", division, body)


def power_row(entity: dict, period: str, kwh: float) -> dict:
    """A month's power of a registered entity (uscc, name, township_code), as the power company sends it."""
    return {"power_account": f"P{entity['uscc'][-10:]}", "uscc": entity["uscc"], "account_name": entity["name"],
            "township_code": entity["township_code"], "period": period, "kwh": kwh}


def tax_row(entity: dict, period: str, amount: str) -> dict:
    """A month's tax of a registered entity, as the tax bureau sends it."""
    return {"taxpayer_id": entity["uscc"], "uscc": entity["uscc"], "taxpayer_name": entity["name"],
            "township_code": entity["township_code"], "period": period, "amount": amount}


def entities_with_power(township: str, n: int, name: str, account: str) -> tuple[list[dict], list[dict]]:
    """n new entities of `township`: their registrations, and a power record of 2026-09 for each (meters `account`
    + the code's organisation part, names `name` + a number)."""
    registrations, power = [], []
    for i in range(n):
        code = new_uscc(township[:6])
        registrations.append({"uscc": code, "name": f"惠来县{name}{i:05d}贸易有限公司", "township_code": township})
        power.append({"power_account": f"{account}{code[8:17]}", "uscc": code, "account_name": f"{name}{i:05d}",
                      "township_code": township, "period": "2026-09", "kwh": 100.0 + i})
    return registrations, power


def applied(metrics: dict, service: str, topic: str, outcome: str = "applied") -> float:
    """How many events of `topic` the service handled with `outcome`: "applied", or "duplicate" (redelivered, skipped)."""
    labels = (("outcome", outcome), ("service", service), ("topic", topic))
    return metrics.get(("bizpulse_events_handled_total", labels), 0)


def townships_of(division: str) -> list[str]:
    return sorted(code for code in TOWNSHIPS if code.startswith(division))


def restart_with_env(platform: LocalPlatform, service: str, env: dict[str, str]) -> None:
    """Restart one service with extra or changed environment (a new declaration, another limit)."""
    process = platform.services[service]
    process.stop()
    process.env = {**process.env, **env}
    process.start()
    process.wait_ready()


async def db_scalar(platform: LocalPlatform, sql: str, **params):
    """Read a number straight from the database, as an auditor would (tests only; services never do)."""
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(sql), params)
    finally:
        await engine.dispose()


async def registered(platform: LocalPlatform, *usccs: str) -> None:
    """Wait until the matcher's registry holds these entities: every instance loads what the table holds
    before its next batch, so records submitted after this are matched against them (registrations and
    records travel on different partitions, and either may be consumed first)."""
    async def present():
        return await db_scalar(platform, "SELECT count(*) FROM matcher.entities WHERE uscc = ANY(:usccs)",
                               usccs=list(usccs)) == len(usccs)

    await eventually(present, what=f"{len(usccs)} entities in the matcher's registry")


async def db_execute(platform: LocalPlatform, sql: str, **params) -> None:
    """Write straight to the database to stage a situation (tests only)."""
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(sql), params)
    finally:
        await engine.dispose()


async def operator_command(platform: LocalPlatform, service: str, *args: str, returncode: int = 0) -> str:
    """Run `python -m services.<service> <args>` as an operator would, against this platform; its output
    (the command must exit with `returncode`)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", f"services.{service}", *args, cwd=REPO_ROOT, env={**os.environ, **platform.service_env(service)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output = (await process.communicate())[0].decode()
    assert process.returncode == returncode, output
    return output


async def raise_alert(api: Api, platform: LocalPlatform, township: str, period: str = "2026-10") -> tuple[str, str]:
    """A 用电无税 alert of `period` for a new entity of `township` (registered, a zero tax declaration,
    then power), once it is on the township's worklist: its case id and the entity's name."""
    division = township[:6]
    code = new_uscc(division)
    name = f"揭阳{uuid.uuid4().hex[:4]}五金制品有限公司"
    await api.submit("market_regulation", "registration", [
        {"uscc": code, "name": name, "township_code": township, "industry_code": "3311"}])
    await api.submit("tax", "tax_payment", [{"taxpayer_id": code, "uscc": code, "taxpayer_name": name,
                                            "township_code": township, "period": period, "amount": "0.00"}])
    facts = "select count(*) from alerting.facts where uscc = :code"
    await eventually(lambda: db_scalar(platform, facts, code=code), what="the zero declaration in alerting")
    await api.submit("power_supply", "power_usage", [{"power_account": f"P{code[-10:]}", "uscc": code, "account_name": name,
                                                      "township_code": township, "period": period, "kwh": 25000.0}])

    async def listed():
        reply = await api.as_township(township, "GET", "feedback", "/v1/cases", params={"kind": "alert"})
        return next((c["case_id"] for c in reply.json() if c["title"] == name), None)
    return await eventually(listed, what="the alert on the township's worklist"), name
