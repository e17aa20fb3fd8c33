from shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    http_port: int = 8004
