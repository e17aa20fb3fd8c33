"""Township workbench under load: every township's officers working their worklists at once over the API.

    .venv/bin/python -m tests.benchmarks.bench_workbench [--officers 20] [--cases 50] [--duration 60] [--think 5]

Starts the broker, PostgreSQL and the feedback service (deploy/local/platform.py; the other four
services are not started: nothing they do is on these requests' path, and on a small machine they
would only take CPU from it). The worklist is seeded the way production fills it: `--cases` alerts
per township (all 86 of the reference) as anomaly-detected events, produced as the alerting
principal onto the real topic and consumed by feedback; the clock waits until feedback's worklist
holds every one.

Then `--officers` simulated officers per township (one asyncio task each; a township's officers
share one HTTP client with its API key and a pool of `--pool` connections) work for `--duration`
seconds after a `--ramp` of staggered starts. An officer's session: list the worklist
(GET /v1/cases), open one of their own open cases (GET /v1/cases/{id}; officer i of a township
takes the cases whose id hashes to i, so officers do not collide), then take it one to three steps
along 签收 → 开始核查 → 现场照片 → 办结 (acknowledge, verify, a ~300 KB JPEG with the phone's location,
resolve with a disposition), each with an Idempotency-Key; think time uniform in [think/2, 3·think/2]
before every request. `--retry-share` of the writes are sent again with the same key after their
answer (a phone that never saw the reply), and `--race-share` twice at the same moment; both must
have no second effect. A timeout, a dropped connection or a 503 is retried with the same key (after
Retry-After), as the phone would, up to three attempts.

Reported per operation: count, answers by status, p50/p95/p99 latency (from the call, so waiting
for a pooled connection counts, as the phone's user would feel it), throughput; CPU µs per request
of feedback, PostgreSQL, the broker and this load generator (psutil, the run's own pids only), and
how busy the whole machine was (other people's work included). At the end it checks: no 5xx; every
row of feedback.actions traced to the one Idempotency-Key that made it (its id is uuid5 of case,
actor and key), every write answered 200 recorded, none recorded twice; photos stored once per key;
cases resolved == resolutions answered; every act published once (feedback-submitted end offsets).
Results: docs/benchmarks/workbench.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import io
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import confluent_kafka
import httpx
import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from PIL import Image

from deploy.local.platform import LocalPlatform
from shared import topics, uscc
from shared.contracts import AnomalyDetected, AnomalyPayload
from shared.messaging import codec
from shared.reference import TOWNSHIPS

from services.feedback.casework import Caller, act_id

RULES = (  # (rule, severity, 签收 days, 办结 days) as services/alerting/rules/ruleset.yaml has them
    ("power_without_tax", "high", 2, 10), ("tax_without_power", "medium", 3, 20),
    ("tax_power_ratio", "medium", 3, 20), ("power_drop", "low", 5, 30), ("deregistered_active", "high", 2, 10),
)
OPEN = {"pending", "acknowledged", "verifying"}
STEP = {"pending": "acknowledge", "acknowledged": "verify"}  # verifying: a photo if none yet, else resolve


# --- seeding ----------------------------------------------------------------------------------

def _alerts(per_township: int, period: str = "2026-11") -> list[AnomalyDetected]:
    r = random.Random(7)
    events = []
    for t, township in enumerate(sorted(TOWNSHIPS)):
        for i in range(per_township):
            body = "MA" + "".join(uscc.ALPHABET[(t * 1000 + i) // 31**k % 31] for k in range(6))
            code = uscc.build("9", "1", township[:6], body)
            rule, severity, ack, res = RULES[r.randrange(len(RULES))]
            name = f"揭阳市负载{t:02d}{i:03d}实业有限公司"
            alert_id = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-workbench|{rule}|{code}|{period}")
            events.append(AnomalyDetected.create(AnomalyPayload(
                alert_id=alert_id, rule=rule, uscc=code, entity_name=name, township_code=township, period=period,
                facts={"kwh": 25000.0, "tax": 0.0}, message_zh=f"{name} {period} 用电 25000 千瓦时，申报税额为 0",
                record_ids=[uuid.uuid4(), uuid.uuid4()], severity=severity, ruleset_version="bench",
                acknowledge_working_days=ack, resolve_working_days=res,
            ), producer="alerting", correlation_id=alert_id))
    return events


def _seed(platform: LocalPlatform, events: list[AnomalyDetected]) -> None:
    """As alerting publishes them: keyed by the entity, acks=all, idempotent, as its own principal."""
    producer = confluent_kafka.Producer({**platform.kafka_as("alerting").librdkafka(), "acks": "all",
                                         "linger.ms": 20, "enable.idempotence": True})
    for event in events:
        producer.produce(topics.ANOMALY_DETECTED, codec.encode(event), key=event.payload.uscc.encode(),
                         headers=codec.headers(event))
        producer.poll(0)
    if producer.flush(120):
        raise RuntimeError("anomaly-detected events not all acknowledged")


async def _db(platform: LocalPlatform, sql: str, *args):
    connection = await asyncpg.connect(platform.database_url.replace("+asyncpg", ""))
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def _wait_for_cases(platform: LocalPlatform, n: int, timeout: float = 600) -> float:
    started = time.perf_counter()
    while (held := (await _db(platform, "SELECT count(*) FROM feedback.cases"))[0][0]) < n:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"{held} of {n} cases on the worklist after {timeout:.0f}s")
        await asyncio.sleep(0.25)
    return time.perf_counter() - started


def _photo(target: int = 300_000) -> bytes:
    """A 1600×1200 phone-like JPEG of about `target` bytes (a gradient with sensor noise)."""
    w, h = 1600, 1200
    gradient = Image.linear_gradient("L").resize((w, h))
    noise = Image.effect_noise((w, h), 40)
    image = Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))
    best = b""
    for quality in range(95, 20, -5):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        best = buffer.getvalue()
        if len(best) <= target * 1.1:
            break
    return best


# --- the officers ---------------------------------------------------------------------------------

@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    statuses: dict[str, collections.Counter] = field(default_factory=lambda: collections.defaultdict(collections.Counter))
    acts_ok: dict[str, tuple[str, str]] = field(default_factory=dict)  # idempotency key → (case, action)
    photos_ok: dict[str, str] = field(default_factory=dict)  # idempotency key → case
    unanswered: dict[str, str] = field(default_factory=dict)  # key → case of writes never answered 200
    errors: list[str] = field(default_factory=list)  # the first unexpected answers, for the report

    def note(self, op: str, status: int | str, seconds: float, response: httpx.Response | None = None) -> None:
        self.latencies[op].append(seconds)
        self.statuses[op][status] += 1
        if response is not None and response.status_code != 200 and len(self.errors) < 12:
            self.errors.append(f"{op} {response.status_code} {response.text[:200]}")


class Officer:
    def __init__(self, township: str, index: int, officers: int, client: httpx.AsyncClient, base: str,
                 photo: bytes, tally: Tally, args, stop_at: float, seed: int) -> None:
        self.township, self.index, self.officers = township, index, officers
        self.client, self.base, self.photo, self.tally, self.args = client, base, photo, tally, args
        self.stop_at = stop_at
        self.r = random.Random(seed)

    def _mine(self, case_id: str) -> bool:
        return int(hashlib.blake2s(case_id.encode(), digest_size=4).hexdigest(), 16) % self.officers == self.index

    async def _think(self) -> None:
        await asyncio.sleep(self.r.uniform(self.args.think / 2, self.args.think * 1.5))

    async def _call(self, op: str, method: str, path: str, **kw) -> httpx.Response | None:
        """One request as the user sees it; a timeout, a dropped connection or a 503 is retried (the
        same Idempotency-Key, if any; after Retry-After for a 503) up to three times, each attempt tallied."""
        response = None
        for _ in range(3):
            started = time.perf_counter()
            try:
                response = await self.client.request(method, f"{self.base}{path}", **kw)
            except httpx.TransportError as failure:
                self.tally.note(op, type(failure).__name__, time.perf_counter() - started)
                continue
            self.tally.note(op, response.status_code, time.perf_counter() - started, response)
            if response.status_code != 503:
                return response
            await asyncio.sleep(min(float(response.headers.get("retry-after", "1")), 5))
        return response

    async def _write(self, op: str, path: str, case_id: str, action: str | None, **kw) -> dict | None:
        key = uuid.uuid4().hex
        headers = {"Idempotency-Key": key}
        roll = self.r.random()
        if roll < self.args.race_share:  # the same act twice at once (a double tap, a resend racing the first)
            answers = await asyncio.gather(self._call(op, "POST", path, headers=headers, **kw),
                                           self._call(op + " (race twin)", "POST", path, headers=headers, **kw))
            response = answers[0]
            ok = any(a is not None and a.status_code == 200 for a in answers)
        else:
            response = await self._call(op, "POST", path, headers=headers, **kw)
            ok = response is not None and response.status_code == 200
            if ok and roll < self.args.race_share + self.args.retry_share:  # the reply was lost: sent again
                await self._call(op + " (replay)", "POST", path, headers=headers, **kw)
        if not ok:
            self.tally.unanswered[key] = case_id
        elif action is None:
            self.tally.photos_ok[key] = case_id
        else:
            self.tally.acts_ok[key] = (case_id, action)
        return response.json() if response is not None and response.status_code == 200 else None

    async def _step(self, case: dict) -> dict | None:
        cid = case["case_id"]
        state = case["state"]
        action = STEP.get(state)
        if action is not None:
            return await self._write(action, f"/v1/cases/{cid}/acts", cid, action,
                                     json={"action": action, "note": "" if action != "verify" else "已安排现场核查"})
        if state == "verifying" and not case["photos"]:
            return await self._write("photo", f"/v1/cases/{cid}/photos", cid, None,
                                     files={"photo": ("IMG_0001.jpg", self.photo, "image/jpeg")},
                                     data={"latitude": str(23.55 + self.r.uniform(-0.2, 0.2)),
                                           "longitude": str(116.37 + self.r.uniform(-0.2, 0.2)),
                                           "accuracy_m": "12"})
        if state == "verifying":
            return await self._write("resolve", f"/v1/cases/{cid}/acts", cid, "resolve", json={
                "action": "resolve", "disposition": "confirmed_rectified",
                "note": "现场核查属实，企业已补充申报，已整改"})
        return None

    async def run(self, start_delay: float) -> None:
        await asyncio.sleep(start_delay)
        while time.perf_counter() < self.stop_at:
            listed = await self._call("list", "GET", "/v1/cases", params={"limit": 100})
            if listed is None or listed.status_code != 200:
                await self._think()
                continue
            cases = listed.json()
            mine = [c for c in cases if c["state"] in OPEN and self._mine(c["case_id"])]
            # mostly the next of one's own open cases (the list is ordered by deadline), sometimes another to look at
            pick = (mine or cases or [None])[0] if self.r.random() < 0.7 else self.r.choice(mine or cases or [None])
            await self._think()
            if pick is None or time.perf_counter() >= self.stop_at:
                continue
            opened = await self._call("open", "GET", f"/v1/cases/{pick['case_id']}")
            case = opened.json() if opened is not None and opened.status_code == 200 else None
            for _ in range(self.r.randint(1, 3)):
                if case is None or case["state"] not in OPEN or not self._mine(case["case_id"]) \
                        or time.perf_counter() >= self.stop_at:
                    break
                await self._think()
                case = await self._step(case)
            await self._think()


async def _work(platform: LocalPlatform, args, photo: bytes) -> tuple[Tally, float]:
    tally = Tally()
    base = platform.url("feedback")
    clients = {t: httpx.AsyncClient(
        headers={"Authorization": f"Bearer {platform.credentials.townships[t]}", "User-Agent": "bench-workbench"},
        limits=httpx.Limits(max_connections=args.pool, max_keepalive_connections=args.pool),
        timeout=httpx.Timeout(args.timeout, pool=args.timeout)) for t in sorted(TOWNSHIPS)}
    started = time.perf_counter()
    stop_at = started + args.ramp + args.duration
    seats = [(t, i) for t in clients for i in range(args.officers)]
    officers = [Officer(t, i, args.officers, clients[t], base, photo, tally, args, stop_at, seed=n)
                for n, (t, i) in enumerate(seats)]
    random.Random(1).shuffle(officers)
    try:
        await asyncio.gather(*(o.run(args.ramp * n / len(officers)) for n, o in enumerate(officers)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()))
    return tally, time.perf_counter() - started


# --- measuring and checking -------------------------------------------------------------------

def _group_pids(platform: LocalPlatform) -> dict[str, list[int]]:
    def tree(pid: int | None) -> list[int]:
        if pid is None:
            return []
        return [pid] + [c.pid for c in psutil.Process(pid).children(recursive=True)]

    return {"feedback": tree(platform.services["feedback"].pid), "postgres": tree(platform.postgres.pid),
            "kafka": [pid for broker in platform.kafka.pids for pid in tree(broker)], "load generator": [psutil.Process().pid]}


def _cpu(pids: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    used: dict[str, dict[int, float]] = {}
    for group, members in pids.items():
        used[group] = {}
        for pid in members:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.NoSuchProcess:  # a PostgreSQL backend that ended: its time is lost to the count
                continue
            used[group][pid] = times.user + times.system
    return used


def _since(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds per group between two readings; a process started in between counts from its start."""
    return {g: sum(t - before.get(g, {}).get(pid, 0.0) for pid, t in after[g].items()) for g in after}


