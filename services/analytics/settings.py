from shared.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    http_port: int = 8005
    # 梁柱企业: the top this many taxpayers and the top this many power users of an area's month
    pillar_count: int = 10
