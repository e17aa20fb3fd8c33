from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    http_port: int = 8005
