"""The local Kafka's configuration, alone and as a three-node cluster (no JVM started: the files are read)."""

from __future__ import annotations

from pathlib import Path

from deploy.local.infra import LocalKafkaCluster


def properties(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def configs(cluster: LocalKafkaCluster) -> list[dict[str, str]]:
    return [properties(node._write_config()) for node in cluster.nodes]


def test_one_node_alone_is_a_standalone_quorum_with_one_replica(tmp_path):
    cluster = LocalKafkaCluster(tmp_path / "kafka", ports=[19092], controller_ports=[19093])
    (config,) = configs(cluster)
    assert cluster.bootstrap_servers == "localhost:19092"
    assert cluster.nodes[0].data_dir == (tmp_path / "kafka").resolve(), "where a single broker always kept its data"
    assert config["node.id"] == "1"
    assert config["controller.quorum.bootstrap.servers"] == "localhost:19093"
    assert "controller.quorum.voters" not in config
    for key in ("default.replication.factor", "min.insync.replicas", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor", "transaction.state.log.min.isr"):
        assert config[key] == "1", key


def test_three_nodes_are_three_voters_with_three_replicas_two_in_sync(tmp_path):
    cluster = LocalKafkaCluster(
        tmp_path / "kafka", ports=[19092, 19094, 19096], controller_ports=[19093, 19095, 19097], log_dir=tmp_path
    )
    assert cluster.bootstrap_servers == "localhost:19092,localhost:19094,localhost:19096"
    assert cluster.admin.bootstrap == cluster.bootstrap_servers, "the tooling finds the cluster with a node down"
    assert (cluster.replication_factor, cluster.min_insync_replicas) == (3, 2)
    assert len({node.data_dir for node in cluster.nodes}) == 3
    assert [node.log_file for node in cluster.nodes] == [tmp_path / f"kafka-{n}.log" for n in (1, 2, 3)]
    assert len({node.cluster_id for node in cluster.nodes}) == 1 and cluster.nodes[0].cluster_id
    assert len({node.superusers_file for node in cluster.nodes}) == 1
    voters = "1@localhost:19093,2@localhost:19095,3@localhost:19097"
    for node_id, config in enumerate(configs(cluster), start=1):
        port, controller_port = 19090 + 2 * node_id, 19091 + 2 * node_id
        assert config["node.id"] == str(node_id)
        assert config["controller.quorum.voters"] == voters
        assert "controller.quorum.bootstrap.servers" not in config
        assert config["listeners"] == f"CLIENT://localhost:{port},CONTROLLER://localhost:{controller_port}"
        assert config["advertised.listeners"] == f"CLIENT://localhost:{port}"
        for key in ("default.replication.factor", "offsets.topic.replication.factor",
                    "transaction.state.log.replication.factor", "share.coordinator.state.topic.replication.factor"):
            assert config[key] == "3", key
        for key in ("min.insync.replicas", "transaction.state.log.min.isr", "share.coordinator.state.topic.min.isr"):
            assert config[key] == "2", key
        # the same security as a single broker
        assert config["allow.everyone.if.no.acl.found"] == "false"
        assert config["super.users"] == "User:admin;User:broker"
        assert config["listener.security.protocol.map"] == "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
        assert config["unclean.leader.election.enable"] == "false"


def test_a_cluster_keeps_its_id_across_restarts(tmp_path):
    first = LocalKafkaCluster(tmp_path, ports=[1, 2, 3], controller_ports=[4, 5, 6])
    again = LocalKafkaCluster(tmp_path, ports=[1, 2, 3], controller_ports=[4, 5, 6])
    assert first.nodes[0].cluster_id == again.nodes[2].cluster_id
