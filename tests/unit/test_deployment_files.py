"""The deployment files (compose, Dockerfile, Prometheus, Grafana) must agree with the code.

No Docker engine runs these files in CI, so they are checked by parsing: ports, settings names,
scrape targets and the metric names the dashboard queries all come from the code itself.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
import shlex
from functools import cache
from pathlib import Path

import pytest
import yaml
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, CollectorRegistry
from sqlalchemy.engine import make_url

from deploy.kafka_access import ADMIN
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "matcher", "alerting", "feedback", "analytics")
GRAFANA = ROOT / "deploy" / "grafana"
BROKER = ROOT / "deploy" / "kafka" / "compose"  # the compose broker's configuration and scripts


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@cache
def compose() -> dict:
    return _yaml(ROOT / "docker-compose.yml")["services"]


def settings_class(service: str) -> type[ServiceSettings]:
    return getattr(importlib.import_module(f"services.{service}.settings"), f"{service.capitalize()}Settings")


def http_port(service: str) -> int:
    return settings_class(service).model_fields["http_port"].default


def command(service: dict) -> str:
    cmd = service["command"]
    return cmd if isinstance(cmd, str) else shlex.join(cmd)


def host_port(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host, int(port)


@cache
def broker_properties() -> dict[str, str]:
    lines = (line.strip() for line in (BROKER / "server.properties").read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def secret_mounts(service: dict) -> dict[str, str]:
    """Mount target → the folder of the kafka-secrets volume mounted there ("" for the whole volume)."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str) and volume.startswith("kafka-secrets:"):
            mounts[volume.split(":")[1]] = ""
        elif isinstance(volume, dict) and volume["source"] == "kafka-secrets":
            mounts[volume["target"]] = volume.get("volume", {}).get("subpath", "")
    return mounts


def secret_in(service: dict, path: str) -> str:
    """Which file of the kafka-secrets volume a container sees at path."""
    for target, subpath in secret_mounts(service).items():
        if path.startswith(target + "/"):
            return "/".join(p for p in (subpath, path.removeprefix(target + "/")) if p)
    raise AssertionError(f"{path} is on no kafka-secrets mount")


# --- docker-compose.yml -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICES)
def test_compose_runs_each_service_on_its_settings_port(name):
    service = compose()[name]
    env = service["environment"]
    assert command(service) == f"python -m services.{name}"
    assert int(env["BIZPULSE_HTTP_PORT"]) == http_port(name)
    assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert service["depends_on"]["init"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", [*SERVICES, "init"])
def test_compose_sets_only_real_settings(name):
    from deploy.readers import PASSWORD_ENV

    fields = (settings_class(name) if name in SERVICES else ServiceSettings).model_fields
    env = compose()[name]["environment"]
    own = {PASSWORD_ENV} if name == "init" else set()  # deploy.readers' own variable
    unknown = [k for k in env if k.startswith("BIZPULSE_") and k.removeprefix("BIZPULSE_").lower() not in fields and k not in own]
    assert not unknown, f"{name}: not settings fields (pydantic-settings would ignore them): {unknown}"


@pytest.mark.parametrize("name", [*SERVICES, "init"])
def test_compose_points_services_at_the_compose_kafka_and_postgres(name):
    services = compose()
    env = services[name]["environment"]
    kafka_host, kafka_port = host_port(env["BIZPULSE_KAFKA_BOOTSTRAP"])
    assert kafka_host == "kafka"
    listener = next(
        name for name, address in (a.split("://") for a in broker_properties()["advertised.listeners"].split(","))
        if address == f"kafka:{kafka_port}"
    )
    protocols = dict(p.split(":") for p in broker_properties()["listener.security.protocol.map"].split(","))
    assert protocols[listener] == env["BIZPULSE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"

    url = make_url(env["BIZPULSE_DATABASE_URL"])
    pg = services["postgres"]["environment"]
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port) == ("postgres", 5432)
    assert (url.username, url.password, url.database) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pg["POSTGRES_DB"],
    )


