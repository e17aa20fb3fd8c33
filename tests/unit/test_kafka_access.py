"""The broker rights of deploy/kafka_access.py: each service exactly what its code uses, each township and
department only its own topics and consumer groups (the integration tests check the broker enforces them)."""

import importlib
import stat

import pytest

from deploy import kafka_access
from deploy.kafka_access import (
    Grant,
    Operation,
    Resource,
    department_principal,
    own_groups,
    supervisor_principals,
    township_principal,
)
from deploy.topics import platform_departments, platform_grants, platform_principals
from shared import topics
from shared.reference import TOWNSHIPS
from shared.service import Service

SERVICES = ("ingest", "matcher", "alerting", "feedback", "analytics")


def grants_of(principal: str) -> set[Grant]:
    return {g for g in platform_grants() if g.principal == principal}


def names(grants: set[Grant], operation: Operation, resource: Resource, prefixed: bool = False) -> set[str]:
    return {g.name for g in grants if (g.operation, g.resource, g.prefixed) == (operation, resource, prefixed)}


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_may_use_exactly_the_topics_its_code_consumes_and_publishes(name):
    spec = importlib.import_module(f"services.{name}.app").build()
    consumed = {s.topic for s in spec.subscriptions(Service(spec))}
    published, families = set(), set()
    for publication in spec.publications:  # templated topics: one per department, or a whole family
        if "{department}" in publication.topic:
            published |= {publication.topic.format(department=d) for d in platform_departments()}
        elif "{" in publication.topic:
            families.add(publication.topic.split("{")[0])
        else:
            published.add(publication.topic)

    mine = grants_of(name)
    assert names(mine, Operation.READ, Resource.TOPIC) == consumed
    assert names(mine, Operation.WRITE, Resource.TOPIC) == published | {topics.dead_letter(t) for t in consumed}
    assert names(mine, Operation.WRITE, Resource.TOPIC, prefixed=True) == families
    assert names(mine, Operation.READ, Resource.GROUP) == {topics.consumer_group(name)}
    assert len(mine) == len(consumed) * 2 + len(published) + len(families) + 1  # nothing else


def test_a_township_may_only_read_its_own_alerts_with_its_own_groups():
    code = "445202001"
    principal = township_principal(code)
    assert grants_of(principal) == {
        Grant(principal, Operation.READ, Resource.TOPIC, topics.township_alerts(code)),
        Grant(principal, Operation.READ, Resource.GROUP, own_groups(principal), prefixed=True),
    }


def test_a_department_may_write_its_own_intake_and_read_its_answers_and_dead_letters():
    principal = department_principal("power_supply")
    intake = topics.intake("power_supply")
    assert grants_of(principal) == {
        Grant(principal, Operation.WRITE, Resource.TOPIC, intake),
        Grant(principal, Operation.READ, Resource.TOPIC, topics.intake_results("power_supply")),
        Grant(principal, Operation.READ, Resource.TOPIC, topics.dead_letter(intake)),
        Grant(principal, Operation.READ, Resource.GROUP, own_groups(principal), prefixed=True),
    }


def test_each_platform_event_has_one_writer_the_service_that_produces_it():
    writers: dict[str, set[str]] = {}
    for grant in platform_grants():
        if grant.operation == Operation.WRITE and grant.resource == Resource.TOPIC and grant.name in topics.CONSUMED:
            writers.setdefault(grant.name, set()).add(grant.principal)
    assert writers == {
        topics.RECORD_IMPORTED: {"ingest"}, topics.SUBMISSION_ASSESSED: {"ingest"},
        topics.RECORD_MATCHED: {"matcher"}, topics.MATCH_FAILED: {"matcher"},
        topics.ANOMALY_DETECTED: {"alerting"}, topics.FEEDBACK_SUBMITTED: {"feedback"},
        topics.CORRECTIONS: {"ingest"},
    }


def test_no_principal_has_another_ones_groups_within_its_prefix():
    prefixes = [g.name for g in platform_grants() if g.resource == Resource.GROUP and g.prefixed]
    assert len(prefixes) == len(TOWNSHIPS) + len(supervisor_principals(TOWNSHIPS)) + len(platform_departments())
    assert not [(a, b) for a in prefixes for b in prefixes if a != b and b.startswith(a)]


def test_every_township_and_department_of_the_registry_has_a_principal():
    principals = set(platform_principals())
    assert {township_principal(code) for code in TOWNSHIPS} <= principals
    assert {department_principal(d) for d in platform_departments()} <= principals
    assert set(SERVICES) <= principals
    assert principals == {g.principal for g in platform_grants()}  # and every one of them has rights


def test_passwords_are_generated_once_per_principal_and_readable_by_their_owner_only(tmp_path):
    first = kafka_access.passwords_in(tmp_path, ["matcher", "township-445202001"])
    assert kafka_access.passwords_in(tmp_path, ["matcher"]) == {"matcher": first["matcher"]}
    assert len(set(first.values())) == 2 and all(len(p) >= 40 for p in first.values())
    assert stat.S_IMODE((tmp_path / "matcher" / "password").stat().st_mode) == 0o600


def test_a_county_supervisor_reads_only_its_own_escalations():
    mine = grants_of("county-445202")
    assert names(mine, Operation.READ, Resource.TOPIC) == {"alerts.county.445202"}
    assert names(mine, Operation.WRITE, Resource.TOPIC) == set()
    assert names(grants_of("city-445200"), Operation.READ, Resource.TOPIC) == {"alerts.city.445200"}
