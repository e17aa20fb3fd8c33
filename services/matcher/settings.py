from pydantic import Field

from shared.settings import ServiceSettings


class MatcherSettings(ServiceSettings):
    http_port: int = 8002
    match_auto_link: float = Field(default=0.92, description="share of the evidence (against the other candidates and none) from which a record is linked without review")
    match_review: float = Field(default=0.75, description="share of the evidence the best candidates together need to go to a person")
    match_margin: float = Field(default=0.05, description="how far the best must beat the runner-up to auto-link")
