#!/usr/bin/env bash
# docker-compose `kafka`: completes server.properties with the broker's secrets, formats the storage on first
# start with the two super users' SCRAM credentials (no one else could create them: every other request needs
# an ACL), and runs the broker. The secrets come from the kafka-secrets volume (secrets.sh).
# With BIZPULSE_KAFKA_NODE_ID set (docker-compose.brokers.yml: kafka, kafka-2, kafka-3), the broker is that node
# of a three-node cluster: cluster.properties replaces the single node's quorum and replication settings, it
# advertises its own host name, and every node is formatted with the deployment's one cluster id.
set -euo pipefail
umask 077

secrets=/run/bizpulse/kafka-broker
config=/opt/kafka/config/bizpulse-server.properties
broker_password=$(cat "$secrets/password")
keystore_password=$(cat "$secrets/keystore-password")
scram='org.apache.kafka.common.security.scram.ScramLoginModule required'
plain='org.apache.kafka.common.security.plain.PlainLoginModule required'

node_id=${BIZPULSE_KAFKA_NODE_ID:-}
cluster=/etc/bizpulse/cluster.properties

{
  if [ -z "$node_id" ]; then
    cat /etc/bizpulse/server.properties
  else
    # the single node's lines, but for those cluster.properties or this node sets
    keys=$(sed -n 's/^\([a-z][a-z.]*\)=.*/\1/p' "$cluster" | sed 's/\./\\./g' | tr '\n' '|')
    grep -v -E "^(${keys}node\.id|advertised\.listeners|controller\.quorum\.bootstrap\.servers)=" /etc/bizpulse/server.properties
    cat "$cluster"
    echo "node.id=$node_id"
    echo "advertised.listeners=CLIENT://$HOSTNAME:9092"
  fi
  echo "listener.name.client.scram-sha-512.sasl.jaas.config=$scram username=\"broker\" password=\"$broker_password\";"
  echo "listener.name.controller.plain.sasl.jaas.config=$plain username=\"broker\" password=\"$broker_password\" user_broker=\"$broker_password\";"
  echo "ssl.keystore.password=$keystore_password"
  echo "ssl.key.password=$keystore_password"
} > "$config"

# The healthcheck's client: the broker's own principal, over the same TLS as everyone.
cat > /opt/kafka/config/healthcheck.properties <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$scram username="broker" password="$broker_password";
ssl.truststore.type=PEM
ssl.truststore.location=/run/bizpulse/kafka-ca/ca.crt
PROPERTIES

if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  # alone: a standalone quorum; in the cluster the static voters are in the config
  standalone=$([ -n "$node_id" ] || echo --standalone)
  /opt/kafka/bin/kafka-storage.sh format $standalone -c "$config" \
    -t "$(cat "$secrets/cluster-id")" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=$broker_password]" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$secrets/admin-password")]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
