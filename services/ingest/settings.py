from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    http_port: int = 8001
    hmac_key: SecretStr = Field(
        default=SecretStr("bizpulse-dev-only-key"),
        description="key of the HMAC that replaces personal data; set a secret one in production",
    )
    max_rows_per_request: int = 10_000
