"""Settings every service shares; each service extends this with its own typed fields."""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import ApiKey
from shared.messaging.connection import KafkaConnection, SecurityProtocol


class ServiceSettings(BaseSettings):
    """Read from `BIZPULSE_*` environment variables (see README, "Configuration")."""

    model_config = SettingsConfigDict(env_prefix="BIZPULSE_", extra="ignore")

    kafka_bootstrap: str = "localhost:9092"
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT", description="SASL_PLAINTEXT or SASL_SSL (SCRAM-SHA-512) wherever the broker is secured"
    )
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_password_file: Path | None = Field(default=None, description="the password in a file (container secrets)")
    kafka_ssl_ca_file: Path | None = Field(default=None, description="SASL_SSL: CA of the broker's certificate")
    database_url: str = "postgresql+asyncpg://bizpulse:bizpulse@localhost:5432/bizpulse"
    http_host: str = "0.0.0.0"
    http_port: int = 8000
    instance_id: str = Field(
        default_factory=socket.gethostname, description="distinguishes replicas in logs and client ids"
    )
    log_level: str = "INFO"
    api_keys: list[ApiKey] = Field(default_factory=list, description="JSON list of {sha256, role, code}")

    consumer_batch_size: int = 500
    consumer_batch_timeout_ms: int = 50
    handler_max_attempts: int = 3
    retry_backoff_seconds: float = 0.2
    outbox_batch_size: int = 1000
    outbox_idle_poll_seconds: float = 0.5
    db_pool_size: int = 10
    max_request_bytes: int = 1024 * 1024
    inbox_retention_days: int = Field(
        default=30, description="keep processed event ids this long; must exceed the topics' retention (7 days)"
    )
    inbox_prune_seconds: float = 3600

    @model_validator(mode="after")
    def _kafka_connection_is_complete(self) -> ServiceSettings:
        """Fail at start with the reason, not at the first broker call."""
        if self.kafka_password is not None and self.kafka_password_file is not None:
            raise ValueError("set BIZPULSE_KAFKA_PASSWORD or BIZPULSE_KAFKA_PASSWORD_FILE, not both")
        try:
            self.kafka_connection()
        except ValueError as exc:
            raise ValueError(
                f"{exc} (BIZPULSE_KAFKA_USERNAME, BIZPULSE_KAFKA_PASSWORD or BIZPULSE_KAFKA_PASSWORD_FILE, "
                "BIZPULSE_KAFKA_SSL_CA_FILE)"
            ) from exc
        return self

    def kafka_connection(self) -> KafkaConnection:
        password = self.kafka_password
        if self.kafka_password_file is not None:
            password = SecretStr(self.kafka_password_file.read_text().strip())
        return KafkaConnection(
            self.kafka_bootstrap, self.kafka_security_protocol, self.kafka_username, password, self.kafka_ssl_ca_file
        )
