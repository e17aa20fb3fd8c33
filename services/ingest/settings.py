from pathlib import Path

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    http_port: int = 8001
    hmac_key: SecretStr = Field(
        default=SecretStr("bizpulse-dev-only-key"),
        description="key of the HMAC that replaces personal data; set a secret one in production",
    )
    kind_declarations: Path | None = Field(default=None, description="folder or file of extra record kind declarations")
    max_rows_per_request: int = 10_000
    max_request_bytes: int = 32 * 1024 * 1024
    max_upload_bytes: int = 2 * 1024 * 1024 * 1024
    upload_chunk_rows: int = 5_000
    max_errors_reported: int = 1_000
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 120
    deadline_working_days: int = 5
    timeliness_sweep_seconds: float = 3_600