def test_compose_requires_a_real_hmac_key():
    # A default here would be a key anyone can read: ingest refuses published keys and needs one.
    assert compose()["ingest"]["environment"]["BIZPULSE_HMAC_KEY"].startswith("${BIZPULSE_HMAC_KEY:?")


def test_compose_has_no_default_database_password():
    # before: POSTGRES_PASSWORD was "bizpulse", the same in every installation
    assert compose()["postgres"]["environment"]["POSTGRES_PASSWORD"] == "${BIZPULSE_DB_PASSWORD:?set a database password}"


def test_compose_scaled_services_publish_no_host_port():
    services = compose()
    for name in ("matcher", "alerting"):
        assert "ports" not in services[name], f"{name} must scale with --scale: a host port would clash"
        assert [str(p) for p in services[name]["expose"]] == [str(http_port(name))]
    for name in ("ingest", "feedback", "analytics"):
        assert services[name]["ports"] == [f"{http_port(name)}:{http_port(name)}"]


def test_compose_init_migrates_every_service_and_creates_topics():
    init = compose()["init"]
    script = command(init)
    for name in SERVICES:
        assert f"python -m services.{name} migrate" in script
    principals = f"{next(t for t, sub in secret_mounts(init).items() if sub == '')}/principals"
    # at BIZPULSE_KAFKA_BOOTSTRAP (one broker or three), with the broker's default replication factor
    assert f"python -m deploy.topics --secrets-dir {principals}" in script
    assert {dep: cond["condition"] for dep, cond in init["depends_on"].items()} == {
        "kafka": "service_healthy",
        "postgres": "service_healthy",
    }
    assert broker_properties()["auto.create.topics.enable"] == "false"


