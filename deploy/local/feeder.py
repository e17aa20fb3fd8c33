"""Feeds the demo city through the ingest API, as the departments' systems would."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

import httpx

from deploy.local.demo_data import DemoConfig, demo_records
from deploy.local.platform import LocalPlatform
from shared.records import KINDS

FEED_CONCURRENCY = 4
# a connection lost mid-request (a busy server closing an idle keep-alive connection as the next request is
# sent on it: ReadError, seen at 100,000 entities on a loaded machine despite the expiry below)
SEND_ATTEMPTS = 3


async def feed(
    platform: LocalPlatform, cfg: DemoConfig, progress: bool = True, kinds: Callable[[str], bool] = lambda _: True
) -> Counter:
    """POST the demo batches as each department would, a few requests in flight (those of `kinds`)."""
    totals: Counter = Counter()
    started = time.perf_counter()
    queue: asyncio.Queue = asyncio.Queue(maxsize=FEED_CONCURRENCY * 2)

    async def worker(client: httpx.AsyncClient) -> None:
        while (item := await queue.get()) is not None:
            kind, batch = item
            key = platform.credentials.departments[KINDS[kind].department]
            for attempt in range(1, SEND_ATTEMPTS + 1):
                try:
                    reply = await client.post(
                        f"{platform.url('ingest')}/v1/records",
                        json={"kind": kind, "records": batch},
                        headers={"Authorization": f"Bearer {key}"},
                    )
                    break
                except httpx.TransportError:  # sent again, as a department's system would: ingest drops a repeat
                    if attempt == SEND_ATTEMPTS:
                        raise
                    await asyncio.sleep(0.5 * attempt)
            reply.raise_for_status()
            body = reply.json()
            for field in ("accepted", "corrections", "duplicates", "rejected"):
                totals[f"{kind}.{field}"] += body[field]
            totals["rows"] += len(batch)

    # idle connections dropped before the server's keep-alive timeout (uvicorn's 5 s) drops them: a
    # request sent on a connection the server is closing fails with ReadError (the generator of a
    # big city can pause that long between batches)
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(keepalive_expiry=2.0)) as client:
        workers = [asyncio.create_task(worker(client)) for _ in range(FEED_CONCURRENCY)]
        last_report = 0.0
        for item in demo_records(cfg):
            if not kinds(item[0]):
                continue
            await queue.put(item)
            if progress and time.perf_counter() - last_report > 2:
                last_report = time.perf_counter()
                print(f"  fed {totals['rows']:,} rows ({totals['rows'] / (last_report - started):,.0f} rows/s)", flush=True)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    totals["seconds"] = round(time.perf_counter() - started, 1)
    return totals
