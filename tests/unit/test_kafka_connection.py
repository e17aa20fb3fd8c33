"""A service's Kafka settings give every client it uses (FastStream, aiokafka, librdkafka) the same principal,
and a secured broker without credentials is a clear error at start, not a hang at the first message."""

import certifi
import pytest
from pydantic import ValidationError

from shared.settings import ServiceSettings


def test_settings_give_every_client_library_the_same_principal_over_tls(tmp_path, monkeypatch):
    (tmp_path / "password").write_text("s3cret\n")
    ca = certifi.where()  # any PEM bundle of CA certificates
    monkeypatch.setenv("BIZPULSE_KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("BIZPULSE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("BIZPULSE_KAFKA_USERNAME", "matcher")
    monkeypatch.setenv("BIZPULSE_KAFKA_PASSWORD_FILE", str(tmp_path / "password"))
    monkeypatch.setenv("BIZPULSE_KAFKA_SSL_CA_FILE", ca)
    kafka = ServiceSettings().kafka_connection()
    aiokafka, security = kafka.aiokafka(), kafka.faststream_security()

    assert {k: aiokafka[k] for k in ("bootstrap_servers", "security_protocol", "sasl_mechanism",
                                     "sasl_plain_username", "sasl_plain_password")} == {
        "bootstrap_servers": "kafka:9092", "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "matcher", "sasl_plain_password": "s3cret",
    }
    assert aiokafka["ssl_context"] is not None
    assert (security.username, security.password, security.use_ssl) == ("matcher", "s3cret", True)
    assert kafka.librdkafka() == {
        "bootstrap.servers": "kafka:9092", "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "matcher", "sasl.password": "s3cret", "ssl.ca.location": ca,
    }
    assert "s3cret" not in repr(kafka)


def test_a_secured_broker_without_credentials_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("BIZPULSE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("BIZPULSE_KAFKA_USERNAME", "matcher")
    with pytest.raises(ValidationError, match="needs a username and a password.*BIZPULSE_KAFKA_PASSWORD"):
        ServiceSettings()
    monkeypatch.setenv("BIZPULSE_KAFKA_PASSWORD", "s3cret")
    monkeypatch.setenv("BIZPULSE_KAFKA_PASSWORD_FILE", "/run/secrets/password")
    with pytest.raises(ValidationError, match="not both"):
        ServiceSettings()


def test_without_security_settings_a_client_connects_in_plaintext():
    kafka = ServiceSettings().kafka_connection()
    assert kafka.aiokafka() == {"bootstrap_servers": "localhost:9092", "security_protocol": "PLAINTEXT"}
    assert kafka.faststream_security() is None
