"""Settings every service shares; each service extends this with its own typed fields."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

from pydantic import Field, SecretStr, TypeAdapter, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.accounts import Account, Accounts
from shared.auth import ApiKey
from shared.messaging.connection import KafkaConnection, SecurityProtocol
from shared.sessions import Sessions

_ACCOUNT_LIST = TypeAdapter(list[Account])


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
    accounts: list[Account] = Field(
        default_factory=list,
        description="people who log in to the pages: JSON list of {username, display_name, role, code, "
        "leads_township?, password_hash} (python -m shared.accounts entry prints one)",
    )
    accounts_file: Path | None = Field(default=None, description="more accounts: the same JSON list in a file")
    session_secret: SecretStr | None = Field(
        default=None, description="signs session cookies: at least 32 characters, the same in every service"
    )
    session_hours: float = Field(default=10, gt=0, le=24, description="a login lasts this long (a working day)")

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
    read_cache_entries: int = Field(
        default=256, ge=0, description="answers a read-model service keeps until its data changes (0: none; shared/service/read_cache.py)"
    )
    read_cache_seconds: float = Field(default=600, gt=0, description="and at most this long")

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

    @model_validator(mode="after")
    def _accounts_are_usable(self) -> ServiceSettings:
        """Read the accounts file and check every person can log in, or refuse to start saying why."""
        if self.accounts_file is not None:
            try:
                self.accounts = [*self.accounts, *_ACCOUNT_LIST.validate_json(self.accounts_file.read_bytes())]
            except OSError as exc:
                raise ValueError(f"BIZPULSE_ACCOUNTS_FILE {self.accounts_file}: {exc}") from exc
            except ValidationError as exc:  # where and what, without echoing the entries (they hold hashes)
                problems = "; ".join(
                    f"[{']['.join(map(str, e['loc']))}] {e['msg']}" for e in exc.errors(include_input=False)
                )
                raise ValueError(f"BIZPULSE_ACCOUNTS_FILE {self.accounts_file}: {problems}") from None
        twice = sorted(name for name, n in Counter(a.username for a in self.accounts).items() if n > 1)
        if twice:
            raise ValueError(f"accounts configured twice (BIZPULSE_ACCOUNTS, BIZPULSE_ACCOUNTS_FILE): {', '.join(twice)}")
        secret = self.session_secret.get_secret_value() if self.session_secret else ""
        if self.accounts and len(secret) < 32:
            raise ValueError(
                "people's accounts are configured, so BIZPULSE_SESSION_SECRET must be set: at least 32 characters, "
                "the same in every service (one login serves every page of the host)"
            )
        return self

    def sessions(self) -> Sessions:
        secret = self.session_secret.get_secret_value().encode() if self.session_secret else None
        return Sessions(Accounts(self.accounts), secret, int(self.session_hours * 3600))

    def kafka_connection(self) -> KafkaConnection:
        password = self.kafka_password
        if self.kafka_password_file is not None:
            password = SecretStr(self.kafka_password_file.read_text().strip())
        return KafkaConnection(
            self.kafka_bootstrap, self.kafka_security_protocol, self.kafka_username, password, self.kafka_ssl_ca_file
        )
