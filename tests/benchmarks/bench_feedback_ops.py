"""feedback's CPU per request, operation by operation, without queueing: what each kind of request costs.

    .venv/bin/python -m tests.benchmarks.bench_feedback_ops [--n 400] [--concurrency 4] [--cases 50]

bench_workbench measures the township workbench under load, but its CPU per request depends on the
mix its latencies allow (a starved run lists more and uploads fewer photos) and on the machine's
other tenants. This one takes the mix out: the same platform (broker, PostgreSQL, feedback as real
processes; deploy/local/platform.py) and the same seeded worklist, then one phase per operation,
`--n` requests each from `--concurrency` clients (few enough that nothing queues): the worklist
(GET /v1/cases?limit=100), a case (GET /v1/cases/{id}), 签收, 开始核查, a ~300 KB photo with its
location, 办结 (each act with its own Idempotency-Key, on cases of the key's own township), and
replays of acts already answered. For each phase: feedback's CPU µs per request (psutil, its
process only, less what it uses idle: the relay's polls, the broker's heartbeats), PostgreSQL's,
and the wall-clock p50/p95 at that concurrency. Results: docs/benchmarks/workbench.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections import defaultdict

import httpx

from deploy.local.platform import LocalPlatform
from tests.benchmarks.bench_workbench import _cpu, _db, _group_pids, _photo, _since, seeded_feedback

PHASES = ("list", "open", "acknowledge", "verify", "photo", "resolve", "replay")


async def _phase(platform: LocalPlatform, name: str, calls: list[tuple[str, str, dict, dict]], concurrency: int,
                 idle_per_s: dict[str, float], clients: dict[str, httpx.AsyncClient]) -> dict:
    """Run `calls` (township, method+path, kwargs, ...) from `concurrency` workers; CPU of the phase."""
    pids = _group_pids(platform)
    latencies: list[float] = []
    statuses: dict[int | str, int] = defaultdict(int)
    queue = list(reversed(calls))

    async def worker() -> None:
        while queue:
            township, method, path, kw = queue.pop()
            started = time.perf_counter()
            for _ in range(3):  # a kept-alive connection the server closed as it was reused: sent again, same key
                try:
                    response = await clients[township].request(method, path, **kw)
                    break
                except httpx.TransportError as failure:
                    statuses[type(failure).__name__] += 1
            else:
                continue
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] += 1

    before, started = _cpu(pids), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    used = _since(before, _cpu(pids))
    n = len(calls)
    return {
        "phase": name, "requests": n, "statuses": dict(statuses), "per_s": round(n / wall, 1),
        "feedback_cpu_us": round((used["feedback"] - idle_per_s["feedback"] * wall) / n * 1e6),
        "postgres_cpu_us": round((used["postgres"] - idle_per_s["postgres"] * wall) / n * 1e6),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))] * 1000, 1),
    }


async def _run(platform: LocalPlatform, args) -> list[dict]:
    photo = _photo()
    rows = await _db(platform, "SELECT case_id::text, township_code FROM feedback.cases ORDER BY case_id")
    by_township: dict[str, list[str]] = defaultdict(list)
    for case_id, township in rows:
        by_township[township].append(case_id)
    townships = sorted(by_township)
    # every act on its own case, townships in turn: as many cases as the largest phase of acts needs
    order = [by_township[t][i] for i in range(args.cases) for t in townships]
    township_of = {case_id: township for case_id, township in rows}
    acted = order[: args.n]
    clients = {t: httpx.AsyncClient(
        base_url=platform.url("feedback"), timeout=60,
        headers={"Authorization": f"Bearer {platform.credentials.townships[t]}", "User-Agent": "bench-feedback-ops"})
        for t in townships}

    def act(case_id: str, body: dict, key: str | None = None) -> tuple:
        return (township_of[case_id], "POST", f"/v1/cases/{case_id}/acts",
                {"json": body, "headers": {"Idempotency-Key": key or uuid.uuid4().hex}})

    pids = _group_pids(platform)
    idle_before, idle_started = _cpu(pids), time.perf_counter()
    await asyncio.sleep(5)
    idle_per_s = {g: v / (time.perf_counter() - idle_started) for g, v in _since(idle_before, _cpu(pids)).items()}
    phases = {
        "list": [(townships[i % len(townships)], "GET", "/v1/cases", {"params": {"limit": 100}}) for i in range(args.n)],
        "open": [(township_of[c], "GET", f"/v1/cases/{c}", {}) for c in acted],
        "acknowledge": [act(c, {"action": "acknowledge"}, f"ack-{c}") for c in acted],
        "verify": [act(c, {"action": "verify", "note": "已安排现场核查"}) for c in acted],
        "photo": [(township_of[c], "POST", f"/v1/cases/{c}/photos", {
            "files": {"photo": ("IMG_0001.jpg", photo, "image/jpeg")},
            "data": {"latitude": "23.55", "longitude": "116.37", "accuracy_m": "12"},
            "headers": {"Idempotency-Key": uuid.uuid4().hex}}) for c in acted[: args.n // 4]],
        "resolve": [act(c, {"action": "resolve", "disposition": "confirmed_rectified",
                            "note": "现场核查属实，企业已补充申报，已整改"}) for c in acted],
        "replay": [act(c, {"action": "acknowledge"}, f"ack-{c}") for c in acted],  # answered, not acted again
    }
    try:  # warm-up (statement caches, the first connections), on reads only: the acts' cases stay as seeded
        await _phase(platform, "warm-up", phases["list"][:20] + phases["open"][-20:], args.concurrency, idle_per_s, clients)
        return [await _phase(platform, name, phases[name], args.concurrency, idle_per_s, clients) for name in PHASES]
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400, help="requests per phase (photos: a quarter)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients at once")
    parser.add_argument("--cases", type=int, default=50, help="alerts seeded per township (86 townships)")
    args = parser.parse_args()
    with seeded_feedback(args.cases) as seeded:
        results = asyncio.run(_run(seeded.platform, args))
    print(f"{'phase':<13}{'requests':>9}{'/s':>7}{'feedback µs':>13}{'postgres µs':>13}{'p50 ms':>8}{'p95 ms':>8}  statuses")
    for r in results:
        print(f"{r['phase']:<13}{r['requests']:>9}{r['per_s']:>7}{r['feedback_cpu_us']:>13}{r['postgres_cpu_us']:>13}"
              f"{r['p50_ms']:>8}{r['p95_ms']:>8}  {r['statuses']}")


if __name__ == "__main__":
    main()