def test_compose_init_provisions_the_broker_as_its_admin():
    init = compose()["init"]
    env = init["environment"]
    assert env["BIZPULSE_KAFKA_USERNAME"] == ADMIN
    assert f"User:{ADMIN}" in broker_properties()["super.users"].split(";")
    assert secret_in(init, env["BIZPULSE_KAFKA_PASSWORD_FILE"]) == "admin/password"
    assert secret_in(init, env["BIZPULSE_KAFKA_SSL_CA_FILE"]) == "ca/ca.crt"
    assert "kafka-secrets" in compose()["kafka-secrets"]["volumes"][1]
    assert compose()["kafka"]["depends_on"]["kafka-secrets"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_connects_as_its_own_principal_over_tls_with_only_its_own_password(name):
    service = compose()[name]
    env = service["environment"]
    assert (env["BIZPULSE_KAFKA_SECURITY_PROTOCOL"], env["BIZPULSE_KAFKA_USERNAME"]) == ("SASL_SSL", name)
    assert secret_in(service, env["BIZPULSE_KAFKA_PASSWORD_FILE"]) == f"principals/{name}/password"
    assert secret_in(service, env["BIZPULSE_KAFKA_SSL_CA_FILE"]) == "ca/ca.crt"
    assert sorted(secret_mounts(service).values()) == ["ca", f"principals/{name}"]
    assert all(v["read_only"] for v in service["volumes"] if isinstance(v, dict))


def test_compose_broker_takes_only_authenticated_tls_clients_and_denies_what_no_acl_allows():
    properties = broker_properties()
    listeners = [address.split("://")[0] for address in properties["listeners"].split(",")]
    protocols = dict(p.split(":") for p in properties["listener.security.protocol.map"].split(","))
    assert {protocols[listener] for listener in listeners} == {"SASL_SSL"}
    assert properties["listener.name.client.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert properties["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    assert set(properties["super.users"].split(";")) == {f"User:{ADMIN}", "User:broker"}


def test_compose_broker_finds_its_secrets_where_they_are_mounted():
    kafka = compose()["kafka"]
    properties = broker_properties()
    assert secret_in(kafka, properties["ssl.keystore.location"]) == "broker/keystore.p12"
    assert secret_in(kafka, properties["ssl.truststore.location"]) == "ca/ca.crt"
    script = (BROKER / "broker.sh").read_text()
    secrets = re.search(r"^secrets=(\S+)$", script, re.M)[1]
    for name in re.findall(r'"\$secrets/([\w-]+)"', script):
        assert secret_in(kafka, f"{secrets}/{name}") == f"broker/{name}"
    assert sorted(secret_mounts(kafka).values()) == ["broker", "ca"], "not the CA's key, nor anyone else's password"
    mounts = dict(volume.split(":")[:2] for volume in kafka["volumes"] if isinstance(volume, str))
    assert mounts["./deploy/kafka/compose"] == "/etc/bizpulse"
    assert "/etc/bizpulse/server.properties" in script and kafka["command"][-1] == "/etc/bizpulse/broker.sh"


def test_compose_holds_no_kafka_secret():
    for name, service in compose().items():
        for key, value in service.get("environment", {}).items():
            if "KAFKA" in key and "PASSWORD" in key:
                assert key.endswith("_FILE") and str(value).startswith("/run/"), f"{name}: {key}={value}"
    assert not [k for k in broker_properties() if "password" in k or "jaas" in k], "broker.sh adds them at start"
    for script in ("broker.sh", "secrets.sh"):
        literal = re.search(r"password=\\?[\"']?[^$\\\"'\s]", (BROKER / script).read_text())  # not a $variable
        assert not literal, f"{script}: a literal password {literal[0]}"


def test_compose_secrets_belong_to_the_users_that_read_them():
    uid = re.search(r"--uid (\d+)", (ROOT / "deploy" / "docker" / "Dockerfile").read_text())[1]
    assert f"SERVICE_UID={uid} " in (BROKER / "secrets.sh").read_text()
    assert compose()["kafka-secrets"]["command"][-1] == "/etc/bizpulse/secrets.sh"


def test_compose_builds_every_bizpulse_container_from_the_dockerfile():
    for name in (*SERVICES, "init"):
        build = compose()[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file()


# --- docker-compose.brokers.yml: three brokers ---------------------------------------------------

BROKERS = ("kafka", "kafka-2", "kafka-3")


def _merged(base: dict, override: dict) -> dict:
    """A service as Compose merges an override onto it: mappings key by key, volumes by their target."""
    merged = {**base}
    for key, value in override.items():
        if key == "volumes":
            targets = {_target(v): v for v in [*base.get(key, []), *value]}
            merged[key] = list(targets.values())
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _target(volume: str | dict) -> str:
    return volume["target"] if isinstance(volume, dict) else volume.split(":")[1]


@cache
def three_brokers() -> dict:
    """docker-compose.yml with docker-compose.brokers.yml, as `docker compose -f … -f …` merges them."""
    override = _yaml(ROOT / "docker-compose.brokers.yml")
    services = dict(compose())
    for name, service in override["services"].items():
        extended = service.pop("extends", None)
        if extended:
            assert extended["file"] == "docker-compose.yml"
            base = compose()[extended["service"]]
        else:
            base = services[name]
        services[name] = _merged(base, service)
    assert set(override["volumes"]) == {"kafka-2-data", "kafka-3-data"}
    return services


@cache
def cluster_properties() -> dict[str, str]:
    lines = (line.strip() for line in (BROKER / "cluster.properties").read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_three_brokers_are_the_voters_of_one_quorum_each_with_its_own_data():
    services = three_brokers()
    controller_port = next(a for a in broker_properties()["listeners"].split(",") if a.startswith("CONTROLLER:"))
    controller_port = controller_port.rsplit(":", 1)[1]
    voters = cluster_properties()["controller.quorum.voters"].split(",")
    assert voters == [f"{n}@{host}:{controller_port}" for n, host in enumerate(BROKERS, start=1)]
    data = set()
    for node_id, name in enumerate(BROKERS, start=1):
        broker = services[name]
        assert broker.get("hostname", name) == name  # broker.sh advertises CLIENT://$HOSTNAME:9092
        assert broker["environment"]["BIZPULSE_KAFKA_NODE_ID"] == str(node_id)
        # the same image, script and secrets as the single broker: the same TLS, SCRAM and ACLs
        for key in ("image", "command", "depends_on", "healthcheck", "restart"):
            assert broker[key] == compose()["kafka"][key], (name, key)
        assert sorted(secret_mounts(broker).values()) == ["broker", "ca"]
        (volume,) = [v for v in broker["volumes"] if isinstance(v, str) and v.endswith(":/var/lib/kafka/data")]
        data.add(volume.split(":")[0])
    assert data == {"kafka-data", "kafka-2-data", "kafka-3-data"}


def test_three_brokers_replicate_every_topic_as_the_local_cluster_does(tmp_path):
    from deploy.local.infra import LocalKafkaCluster

    local = LocalKafkaCluster(tmp_path, ports=[1, 2, 3], controller_ports=[4, 5, 6])
    local_config = dict(line.split("=", 1) for line in local.nodes[0]._write_config().read_text().splitlines())
    replication = {k: v for k, v in cluster_properties().items() if k != "controller.quorum.voters"}
    assert replication["default.replication.factor"] == "3" and replication["min.insync.replicas"] == "2"
    assert replication["offsets.topic.replication.factor"] == replication["transaction.state.log.replication.factor"] == "3"
    assert replication["transaction.state.log.min.isr"] == "2"
    assert {k: local_config[k] for k in replication} == replication
    # a key the single node sets is replaced, not doubled: broker.sh drops the node's own line for it
    script = (BROKER / "broker.sh").read_text()
    assert "BIZPULSE_KAFKA_NODE_ID" in script and "/etc/bizpulse/cluster.properties" in script
    for key in ("node.id", "advertised.listeners", "controller.quorum.bootstrap.servers"):
        assert key.replace(".", "\\.") in script


def test_three_brokers_are_every_clients_bootstrap_and_init_waits_for_them():
    services = three_brokers()
    for name in (*SERVICES, "init"):
        env = services[name]["environment"]
        assert sorted(map(host_port, env["BIZPULSE_KAFKA_BOOTSTRAP"].split(","))) == [(b, 9092) for b in BROKERS], name
        assert env["BIZPULSE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert {dep: c["condition"] for dep, c in services["init"]["depends_on"].items()} == {
        **{b: "service_healthy" for b in BROKERS}, "postgres": "service_healthy"
    }
    secrets = (BROKER / "secrets.sh").read_text()
    san = re.search(r"-ext SAN=(\S+)", secrets)[1].split(",")
    assert {f"dns:{b}" for b in BROKERS} <= set(san), "the certificate names every broker"
    assert "broker/cluster-id" in secrets and '"$secrets/cluster-id"' in (BROKER / "broker.sh").read_text()


# --- Dockerfile -----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "deploy" / "docker" / "Dockerfile").read_text().replace("\\\n", " ")
    lines = (line.strip() for line in text.splitlines())
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]


def first_party_imports() -> set[str]:
    """Top-level packages of this repository imported anywhere under shared/, services/, deploy/."""
    local = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    found = set()
    for package in ("shared", "services", "deploy"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found & local


def test_dockerfile_copies_what_the_services_import():
    instructions = dockerfile_instructions()
    copied = {src.rstrip("/") for op, args in instructions if op == "COPY" for src in args.split()[:-1]}
    assert {"pyproject.toml", *first_party_imports()} <= copied
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert not copied & ignored, "copied paths must not be excluded from the build context"

    assert ("FROM", "python:3.11-slim") in instructions
    runs = " ".join(args for op, args in instructions if op == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs), "installs the project itself, without the [test] extra"
    users = [args for op, args in instructions if op == "USER"]
    assert users and users[-1] not in ("root", "0"), "runs as a non-root user"


# --- Prometheus -----------------------------------------------------------------------------------


def test_prometheus_scrapes_every_service_where_it_listens():
    jobs = {job["job_name"]: job for job in _yaml(ROOT / "deploy" / "prometheus" / "prometheus.yml")["scrape_configs"]}
    for name in SERVICES:
        job = jobs[name]
        assert job["metrics_path"] == "/metrics/", "the mounted exporter redirects /metrics to /metrics/"
        if "ports" in compose()[name]:
            targets = {host_port(t) for c in job["static_configs"] for t in c["targets"]}
        else:  # scaled: every replica must be found, not one picked by the DNS round robin
            targets = {(n, c["port"]) for c in job["dns_sd_configs"] if c["type"] == "A" for n in c["names"]}
        assert targets == {(name, http_port(name))}


# --- Grafana --------------------------------------------------------------------------------------

# Prometheus adds these to every scraped series; `up` is the one series it synthesises per target.
TARGET_LABELS = {"job", "instance"}


@cache
def known_metrics() -> dict[str, set[str]]:
    """Every exposed sample name (counters' _total, histograms' _bucket/_count/_sum...) -> label names."""
    for module in ["shared.observability", *(f"services.{name}.telemetry" for name in SERVICES)]:
        if importlib.util.find_spec(module):
            importlib.import_module(module)
    faststream = CollectorRegistry()  # the names come from the library, as the services register them
    KafkaPrometheusMiddleware(registry=faststream)
    metrics = {"up": set()}
    for registry in (REGISTRY, faststream):
        # prometheus_client has no public name -> collector map; this one has been stable for years.
        for name, collector in registry._names_to_collectors.items():
            metrics[name] = set(getattr(collector, "_labelnames", ())) | ({"le"} if name.endswith("_bucket") else set())
    return {name: labels | TARGET_LABELS for name, labels in metrics.items()}


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}


def promql_metrics(expr: str) -> set[str]:
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\$\w+", "", expr)  # matchers, ranges, Grafana variables
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    return {word for word in re.findall(r"\b[A-Za-z_:][\w:]*\b(?!\s*\()", expr) if word not in PROMQL_WORDS}


def promql_labels(expr: str) -> list[tuple[str | None, str]]:
    """(metric, label) for each label matcher; (None, label) for each grouping label."""
    matched = [
        (metric, label)
        for metric, body in re.findall(r"\b([A-Za-z_:][\w:]*)\s*\{([^}]*)\}", expr)
        for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", body)
    ]
    grouped = [
        (None, label.strip())
        for labels in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr)
        for label in labels.split(",")
    ]
    return matched + grouped


def all_dashboards() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def dashboards() -> dict[str, dict]:
    """The Prometheus dashboards (PromQL checked against the metrics the services export)."""
    return {name: d for name, d in all_dashboards().items() if name != "bizpulse-business.json"}


def datasource_uids() -> set[str]:
    return {ds["uid"] for f in sorted((GRAFANA / "provisioning" / "datasources").glob("*.yml")) for ds in _yaml(f)["datasources"]}


def queries(dashboard: dict) -> list[str]:
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    # Grafana's label_values(selector, label) reads like PromQL `sum by (label) (selector)`.
    variables = [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return exprs + [re.sub(r"^label_values\((.+),\s*(\w+)\)$", r"sum by (\2) (\1)", v) for v in variables]


def test_promql_parsing_sees_metrics_and_labels():
    expr = 'histogram_quantile(0.9, sum by (le, app_name) (rate(a_bucket{x=~"$s", y!="b c"}[$__rate_interval]))) / up'
    assert promql_metrics(expr) == {"a_bucket", "up"}
    assert promql_labels(expr) == [("a_bucket", "x"), ("a_bucket", "y"), (None, "le"), (None, "app_name")]


@pytest.mark.parametrize("name", dashboards())
def test_dashboard_queries_only_metrics_and_labels_the_services_export(name):
    known = known_metrics()
    for expr in queries(dashboards()[name]):
        used = promql_metrics(expr)
        assert used, expr
        assert used <= known.keys(), f"unknown metric {used - known.keys()} in: {expr}"
        available = set().union(*(known[m] for m in used))
        for metric, label in promql_labels(expr):
            assert label in (known[metric] if metric else available), f"no label {label!r} on {metric or used}: {expr}"


@pytest.mark.parametrize("name", dashboards())
def test_dashboard_is_well_formed(name):
    dashboard = dashboards()[name]
    panels = dashboard["panels"]
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert {p["type"] for p in panels} <= {"row", "timeseries", "stat"}
    assert len({p["id"] for p in panels}) == len(panels)
    assert all(p.get("targets") for p in panels if p["type"] != "row")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert re.fullmatch(r"label_values\(\w+, ?(service|app_name)\)", variables["service"]["definition"])


@pytest.mark.parametrize("name", all_dashboards())
def test_dashboard_datasources_are_provisioned(name):
    provisioned = datasource_uids()
    dashboard = all_dashboards()[name]
    refs = [p["datasource"] for p in dashboard["panels"] if "datasource" in p]
    refs += [t["datasource"] for p in dashboard["panels"] for t in p.get("targets", []) if "datasource" in t]
    refs += [v["datasource"] for v in dashboard["templating"]["list"] if "datasource" in v]
    assert refs and {ref["uid"] for ref in refs} <= provisioned


def test_grafana_loads_the_dashboards_folder_and_reaches_prometheus():
    mounts = dict(volume.split(":")[:2] for volume in compose()["grafana"]["volumes"])
    providers = _yaml(GRAFANA / "provisioning" / "dashboards" / "bizpulse.yml")["providers"]
    assert [p["options"]["path"] for p in providers] == [mounts["./deploy/grafana/dashboards"]]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"

    (datasource,) = _yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert datasource["uid"] in datasource_uids()
    prometheus_port = compose()["prometheus"]["ports"][0].split(":")[-1]
    assert datasource["url"] == f"http://prometheus:{prometheus_port}"


def test_the_business_dashboard_is_generated_and_reads_analytics_as_its_reader():
    from deploy import business_dashboard, readers

    assert (GRAFANA / "dashboards" / "bizpulse-business.json").read_text(encoding="utf-8") == business_dashboard.render(), \
        "stale: run python -m deploy.business_dashboard"
    (analytics,) = _yaml(GRAFANA / "provisioning" / "datasources" / "analytics.yml")["datasources"]
    assert (analytics["user"], analytics["jsonData"]["database"]) == (readers.ROLE, "bizpulse")
    assert analytics["url"] == f"postgres:5432" and "postgres" in compose()["grafana"]["depends_on"]
    # the password comes from the environment compose requires, never from the file
    assert analytics["secureJsonData"]["password"] == "$BIZPULSE_GRAFANA_DB_PASSWORD"
    assert compose()["grafana"]["environment"]["BIZPULSE_GRAFANA_DB_PASSWORD"].startswith("${BIZPULSE_GRAFANA_DB_PASSWORD:?")
    assert "python -m deploy.readers" in compose()["init"]["command"][-1]
    # no anonymous viewer of business figures
    assert compose()["grafana"]["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    board = business_dashboard.dashboard()
    sql = [t["rawSql"] for p in board["panels"] for t in p["targets"]]
    assert sql and all(re.search(r"\banalytics\.\w+", q) for q in sql)
    assert not any(re.search(r"\b(feedback|ingest|matcher|alerting)\.", q) for q in sql)
    assert "'榕城区'" in business_dashboard.COUNTY
