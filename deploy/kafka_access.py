"""Who may do what on the broker: a principal per service, township and department, each with the least rights.

The broker authenticates every client (SASL/SCRAM-SHA-512) and denies whatever no ACL allows
(`allow.everyone.if.no.acl.found=false`); only its super users (the admin tooling and the broker itself)
bypass ACLs. The rights are derived here from the topic registry (shared/topics.py) for the city's
townships and departments, so a new township, department or record kind gets its principal and rights
from the same code that creates its topics (`python -m deploy.topics`):

| principal | reads (and its consumer groups) | writes |
|---|---|---|
| each service (`ingest`, …) | the topics its code consumes, group `bizpulse-<service>` | what it publishes, dead letters of what it consumes |
| `township-<code>` | `alerts.township.<code>`, groups `township-<code>.*` | nothing |
| `county-<division>` | `alerts.county.<division>` (its townships' overdue cases), groups `county-<division>.*` | nothing |
| `city-<code>` | `alerts.city.<code>` (cases still overdue after the county was told), groups `city-<code>.*` | nothing |
| `department-<dept>` | `intake.<dept>.results` and `intake.<dept>.dlq`, groups `department-<dept>.*` | `intake.<dept>` |

A department reads its dead letters too: an unreadable message gets no answer on its results topic, so
they are the only place telling it why.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from shared import topics
from shared.messaging.connection import KafkaConnection

log = logging.getLogger(__name__)

ADMIN = "admin"  # the super user of the tooling (topics, principals, ACLs); the broker's own is "broker"
SCRAM_ITERATIONS = 8192
ACLS_VISIBLE_TIMEOUT = 30.0  # the broker applies new ACLs from the metadata log a moment after they are accepted


class Operation(StrEnum):
    READ = "READ"
    WRITE = "WRITE"


class Resource(StrEnum):
    TOPIC = "TOPIC"
    GROUP = "GROUP"


@dataclass(frozen=True, order=True)
class Grant:
    """One ACL: `principal` may `operation` the topic or group `name` (every name starting with it if prefixed)."""

    principal: str
    operation: Operation
    resource: Resource
    name: str
    prefixed: bool = False


@dataclass(frozen=True)
class Flow:
    """What a service's code consumes (with its consumer group, dead-lettering to the twins) and publishes."""

    consumes: tuple[str, ...]
    publishes: tuple[str, ...] = ()
    publishes_prefixed: tuple[str, ...] = ()  # every topic of a family, e.g. each township's alerts


def service_flows(departments: Iterable[str]) -> dict[str, Flow]:
    """The topics each service's code uses (its app.py); tests/unit/test_kafka_access.py holds the two together."""
    departments = sorted(set(departments))
    return {
        "ingest": Flow(
            consumes=(*(topics.intake(d) for d in departments), topics.FEEDBACK_SUBMITTED),  # 数据错误 findings
            publishes=(topics.RECORD_IMPORTED, topics.SUBMISSION_ASSESSED, topics.CORRECTIONS,
                       *map(topics.intake_results, departments)),
        ),
        "matcher": Flow(
            consumes=(topics.RECORD_IMPORTED, topics.FEEDBACK_SUBMITTED),
            publishes=(topics.RECORD_MATCHED, topics.MATCH_FAILED),
            publishes_prefixed=(topics.TOWNSHIP_ALERTS_PREFIX,),
        ),
        "alerting": Flow(
            consumes=(topics.RECORD_MATCHED, topics.SUBMISSION_ASSESSED, topics.FEEDBACK_SUBMITTED),
            publishes=(topics.ANOMALY_DETECTED,),
            publishes_prefixed=(topics.TOWNSHIP_ALERTS_PREFIX,),
        ),
        "feedback": Flow(
            consumes=(topics.ANOMALY_DETECTED, topics.MATCH_FAILED, topics.CORRECTIONS),  # corrections: departments' clock
            publishes=(topics.FEEDBACK_SUBMITTED,),
            publishes_prefixed=(topics.TOWNSHIP_ALERTS_PREFIX, topics.COUNTY_ALERTS_PREFIX, topics.CITY_ALERTS_PREFIX),
        ),
        "analytics": Flow(
            consumes=(
                topics.RECORD_IMPORTED, topics.RECORD_MATCHED, topics.MATCH_FAILED, topics.ANOMALY_DETECTED,
                topics.FEEDBACK_SUBMITTED, topics.SUBMISSION_ASSESSED,
            )
        ),
    }


def township_principal(code: str) -> str:
    return f"township-{code}"


def department_principal(department: str) -> str:
    return f"department-{department}"


def supervisor_principals(townships: Iterable[str]) -> dict[str, str]:
    """The supervisors' own systems above these townships: principal → the escalation topic it reads."""
    codes = sorted(set(townships))
    counties = {f"county-{d}": topics.county_alerts(d) for d in sorted({c[:6] for c in codes})}
    return counties | {f"city-{c}": topics.city_alerts(c) for c in sorted({c[:4] + "00" for c in codes})}


def own_groups(principal: str) -> str:
    """Prefix of the consumer groups a township's or department's own systems may use, e.g.
    `township-445202001.worklist`. The dot keeps `department-tax` out of `department-tax2`'s groups."""
    return f"{principal}."


