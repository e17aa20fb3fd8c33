from pydantic import Field

from shared.settings import ServiceSettings


class MatcherSettings(ServiceSettings):
    http_port: int = 8002
    match_auto_link: float = Field(default=0.92, description="fuzzy score from which a record is linked without review")
    match_review: float = Field(default=0.75, description="fuzzy score from which candidates go to a person")
    match_margin: float = Field(default=0.05, description="how far the best must beat the runner-up to auto-link")
