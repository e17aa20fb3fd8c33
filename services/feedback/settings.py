from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings

from services.feedback.domain.dispositions import DEFAULT_POLICY


class FeedbackSettings(ServiceSettings):
    http_port: int = 8004
    case_policy: Path = Field(default=DEFAULT_POLICY, description="dispositions, default deadlines, escalation (YAML)")
    max_photo_bytes: int = Field(default=8 * 1024 * 1024, description="a phone photo at full resolution fits")
    max_photos_per_case: int = 12
    sweep_seconds: float = Field(default=60, description="how often overdue cases are looked for and escalated")