def grants(townships: Iterable[str], departments: Iterable[str]) -> list[Grant]:
    """Every ACL of the platform for these townships and departments (the super users need none)."""
    departments = sorted(set(departments))
    out: list[Grant] = []
    for service, flow in service_flows(departments).items():
        out.append(Grant(service, Operation.READ, Resource.GROUP, topics.consumer_group(service)))
        out += [Grant(service, Operation.READ, Resource.TOPIC, t) for t in flow.consumes]
        writes = (*flow.publishes, *map(topics.dead_letter, flow.consumes))
        out += [Grant(service, Operation.WRITE, Resource.TOPIC, t) for t in writes]
        out += [Grant(service, Operation.WRITE, Resource.TOPIC, t, prefixed=True) for t in flow.publishes_prefixed]
    for code in sorted(set(townships)):
        principal = township_principal(code)
        out += [
            Grant(principal, Operation.READ, Resource.TOPIC, topics.township_alerts(code)),
            Grant(principal, Operation.READ, Resource.GROUP, own_groups(principal), prefixed=True),
        ]
    for principal, topic in supervisor_principals(townships).items():
        out += [
            Grant(principal, Operation.READ, Resource.TOPIC, topic),
            Grant(principal, Operation.READ, Resource.GROUP, own_groups(principal), prefixed=True),
        ]
    for department in departments:
        principal = department_principal(department)
        intake = topics.intake(department)
        out += [
            Grant(principal, Operation.WRITE, Resource.TOPIC, intake),
            Grant(principal, Operation.READ, Resource.TOPIC, topics.intake_results(department)),
            Grant(principal, Operation.READ, Resource.TOPIC, topics.dead_letter(intake)),
            Grant(principal, Operation.READ, Resource.GROUP, own_groups(principal), prefixed=True),
        ]
    return out


def principals(townships: Iterable[str], departments: Iterable[str]) -> list[str]:
    """Every principal that needs a password, besides the super users."""
    return [
        *service_flows(departments),
        *map(township_principal, sorted(set(townships))),
        *supervisor_principals(townships),
        *map(department_principal, sorted(set(departments))),
    ]


def new_password() -> str:
    return secrets.token_urlsafe(32)


def passwords_in(directory: Path, names: Iterable[str]) -> dict[str, str]:
    """Each principal's password from `<directory>/<name>/password`, generated there (0600) when missing: how
    docker-compose hands each service its own (the service mounts only its own folder)."""
    found = {}
    for name in names:
        path = directory / name / "password"
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(new_password())
        found[name] = path.read_text().strip()
    return found


async def ensure_access(
    admin: KafkaConnection,
    passwords: Mapping[str, str],
    wanted: Collection[Grant],
    timeout: float = ACLS_VISIBLE_TIMEOUT,
) -> None:
    """Set each principal's password, and give the principals of `wanted` exactly those grants, revoking any the
    registry no longer gives. Idempotent; returns once the broker enforces the result."""
    client = admin_client(admin)
    if passwords:
        await _all(client.alter_user_scram_credentials([
            UserScramCredentialUpsertion(name, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                                         password.encode())
            for name, password in passwords.items()
        ]))
    managed = {g.principal for g in wanted}
    desired = {_binding(g) for g in wanted}
    present = await _acls(client, managed)
    if stale := present - desired:
        log.info("revoking %d ACLs the registry no longer grants", len(stale))
        await _all(client.delete_acls([_filter(b) for b in stale]))
    if missing := desired - present:
        await _all(client.create_acls(list(missing)))
    deadline = asyncio.get_running_loop().time() + timeout
    while await _acls(client, managed) != desired:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"the broker did not show the new ACLs within {timeout:.0f}s")
        await asyncio.sleep(0.1)


def admin_client(admin: KafkaConnection) -> AdminClient:
    """librdkafka's admin client (aiokafka's has no ACL or SCRAM calls), logging through Python's logging."""
    return AdminClient({**admin.librdkafka(), "logger": logging.getLogger("bizpulse.kafka.admin")})


def _binding(grant: Grant) -> AclBinding:
    return AclBinding(
        ResourceType[grant.resource],
        grant.name,
        ResourcePatternType.PREFIXED if grant.prefixed else ResourcePatternType.LITERAL,
        f"User:{grant.principal}",
        "*",
        AclOperation[grant.operation],
        AclPermissionType.ALLOW,
    )


def _filter(binding: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(
        binding.restype, binding.name, binding.resource_pattern_type, binding.principal, binding.host,
        binding.operation, binding.permission_type,
    )


async def _acls(client: AdminClient, principals: Collection[str]) -> set[AclBinding]:
    """The broker's ACLs of these principals."""
    every = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY, AclPermissionType.ANY
    )
    acls = await asyncio.wrap_future(client.describe_acls(every))
    return {b for b in acls if b.principal.removeprefix("User:") in principals}


async def _all(futures: Mapping[object, object] | list[object]) -> None:
    """Wait for a confluent-kafka admin call's futures (a dict of them, or a list); the first failure raises."""
    pending = futures.values() if isinstance(futures, Mapping) else futures
    await asyncio.gather(*(asyncio.wrap_future(f) for f in pending))
