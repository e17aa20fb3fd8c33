"""Real infrastructure for integration tests: the same broker, database and service processes
as `python -m deploy.local up` (deploy/local/platform.py), on free ports in a temp directory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser

from deploy.local.platform import LocalPlatform
from shared.messaging.connection import KafkaConnection
from tests.integration.browser import OfflinePage, chromium
from tests.integration.harness import Api


def _containers(stack: contextlib.ExitStack) -> dict[str, str]:
    """The database from testcontainers, for machines with a Docker engine (BIZPULSE_TEST_INFRA=testcontainers).
    The broker and the services still run as local processes: the tests check the broker's own security
    (SCRAM principals, ACLs), which is configured in deploy/local/infra.py."""
    from testcontainers.postgres import PostgresContainer

    postgres = stack.enter_context(PostgresContainer("postgres:18", driver="asyncpg"))
    return {"external_database_url": postgres.get_connection_url()}


@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> LocalPlatform:
    run_dir = Path(os.environ.get("BIZPULSE_TEST_RUN_DIR") or tmp_path_factory.mktemp("platform"))
    with contextlib.ExitStack() as stack:
        use_containers = os.environ.get("BIZPULSE_TEST_INFRA") == "testcontainers"
        brokers = int(os.environ.get("BIZPULSE_TEST_BROKERS", "1"))  # 3: the whole suite on a replicated cluster
        p = LocalPlatform.on_free_ports(run_dir, brokers, **(_containers(stack) if use_containers else {}))
        stack.callback(p.stop)
        p.start_infrastructure()
        p.start_services()
        print(f"\nplatform up in {run_dir}: " + ", ".join(f"{k}={v:.1f}s" for k, v in p.timings.items()))
        yield p


@pytest.fixture
async def api(platform) -> AsyncIterator[Api]:
    client = Api(platform)
    yield client
    await client.client.aclose()


@pytest.fixture
def kafka(platform) -> KafkaConnection:
    """The broker as an operator reaches it (the admin principal): tests read and write any topic."""
    return platform.kafka.admin


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


@pytest.fixture
async def offline_page(browser) -> AsyncIterator[OfflinePage]:
    """A page in a fresh browser context (Chinese locale), reaching nothing beyond this machine."""
    context = await browser.new_context(locale="zh-CN")
    try:
        yield await OfflinePage.open(context)
    finally:
        await context.close()
