from shared.settings import ServiceSettings


class AlertingSettings(ServiceSettings):
    http_port: int = 8003
    power_without_tax_min_kwh: float = 1.0
