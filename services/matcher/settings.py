from shared.settings import ServiceSettings


class MatcherSettings(ServiceSettings):
    http_port: int = 8002
