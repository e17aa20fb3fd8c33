"""Builds and runs one service process.

FastStream (Kafka) and FastAPI (HTTP: API, /metrics, /healthz, /readyz) share one event loop
and one lifespan, driven by uvicorn, which also handles SIGTERM/SIGINT for a clean stop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.specification import AsyncAPI
from prometheus_client import REGISTRY, make_asgi_app
from pydantic import BaseModel, Field

from shared.auth import KeyRing
from shared.contracts import Event
from shared.db.engine import create_engine, read_session_factory, session_factory
from shared.db.migrations import upgrade
from shared.messaging.consumer import EventConsumer, Subscription
from shared.messaging.outbox import OutboxDeadLetters, OutboxRelay
from shared.messaging.producer import OutboxProducer
from shared.observability import configure_logging
from shared.service import http
from shared.service.read_cache import ReadCache
from shared.settings import ServiceSettings
from shared.web import serve_docs, serve_static

log = logging.getLogger(__name__)
VERSION = "0.1.0"


@dataclass(frozen=True)
class Publication:
    """An event a service produces, declared for its AsyncAPI document."""

    topic: str
    event: type[Event]
    description: str = ""


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, bool] = Field(description="kafka, database: whether each answers now")


@dataclass
class ServiceSpec:
    name: str
    description: str
    settings: ServiceSettings
    metadata: sa.MetaData
    subscriptions: Callable[[Service], Sequence[Subscription]] = lambda _: ()
    publications: Sequence[Publication] = ()
    routers: Callable[[Service], Sequence[APIRouter]] = lambda _: ()
    background: Callable[[Service], Sequence[Callable[[], Coroutine]]] = lambda _: ()
    # before the service consumes: bring its tables in line with its data files (analytics' 规模档)
    prepare: Callable[[Service], Coroutine] | None = None
    request_limit: Callable[[str], int] | None = None  # bytes allowed per request path
    preflight: Callable[[], None] = lambda: None  # refuses to run (SystemExit with the reason) when misconfigured
    # service-specific subcommands (`python -m services.<name> <command> …`): each takes the arguments
    # after its name and returns the exit code
    commands: Mapping[str, Callable[[list[str]], int]] = field(default_factory=dict)
    # topic → the family of tables its handler writes: answers of the read_cache.cached reads are kept
    # until a batch writes a family they read (needs the schema's read_version_<family> sequences)
    read_families: Mapping[str, str] = field(default_factory=dict)


class Service:
    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec
        self.settings = settings = spec.settings
        self.name = spec.name
        client_id = f"bizpulse-{spec.name}-{settings.instance_id}"
        kafka = settings.kafka_connection()
        self.broker = KafkaBroker(
            kafka.servers,
            security=kafka.faststream_security(),
            allow_auto_create_topics=False,  # deploy/topics.py creates them; a service has no right to
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            middlewares=[KafkaPrometheusMiddleware(registry=REGISTRY, app_name=spec.name)],
            logger=logging.getLogger(f"bizpulse.{spec.name}.kafka"),
        )
        self.engine = create_engine(settings)
        self.sessions = session_factory(engine=self.engine)
        self.read_sessions = read_session_factory(self.engine)  # for requests that only read
        tables = spec.metadata.tables
        outbox = tables[f"{spec.metadata.schema}.outbox"]
        processed = tables[f"{spec.metadata.schema}.processed_events"]
        self.relay = OutboxRelay(
            service=spec.name,
            sessions=self.sessions,
            outbox=outbox,
            dead_letters=tables[f"{spec.metadata.schema}.outbox_dead_letters"],
            producer=OutboxProducer(kafka, f"{client_id}-outbox"),
            batch_size=settings.outbox_batch_size,
            idle_poll_seconds=settings.outbox_idle_poll_seconds,
        )
        self.read_cache = ReadCache(
            service=spec.name, schema=spec.metadata.schema, families=spec.read_families, sessions=self.read_sessions,
            entries=settings.read_cache_entries, max_age=settings.read_cache_seconds,
        ) if spec.read_families else None
        subscriptions = spec.subscriptions(self)
        if subscriptions:
            EventConsumer(
                service=spec.name,
                subscriptions=subscriptions,
                sessions=self.sessions,
                outbox=outbox,
                processed=processed,
                broker=self.broker,
                relay=self.relay,
                batch_size=settings.consumer_batch_size,
                batch_timeout_ms=settings.consumer_batch_timeout_ms,
                max_attempts=settings.handler_max_attempts,
                retry_backoff=settings.retry_backoff_seconds,
                after_commit=self.read_cache.changed if self.read_cache else None,
            )
        for pub in spec.publications:
            self.broker.publisher(pub.topic, schema=pub.event, description=pub.description, title=f"{pub.topic}:{pub.event.type_name()}:publish")
        self.api = self._build_api(spec)

    def _build_api(self, spec: ServiceSpec) -> FastAPI:
        api = FastAPI(
            title=f"bizpulse {spec.name}",
            description=spec.description,
            version=VERSION,
            lifespan=self._lifespan,
            docs_url=None,  # served from the app's own static files instead of a CDN (serve_docs)
            redoc_url=None,
        )
        api.state.key_ring = KeyRing(self.settings.api_keys)
        api.state.sessions = self.settings.sessions()  # people logged in to the pages (shared/sessions.py)
        api.state.service = self
        api.mount("/metrics", make_asgi_app(REGISTRY))
        serve_static(api)
        serve_docs(api)
        api.add_api_route("/healthz", self._healthz, methods=["GET"], tags=["operations"])
        api.add_api_route(
            "/readyz", self._readyz, methods=["GET"], tags=["operations"], response_model=Readiness,
            responses={503: {"model": Readiness, "description": "not ready", "headers": http.RETRY_AFTER_DOC}},
        )
        for router in spec.routers(self):
            api.include_router(router)
        http.install(api, limit_for=spec.request_limit or (lambda _: self.settings.max_request_bytes))
        return api

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        if self.spec.prepare is not None:
            await self.spec.prepare(self)
        await self.broker.start()
        tasks = [
            asyncio.create_task(self.relay.run(), name=f"{self.name}-outbox-relay"),
            asyncio.create_task(self._prune_inbox(), name=f"{self.name}-inbox-pruning"),
        ]
        tasks += [asyncio.create_task(run()) for run in self.spec.background(self)]
        log.info("%s started: kafka=%s http=:%d", self.name, self.settings.kafka_bootstrap, self.settings.http_port)
        freeze_heap()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.broker.stop()
            await self.engine.dispose()

    async def _prune_inbox(self) -> None:
        """Forget processed event ids older than any message Kafka can still redeliver."""
        processed = self.spec.metadata.tables[f"{self.spec.metadata.schema}.processed_events"]
        cutoff = sa.func.now() - sa.func.make_interval(0, 0, 0, self.settings.inbox_retention_days)
        while True:
            try:
                async with self.sessions() as session, session.begin():
                    result = await session.execute(sa.delete(processed).where(processed.c.processed_at < cutoff))
                if result.rowcount:
                    log.info("forgot %d processed event ids older than %d days", result.rowcount, self.settings.inbox_retention_days)
            except Exception:
                log.exception("inbox pruning failed; trying again next round")
            await asyncio.sleep(self.settings.inbox_prune_seconds)

    async def _healthz(self) -> dict[str, str]:
        """Liveness: the process is up and its event loop answers."""
        return {"status": "ok", "service": self.name}

    async def _readyz(self) -> JSONResponse:
        """Readiness: both the broker and the database answer now."""
        checks = {"kafka": await self._kafka_ok(), "database": await self._database_ok()}
        if all(checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        return JSONResponse(
            {"status": "not_ready", "checks": checks}, 503, headers={"Retry-After": str(http.RETRY_AFTER_SECONDS)}
        )

    async def _kafka_ok(self) -> bool:
        try:
            return await self.broker.ping(timeout=2.0)
        except Exception as exc:
            log.warning("readiness: Kafka does not answer: %r", exc)
            return False

    async def _database_ok(self) -> bool:
        try:
            async with asyncio.timeout(2.0), self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception as exc:
            log.warning("readiness: the database does not answer: %r", exc)
            return False

    def asyncapi(self) -> dict:
        spec = AsyncAPI(self.broker, title=f"bizpulse {self.name}", version=VERSION, description=self.spec.description)
        return spec.to_specification().to_jsonable()


# A batch of 5,000 rows allocates a few containers per row: collecting the young generation every
# 700 allocations (Python's default) meant about once per row.
_YOUNG_COLLECTION_EVERY = 50_000


def freeze_heap() -> None:
    """What exists now (modules, schemas, SQLAlchemy metadata, a loaded index) lives as long as the
    process: moved out of the collector's reach, so full collections stop re-scanning it. Measured on
    ingest's JSON path: 65 → 46 µs of CPU per row (a third of its time was the collector)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