def _machine_busy() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _published(platform: LocalPlatform) -> int:
    consumer = AIOKafkaConsumer(**platform.kafka.admin.aiokafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topics.FEEDBACK_SUBMITTED, p) for p in range(topics.HOT_PARTITIONS)]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def _check(platform: LocalPlatform, tally: Tally) -> dict:
    """What the database and the topic hold against what the officers were told. An act's id is
    uuid5(case, actor, Idempotency-Key) (services/feedback/casework.py: act_id), so every row of
    feedback.actions is traced to the one key that made it."""
    for _ in range(120):  # the relay publishes what the last acts left in the outbox
        if (await _db(platform, "SELECT count(*) FROM feedback.outbox"))[0][0] == 0:
            break
        await asyncio.sleep(0.5)
    townships = {str(r[0]): r[1] for r in await _db(platform, "SELECT case_id, township_code FROM feedback.cases")}

    def feedback_id(key: str, case: str) -> str:
        caller = Caller(actor=None, actor_id=f"township:{townships[case]}", device="", idempotency_key=key)
        return str(act_id(uuid.UUID(case), caller))

    rows = await _db(platform, "SELECT feedback_id::text, action FROM feedback.actions")
    recorded = {r[0]: r[1] for r in rows}
    answered = {feedback_id(k, c): a for k, (c, a) in tally.acts_ok.items()}
    answered |= {feedback_id(k, c): "add_evidence" for k, c in tally.photos_ok.items()}
    unanswered = {feedback_id(k, c) for k, c in tally.unanswered.items()}
    return {
        "acts_answered_200": len(answered), "acts_recorded": len(recorded),
        "answered_200_but_not_recorded": sum(1 for f in answered if f not in recorded),
        "recorded_but_no_key_sent_for_it (double effects)": sum(
            1 for f in recorded if f not in answered and f not in unanswered),
        "writes_never_answered_200": len(tally.unanswered),
        "of_which_recorded": sum(1 for f in recorded if f in unanswered),
        "photos_stored": (await _db(platform, "SELECT count(*) FROM feedback.evidence"))[0][0],
        "photo_acts_recorded": sum(1 for a in recorded.values() if a == "add_evidence"),
        "photo_keys_answered_200": len(tally.photos_ok),
        "cases_resolved": (await _db(platform, "SELECT count(*) FROM feedback.cases WHERE state = 'resolved'"))[0][0],
        "resolutions_answered_200": sum(1 for _, a in tally.acts_ok.values() if a == "resolve"),
        "feedback_submitted_published": await _published(platform),
    }


