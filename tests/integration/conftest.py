"""Real infrastructure for integration tests: the same broker, database and service processes
as `python -m deploy.local up` (deploy/local/platform.py), on free ports in a temp directory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deploy.local.platform import LocalPlatform
from tests.integration.harness import Api



@pytest.fixture(scope="session")
def platform(tmp_path_factory) -> LocalPlatform:
    run_dir = Path(os.environ.get("BIZPULSE_TEST_RUN_DIR") or tmp_path_factory.mktemp("platform"))
    p = LocalPlatform.on_free_ports(run_dir)
    try:
        p.start_infrastructure()
        p.start_services()
        print(f"\nplatform up in {run_dir}: " + ", ".join(f"{k}={v:.1f}s" for k, v in p.timings.items()))
        yield p
    finally:
        p.stop()


@pytest.fixture
async def api(platform) -> AsyncIterator[Api]:
    client = Api(platform)
    yield client
    await client.client.aclose()


@pytest.fixture
def bootstrap(platform) -> str:
    return platform.bootstrap


