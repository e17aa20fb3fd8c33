"""`python -m deploy.local up`: the whole platform on this machine, fed with a demo city.

Starts Kafka and PostgreSQL as local processes, migrates, creates the topics, starts the five
services as separate processes, feeds the demo data set of a Jieyang-sized city through the
ingest API, prints where everything is, and stops it all cleanly on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

from deploy.local.credentials import DEMO_PASSWORD, DEMO_PEOPLE
from deploy.local.demo_data import DemoConfig
from deploy.local.feeder import feed
from deploy.local.infra import REPO_ROOT, InfraError
from deploy.local.platform import LocalPlatform


def up(args: argparse.Namespace) -> None:
    run_dir = Path(args.run_dir).resolve()
    if args.fresh and run_dir.exists():
        shutil.rmtree(run_dir)
    platform = LocalPlatform(run_dir, brokers=args.brokers, external_database_url=os.environ.get("DATABASE_URL"))
    try:
        print(f"bizpulse: starting in {run_dir} (logs: {run_dir}/*.log)", flush=True)
        platform.start_infrastructure()
        platform.start_services()
        print("  started: " + ", ".join(f"{k} {v:.1f}s" for k, v in platform.timings.items()), flush=True)
        if args.entities:
            cfg = DemoConfig(entities=args.entities, months=tuple(args.months.split(",")))
            print(f"feeding demo data: {cfg.entities:,} entities, months {', '.join(cfg.months)}", flush=True)
            totals = asyncio.run(feed(platform, cfg))
            print("  " + ", ".join(f"{k}={v:,}" for k, v in sorted(totals.items())), flush=True)
        _print_where(platform)
        asyncio.run(_until_interrupted())
    except InfraError as exc:
        print(f"bizpulse: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        print("\nbizpulse: stopping…", flush=True)
        platform.stop()


async def _until_interrupted() -> None:
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()


def _print_where(platform: LocalPlatform) -> None:
    c = platform.run_dir / "credentials.json"
    print(
        f"""
bizpulse is running (Ctrl-C stops everything).
  ingest API     {platform.url('ingest')}/docs
  feedback API   {platform.url('feedback')}/docs
  analytics API  {platform.url('analytics')}/docs
  pages          {platform.url('feedback')}/login, {platform.url('analytics')}/login  (demo people, password \
{DEMO_PASSWORD}: {', '.join(p.username for p in DEMO_PEOPLE)})
  metrics        {', '.join(f"{s.url}/metrics/" for s in platform.services.values())}
  kafka          {platform.bootstrap} (SASL_PLAINTEXT, SCRAM-SHA-512: every client authenticates; \
{platform.brokers} node(s), replication factor {platform.kafka.replication_factor})
  database       {platform.database_url}
  credentials    {c}  (API keys of departments, townships, city supervisor; Kafka principals)
Try:
  curl -s -H "Authorization: Bearer $(python3 -c "import json;print(json.load(open('{c}'))['supervisor'])")" \\
       {platform.url('analytics')}/v1/overview | head -c 600
""",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("up", help="start everything and feed the demo city")
    run.add_argument("--run-dir", default=str(REPO_ROOT / ".run" / "local"))
    run.add_argument("--fresh", action="store_true", help="start from empty broker and database")
    run.add_argument("--entities", type=int, default=DemoConfig.entities, help="0: no demo data")
    run.add_argument("--months", default=",".join(DemoConfig.months))
    run.add_argument(
        "--brokers", type=int, choices=(1, 3), default=1,
        help="Kafka nodes: 3 for replication factor 3 with min.insync.replicas 2 (ports 9092/9094/9096)",
    )
    args = parser.parse_args()
    up(args)


if __name__ == "__main__":
    main()
