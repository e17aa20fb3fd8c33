#!/usr/bin/env bash
# docker-compose `kafka`: completes server.properties with the broker's secrets, formats the storage on first
# start with the two super users' SCRAM credentials (no one else could create them: every other request needs
# an ACL), and runs the broker. The secrets come from the kafka-secrets volume (secrets.sh).
set -euo pipefail
umask 077

secrets=/run/bizpulse/kafka-broker
config=/opt/kafka/config/bizpulse-server.properties
broker_password=$(cat "$secrets/password")
keystore_password=$(cat "$secrets/keystore-password")
scram='org.apache.kafka.common.security.scram.ScramLoginModule required'
plain='org.apache.kafka.common.security.plain.PlainLoginModule required'

{
  cat /etc/bizpulse/server.properties
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
  /opt/kafka/bin/kafka-storage.sh format --standalone -c "$config" \
    -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" \
    --add-scram "SCRAM-SHA-512=[name=broker,password=$broker_password]" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$secrets/admin-password")]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