def main(build: Callable[[], ServiceSpec]) -> None:
    """`python -m services.<name> [run|migrate|asyncapi PATH|dead-letters [--requeue ID…|--requeue-all]|<its own command> …]`."""
    spec = build()
    argv = sys.argv[1:]
    if argv and argv[0] in spec.commands:  # its own options are its own parser's business
        configure_logging(spec.settings.log_level, spec.name)
        sys.exit(spec.commands[argv[0]](argv[1:]))
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "asyncapi", "dead-letters", *spec.commands])
    parser.add_argument("path", nargs="?", help="output file for `asyncapi`")
    parser.add_argument("--requeue", type=int, nargs="+", default=[], metavar="ID",
                        help="dead-letters: put these events back at the end of the outbox")
    parser.add_argument("--requeue-all", action="store_true", help="dead-letters: put every one back")
    args = parser.parse_args(argv)
    configure_logging(spec.settings.log_level, spec.name)
    if args.command == "migrate":
        upgrade(spec.name, spec.settings.database_url)
    elif args.command == "dead-letters":
        asyncio.run(_outbox_dead_letters(spec, args.requeue, args.requeue_all))
    elif args.command == "asyncapi":
        document = json.dumps(Service(spec).asyncapi(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        Path(args.path).write_text(document) if args.path else print(document, end="")
    else:
        spec.preflight()
        service = Service(spec)
        uvicorn.run(
            service.api,
            host=spec.settings.http_host,
            port=spec.settings.http_port,
            log_level=spec.settings.log_level.lower(),
            access_log=False,
        )



async def _outbox_dead_letters(spec: ServiceSpec, requeue: list[int], requeue_all: bool) -> None:
    """The events this service's broker refused for good, and (once the cause is fixed) requeued."""
    schema = spec.metadata.schema
    dead_letters = OutboxDeadLetters(
        spec.metadata.tables[f"{schema}.outbox"], spec.metadata.tables[f"{schema}.outbox_dead_letters"]
    )
    engine = create_engine(spec.settings)
    try:
        async with session_factory(engine)() as session, session.begin():
            if requeue or requeue_all:
                moved = await dead_letters.requeue(session, None if requeue_all else requeue)
                print(f"requeued {moved} event(s) into {schema}.outbox")
            for row in await dead_letters.listed(session):
                print(f"{row.id}\t{row.failed_at:%Y-%m-%d %H:%M:%S}\t{row.topic}\t{row.size} bytes\t{row.error_code}\t{row.error}")
    finally:
        await engine.dispose()
