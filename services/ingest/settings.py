from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from shared.settings import ServiceSettings


MIN_KEY_LENGTH = 32
PUBLISHED_KEYS = frozenset({"bizpulse-dev-only-key"})  # in this repository's history: known to anyone


class IngestSettings(ServiceSettings):
    http_port: int = 8001
    hmac_key: SecretStr | None = Field(
        default=None,
        description="key of the HMAC that replaces personal data: secret, at least 32 characters, one per "
        "installation and never changed (the hashes of every stored record depend on it); ingest refuses to "
        "run without one",
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

    @field_validator("hmac_key")
    @classmethod
    def _a_real_secret(cls, key: SecretStr | None) -> SecretStr | None:
        """A published key turns masked values back into raw ones in a moment (a mobile number is one
        of a few hundred million): the development key once shipped with the code, or any short one,
        is refused."""
        if key is not None:
            value = key.get_secret_value()
            if value in PUBLISHED_KEYS or len(value) < MIN_KEY_LENGTH:
                raise ValueError(
                    f"BIZPULSE_HMAC_KEY must be a secret of at least {MIN_KEY_LENGTH} characters made for this "
                    "installation (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), "
                    "not a published development key"
                )
        return key

    def require_hmac_key(self) -> None:
        """For the running service: without its key nothing can be desensitised."""
        if self.hmac_key is None:
            raise SystemExit(
                "ingest: BIZPULSE_HMAC_KEY is not set. It keys the hashes that replace personal data: generate a "
                "secret once per installation and keep it (`make up` keeps one in .run/local/hmac.key)."
            )
