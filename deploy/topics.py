"""Create every topic of the registry (idempotent): `python -m deploy.topics [--bootstrap HOST:PORT]`.

The broker runs with auto-creation off, so a typo in a topic name fails loudly instead of
creating a stray single-partition topic.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pathlib import Path

from shared.records import registry
from shared.reference import TOWNSHIPS
from shared.topics import TopicSpec, all_topics


def platform_topics(kind_declarations: Path | None = None) -> list[TopicSpec]:
    """The registry's topics for this city's townships and every department that submits a kind."""
    return all_topics(TOWNSHIPS, {k.department for k in registry(kind_declarations).values()})


async def ensure_topics(bootstrap: str, specs: list[TopicSpec], replication_factor: int = 1) -> list[str]:
    """Create the missing topics; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            await admin.create_topics(
                [NewTopic(s.name, num_partitions=s.partitions, replication_factor=replication_factor) for s in missing]
            )
        return [s.name for s in missing]
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", default=os.environ.get("BIZPULSE_KAFKA_BOOTSTRAP", "localhost:9092"))
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--kind-declarations", type=Path, default=os.environ.get("BIZPULSE_KIND_DECLARATIONS"))
    args = parser.parse_args()
    specs = platform_topics(args.kind_declarations)
    created = asyncio.run(ensure_topics(args.bootstrap, specs, args.replication_factor))
    print(f"topics created: {len(created)}")


if __name__ == "__main__":
    main()
