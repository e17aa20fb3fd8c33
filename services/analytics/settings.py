from pathlib import Path

from shared.settings import ServiceSettings

from services.analytics.domain.size_bands import DEFAULT_SIZE_BANDS


class AnalyticsSettings(ServiceSettings):
    http_port: int = 8005
    # 梁柱企业: the top this many taxpayers and the top this many power users of an area's month
    pillar_count: int = 10
    # 公共信息对比分析: a township whose compared records are linked below this share is flagged
    # (its "no tax" and "no power" figures are not to be trusted)
    comparison_low_coverage_pct: float = 80.0
    # 规模档 by 注册资本 (services/analytics/rules/size_bands.csv): checked at start, a broken file
    # stops the service with its file, line and reason
    size_bands: Path = DEFAULT_SIZE_BANDS
