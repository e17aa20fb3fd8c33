"""Create every topic of the registry and give every principal its rights (idempotent):
`python -m deploy.topics [--bootstrap HOST:PORT] [--kind-declarations DIR] [--secrets-dir DIR]`.

It connects as the broker's admin (BIZPULSE_KAFKA_SECURITY_PROTOCOL, _USERNAME, _PASSWORD or _PASSWORD_FILE,
_SSL_CA_FILE, as in shared/settings.py). The broker runs with auto-creation off, so a typo in a topic name
fails loudly instead of creating a stray single-partition topic. Topics that exist already get the
registry's topic configuration (the intake topics' short retention); the principals get exactly the
rights of deploy/kafka_access.py, and with --secrets-dir their passwords (generated there when missing).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic, ResourceType

from deploy import kafka_access
from shared.messaging.connection import KafkaConnection
from shared.records import registry
from shared.reference import TOWNSHIPS
from shared.settings import ServiceSettings
from shared.topics import INTAKE_RETENTION, TopicSpec, all_topics


BROKER_DEFAULT = -1  # a new topic's replication factor: the broker's default.replication.factor (KIP-464)


def platform_departments(kind_declarations: Path | None = None) -> list[str]:
    """Every department that submits a kind: typed kinds and the declared ones."""
    return sorted({k.department for k in registry(kind_declarations).values()})


def platform_topics(
    kind_declarations: Path | None = None, intake_retention: timedelta = INTAKE_RETENTION
) -> list[TopicSpec]:
    """The registry's topics for this city's townships and every department that submits a kind."""
    return all_topics(TOWNSHIPS, platform_departments(kind_declarations), intake_retention)


def platform_grants(kind_declarations: Path | None = None) -> list[kafka_access.Grant]:
    """The rights of every principal, for the same townships and departments as the topics."""
    return kafka_access.grants(TOWNSHIPS, platform_departments(kind_declarations))


def platform_principals(kind_declarations: Path | None = None) -> list[str]:
    return kafka_access.principals(TOWNSHIPS, platform_departments(kind_declarations))


async def ensure_topics(
    kafka: KafkaConnection, specs: list[TopicSpec], replication_factor: int = BROKER_DEFAULT
) -> list[str]:
    """Create the missing topics and bring the others' configuration to the registry's; returns the names created."""
    admin = kafka_access.admin_client(kafka)
    existing = (await asyncio.to_thread(admin.list_topics, timeout=30)).topics
    missing = [s for s in specs if s.name not in existing]
    if missing:
        created = admin.create_topics(
            [NewTopic(s.name, s.partitions, replication_factor, config=dict(s.config)) for s in missing]
        )
        await asyncio.gather(*(_created(future) for future in created.values()))
    await _converge_configs(admin, [s for s in specs if s.config and s.name in existing])
    return [s.name for s in missing]


async def _created(future) -> None:
    try:
        await asyncio.wrap_future(future)
    except KafkaException as exc:  # another init (a replica, a second run) created it meanwhile
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


async def _converge_configs(admin: AdminClient, specs: list[TopicSpec]) -> None:
    if not specs:
        return
    described = admin.describe_configs([ConfigResource(ResourceType.TOPIC, s.name) for s in specs])
    current = {resource.name: await asyncio.wrap_future(future) for resource, future in described.items()}
    changes = []
    for spec in specs:
        entries = [
            ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
            for key, value in spec.config.items()
            if current[spec.name][key].value != value
        ]
        if entries:
            changes.append(ConfigResource(ResourceType.TOPIC, spec.name, incremental_configs=entries))
    if changes:
        altered = admin.incremental_alter_configs(changes)
        await asyncio.gather(*(asyncio.wrap_future(f) for f in altered.values()))


async def provision(
    admin: KafkaConnection,
    kind_declarations: Path | None = None,
    passwords: Mapping[str, str] | None = None,
    replication_factor: int = BROKER_DEFAULT,
    intake_retention: timedelta = INTAKE_RETENTION,
) -> list[str]:
    """Topics, then principals and their rights: what a new township, department or kind needs on the broker."""
    created = await ensure_topics(admin, platform_topics(kind_declarations, intake_retention), replication_factor)
    await kafka_access.ensure_access(admin, passwords or {}, platform_grants(kind_declarations))
    return created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", help="default: BIZPULSE_KAFKA_BOOTSTRAP")
    parser.add_argument(
        "--replication-factor", type=int, default=BROKER_DEFAULT,
        help="replicas of each new topic; default: the broker's default.replication.factor (3 with three brokers)",
    )
    parser.add_argument("--kind-declarations", type=Path, default=os.environ.get("BIZPULSE_KIND_DECLARATIONS"))
    parser.add_argument(
        "--intake-retention-hours", type=float,
        default=float(os.environ.get("BIZPULSE_INTAKE_RETENTION_HOURS", INTAKE_RETENTION / timedelta(hours=1))),
        help="how long intake.<department> and its .dlq keep departments' raw messages (see shared/topics.py)",
    )
    parser.add_argument(
        "--secrets-dir", type=Path,
        help="folder of the principals' passwords (<dir>/<principal>/password, generated when missing)",
    )
    args = parser.parse_args()
    admin = ServiceSettings().kafka_connection()
    if args.bootstrap:
        admin = dataclasses.replace(admin, bootstrap=args.bootstrap)
    if not admin.sasl:
        parser.error("connect as the broker's admin: BIZPULSE_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL")
    passwords = (
        kafka_access.passwords_in(args.secrets_dir, platform_principals(args.kind_declarations))
        if args.secrets_dir else None
    )
    created = asyncio.run(provision(
        admin, args.kind_declarations, passwords, args.replication_factor,
        timedelta(hours=args.intake_retention_hours),
    ))
    print(f"topics created: {len(created)}; principals with rights: {len(platform_principals(args.kind_declarations))}")


if __name__ == "__main__":
    main()