@dataclass(frozen=True)
class Seeded:
    platform: LocalPlatform
    cases: int
    produced_s: float  # producing the alerts
    on_worklist_s: float  # until feedback's worklist held every one


@contextlib.contextmanager
def seeded_feedback(cases_per_township: int, logs: str | None = None) -> Iterator[Seeded]:
    """The broker, PostgreSQL and feedback as real processes (the other services are not started),
    with `cases_per_township` alerts of every township produced as alerting would and on feedback's
    worklist; stopped afterwards, their logs copied to `logs` if given."""
    with tempfile.TemporaryDirectory(prefix="bizpulse-bench-") as run_dir:
        platform = LocalPlatform.on_free_ports(Path(run_dir))
        try:
            platform.start_infrastructure()
            platform.start_services(("feedback",))
            events = _alerts(cases_per_township)
            started = time.perf_counter()
            _seed(platform, events)
            produced_s = time.perf_counter() - started
            asyncio.run(_wait_for_cases(platform, len(events)))
            yield Seeded(platform, len(events), produced_s, time.perf_counter() - started)
        finally:
            platform.stop()
            if logs:
                Path(logs).mkdir(parents=True, exist_ok=True)
                for log in Path(run_dir).glob("*.log"):
                    shutil.copy(log, Path(logs) / log.name)


