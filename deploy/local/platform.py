"""The whole platform on one machine, no Docker: broker, database, migrations, topics, services.

Used by `python -m deploy.local up` and by the integration tests, so the tests exercise exactly
what a developer runs.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.credentials import Credentials
from deploy.local.infra import LocalKafkaCluster, LocalPostgres, free_port
from deploy.local.processes import DEFAULT_PORTS, SERVICES, ServiceProcess, migrate
from deploy.topics import provision
from shared.messaging.connection import KafkaConnection


def installation_secret(path: Path) -> str:
    """A secret made once for this installation and kept beside its data (0600): the HMAC key must never
    change while records hashed with it are stored, and must never be one anyone else knows."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32))
    return path.read_text().strip()


@dataclass
class LocalPlatform:
    run_dir: Path
    brokers: int = 1  # Kafka nodes: 1, or 3 for replication factor 3 with min.insync.replicas 2
    kafka_ports: list[int] | None = None  # each node's client port; default 9092, 9094, …
    kafka_controller_ports: list[int] | None = None  # default 9093, 9095, …
    service_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    external_database_url: str | None = None  # an existing server (DATABASE_URL) instead of our own
    credentials: Credentials = field(default_factory=Credentials.generate, repr=False)  # keeps them out of tracebacks
    timings: dict[str, float] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    extra_instances: list[ServiceProcess] = field(default_factory=list)

    @classmethod
    def on_free_ports(cls, run_dir: Path, brokers: int = 1, **kwargs) -> LocalPlatform:
        """For tests: nothing collides with a platform a developer already runs."""
        return cls(
            run_dir,
            brokers=brokers,
            kafka_ports=[free_port() for _ in range(brokers)],
            kafka_controller_ports=[free_port() for _ in range(brokers)],
            service_ports={name: free_port() for name in SERVICES},
            **kwargs,
        )

    def __post_init__(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.kafka = LocalKafkaCluster(
            self.run_dir / "kafka",
            ports=self.kafka_ports or [9092 + 2 * i for i in range(self.brokers)],
            controller_ports=self.kafka_controller_ports or [9093 + 2 * i for i in range(self.brokers)],
            log_dir=self.run_dir,
        )
        self.postgres = None if self.external_database_url else LocalPostgres(self.run_dir / "postgres")

    @property
    def database_url(self) -> str:
        return self.external_database_url or self.postgres.database_url

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap_servers

    def kafka_as(self, principal: str) -> KafkaConnection:
        """The broker as a service, township or department principal (deploy/kafka_access.py) connects to it."""
        return self.kafka.admin.as_principal(principal, self.credentials.kafka[principal])

    def service_env(self, name: str) -> dict[str, str]:
        """A service process's configuration: with its own Kafka principal, and no other's password."""
        kafka = self.kafka_as(name)
        secrets = {"BIZPULSE_HMAC_KEY": installation_secret(self.run_dir / "hmac.key")} if name == "ingest" else {}
        return self._database_env() | secrets | {
            "BIZPULSE_KAFKA_BOOTSTRAP": kafka.bootstrap,
            "BIZPULSE_KAFKA_SECURITY_PROTOCOL": kafka.security_protocol,
            "BIZPULSE_KAFKA_USERNAME": kafka.username,
            "BIZPULSE_KAFKA_PASSWORD": kafka.password.get_secret_value(),
            "BIZPULSE_API_KEYS": self.credentials.api_keys_json(),
            # one login serves every service's pages: the same people and session secret everywhere
            "BIZPULSE_ACCOUNTS": self.credentials.accounts_json(),
            "BIZPULSE_SESSION_SECRET": installation_secret(self.run_dir / "session.key"),
        }

    def _database_env(self) -> dict[str, str]:
        return {"BIZPULSE_DATABASE_URL": self.database_url}

    def start_infrastructure(self) -> None:
        self._timed("kafka", self.kafka.start)
        if self.postgres:
            self._timed("postgres", self.postgres.start)
        self._timed("migrations", lambda: migrate(SERVICES, self._database_env()))
        # each topic with the brokers' default.replication.factor (3 with three brokers), as in docker-compose
        self._timed("topics", lambda: asyncio.run(provision(self.kafka.admin, passwords=self.credentials.kafka)))
        path = self.run_dir / "credentials.json"
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(self.credentials.to_json(self.kafka.admin))

    def start_services(self, names: tuple[str, ...] = SERVICES) -> None:
        started = time.perf_counter()
        for name in names:
            env = self.service_env(name)
            process = ServiceProcess(name, self.service_ports[name], env, self.run_dir / f"{name}.log")
            process.start()
            self.services[name] = process
        for name in names:
            self.services[name].wait_ready()
        self.timings["services"] = time.perf_counter() - started

    def start_instance(self, name: str) -> ServiceProcess:
        """One more instance of a service: its own process and port, the same consumer group and
        tables — how the platform scales out (replicas in docker-compose)."""
        number = 2 + sum(p.name == name for p in self.extra_instances)
        env = self.service_env(name) | {"BIZPULSE_INSTANCE_ID": f"{name}-{number}"}
        process = ServiceProcess(name, free_port(), env, self.run_dir / f"{name}-{number}.log")
        process.start()
        self.extra_instances.append(process)
        process.wait_ready()
        return process

    def instance_urls(self, name: str) -> list[str]:
        return [self.url(name)] + [p.url for p in self.extra_instances if p.name == name]

    def restart(self, name: str) -> None:
        self.services[name].start()
        self.services[name].wait_ready()

    def url(self, name: str) -> str:
        return self.services[name].url

    def stop(self) -> None:
        for process in [*self.extra_instances, *self.services.values()]:
            process.stop()
        self.kafka.stop()
        if self.postgres:
            self.postgres.stop()

    def _timed(self, what: str, step) -> None:
        started = time.perf_counter()
        step()
        self.timings[what] = time.perf_counter() - started
