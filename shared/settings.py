"""Settings every service shares; each service extends this with its own typed fields."""

from __future__ import annotations

import socket

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import ApiKey


class ServiceSettings(BaseSettings):
    """Read from `BIZPULSE_*` environment variables (see README, "Configuration")."""

    model_config = SettingsConfigDict(env_prefix="BIZPULSE_", extra="ignore")

    kafka_bootstrap: str = "localhost:9092"
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