def run(args) -> dict:
    photo = _photo()
    with seeded_feedback(args.cases, args.logs) as seeded:
        platform = seeded.platform
        pids = _group_pids(platform)
        idle = _cpu(pids)
        machine_idle = _machine_busy()
        time.sleep(5)  # what everything uses with nobody working: the broker's housekeeping, the relay's polls
        before, machine_before = _cpu(pids), _machine_busy()
        idle_cores = {g: round(v / 5, 2) for g, v in _since(idle, before).items()}
        machine_idle = (machine_before - machine_idle) / 5
        spy = None
        if args.py_spy:
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")  # on PATH, else the venv's
            spy = subprocess.Popen([py_spy, "record", "-p",
                                    str(platform.services["feedback"].pid), "-r", "50", "--nonblocking",
                                    "-d", str(int(args.ramp + args.duration)), "-f", "raw", "-o", args.py_spy],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tally, elapsed = asyncio.run(_work(platform, args, photo))
        machine = (_machine_busy() - machine_before) / elapsed
        cpu = _since(before, _cpu(_group_pids(platform)))  # backends opened during the run count from their start
        if spy is not None:
            spy.wait(120)
        requests = sum(len(v) for v in tally.latencies.values())
        ops = {}
        for op in sorted(tally.latencies):
            lat = tally.latencies[op]
            ops[op] = {"count": len(lat), "per_s": round(len(lat) / elapsed, 1),
                       "status": dict(sorted(tally.statuses[op].items(), key=str)),
                       "p50_ms": round(_pct(lat, 0.50) * 1000), "p95_ms": round(_pct(lat, 0.95) * 1000),
                       "p99_ms": round(_pct(lat, 0.99) * 1000), "mean_ms": round(statistics.fmean(lat) * 1000)}
        every = [x for v in tally.latencies.values() for x in v]
        return {
            "townships": len(TOWNSHIPS), "officers": len(TOWNSHIPS) * args.officers, "cases": seeded.cases,
            "photo_bytes": len(photo), "think_s": args.think, "pool_per_township": args.pool,
            "seed_produced_s": round(seeded.produced_s, 1), "seed_on_worklist_s": round(seeded.on_worklist_s, 1),
            "elapsed_s (ramp + duration + the last answers)": round(elapsed, 1),
            "requests": requests, "requests_per_s": round(requests / elapsed, 1),
            "all_p50_ms": round(_pct(every, 0.5) * 1000), "all_p95_ms": round(_pct(every, 0.95) * 1000),
            "all_p99_ms": round(_pct(every, 0.99) * 1000),
            "server_errors_5xx": sum(n for s in tally.statuses.values() for code, n in s.items()
                                     if isinstance(code, int) and code >= 500),
            "idle_cpu_cores (5 s before)": idle_cores,
            "machine_busy_cores_idle (everyone's, before)": round(machine_idle, 2),
            "cpu_cores_used": {g: round(v / elapsed, 2) for g, v in cpu.items()},
            "machine_busy_cores (everyone's, of 2)": round(machine, 2),
            "cpu_us_per_request": {g: round(v / requests * 1e6) for g, v in cpu.items()},
            "first_unexpected_answers": tally.errors,
            "check": asyncio.run(_check(platform, tally)),
            "ops": ops,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--officers", type=int, default=20, help="simulated officers per township")
    parser.add_argument("--cases", type=int, default=50, help="alerts seeded per township")
    parser.add_argument("--duration", type=float, default=60, help="seconds of work after the ramp")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which the officers start")
    parser.add_argument("--think", type=float, default=5, help="mean think time before each request (s)")
    parser.add_argument("--pool", type=int, default=4, help="HTTP connections per township key")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a request is given up and retried")
    parser.add_argument("--retry-share", type=float, default=0.10, help="writes sent again after their answer")
    parser.add_argument("--race-share", type=float, default=0.05, help="writes sent twice at the same moment")
    parser.add_argument("--logs", metavar="DIR", help="keep the services' logs there")
    parser.add_argument("--py-spy", metavar="PATH", help="also sample feedback with py-spy (collapsed stacks to PATH)")
    args = parser.parse_args()
    result = run(args)
    ops = result.pop("ops")
    for key, value in result.items():
        print(f"{key}: {value}", flush=True)
    print(f"{'operation':<26}{'count':>7}{'/s':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}  statuses")
    for op, row in ops.items():
        print(f"{op:<26}{row['count']:>7}{row['per_s']:>7}{row['p50_ms']:>8}{row['p95_ms']:>8}{row['p99_ms']:>8}"
              f"  {row['status']}")


if __name__ == "__main__":
    main()
