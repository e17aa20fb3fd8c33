from pathlib import Path

from shared.settings import ServiceSettings

from services.alerting.domain.ruleset import DEFAULT_RULESET


class AlertingSettings(ServiceSettings):
    http_port: int = 8003
    # the city's rule set (services/alerting/rules/ruleset.yaml): checked at start, a broken file
    # stops the service with its line and reason
    ruleset: Path = DEFAULT_RULESET
