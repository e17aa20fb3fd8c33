#!/usr/bin/env bash
# docker-compose `kafka-secrets`, a one-shot in the Kafka image (it has keytool): generates, once, what the
# broker's security needs into the kafka-secrets volume, and leaves it as it is on every later run:
#   authority/  the deployment's own CA (key never leaves this folder; only this step mounts it)
#   ca/ca.crt   the CA certificate every client verifies the broker with (public)
#   broker/     the broker's key and certificate (for the names kafka, kafka-2, kafka-3 and localhost), its SASL
#               password, the admin password it bootstraps into its storage at format time, and the cluster id
#               every node is formatted with
#   admin/      the admin password, for `init` (deploy.topics creates topics, principals and ACLs)
#   principals/ written by `init`: a password per service, township and department; each service mounts
#               only its own folder
set -euo pipefail
umask 077
cd /run/bizpulse/kafka-secrets

SERVICE_UID=10001  # the bizpulse image's user (deploy/docker/Dockerfile): init and the services
password() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n'; }

mkdir -p authority ca broker admin principals
if [ ! -s authority/ca.p12 ]; then
  password > authority/password
  keytool -genkeypair -alias ca -dname "CN=bizpulse Kafka CA" -keyalg RSA -keysize 3072 -validity 3650 \
    -ext bc:c -ext KeyUsage=keyCertSign,cRLSign \
    -keystore authority/ca.p12 -storetype PKCS12 -storepass:file authority/password
  keytool -exportcert -rfc -alias ca -keystore authority/ca.p12 -storepass:file authority/password > ca/ca.crt
fi
if [ ! -s broker/keystore.p12 ]; then
  password > broker/keystore-password
  keytool -genkeypair -alias kafka -dname "CN=kafka" -keyalg RSA -keysize 3072 -validity 825 \
    -keystore broker/keystore.p12 -storetype PKCS12 -storepass:file broker/keystore-password
  keytool -certreq -alias kafka -keystore broker/keystore.p12 -storepass:file broker/keystore-password \
    | keytool -gencert -alias ca -keystore authority/ca.p12 -storepass:file authority/password -validity 825 \
        -ext SAN=dns:kafka,dns:kafka-2,dns:kafka-3,dns:localhost -ext KeyUsage=digitalSignature,keyEncipherment -ext ExtendedKeyUsage=serverAuth \
        -rfc > broker/kafka.crt
  keytool -importcert -noprompt -alias ca -file ca/ca.crt \
    -keystore broker/keystore.p12 -storepass:file broker/keystore-password
  keytool -importcert -alias kafka -file broker/kafka.crt \
    -keystore broker/keystore.p12 -storepass:file broker/keystore-password
fi
[ -s broker/password ] || password > broker/password
[ -s admin/password ] || password > admin/password
[ -s broker/cluster-id ] || /opt/kafka/bin/kafka-storage.sh random-uuid > broker/cluster-id
cp admin/password broker/admin-password

chmod 0755 ca && chmod 0444 ca/ca.crt
chown -R appuser broker  # the Kafka image's user
chown -R "$SERVICE_UID" admin principals
echo "kafka-secrets: CA $(keytool -list -keystore authority/ca.p12 -storepass:file authority/password -alias ca | tail -1)"
