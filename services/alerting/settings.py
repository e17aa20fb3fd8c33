import os
from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings

from services.alerting.domain.ruleset import DEFAULT_RULESET


class AlertingSettings(ServiceSettings):
    http_port: int = 8003
    # the city's rule set (services/alerting/rules/ruleset.yaml): checked at start, a broken file
    # stops the service with its line and reason
    ruleset: Path = DEFAULT_RULESET
    # how often ended silences are released, passed deadlines announced and digests sent
    sweep_seconds: float = Field(default=60.0, gt=0)
    # a closed period whose facts changed is refitted and judged again once they have been quiet this long
    refit_quiet_seconds: float = Field(default=30.0, ge=0)
    # entities judged per transaction when a period closes, and how often an idle instance looks for a closing
    closing_page: int = Field(default=2_000, gt=0)
    closing_poll_seconds: float = Field(default=1.0, gt=0)
    # a closing starts once the period's facts have been quiet this long: the submission that closed it
    # is still on its way through matching (ingest judges timeliness before the matcher has linked its
    # records), and judging before it lands raises absence alerts its own records contradict...
    closing_settle_seconds: float = Field(default=5.0, ge=0)
    # ...but never waits longer than this after the period closed, however steadily facts trickle in
    closing_settle_max_seconds: float = Field(default=300.0, ge=0)
    # the local hour (Asia/Shanghai) from which townships get the day's digest
    digest_hour: int = Field(default=8, ge=0, le=23)
    # backtests run as jobs, one at a time per instance, in this many worker processes
    backtest_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=0)
    backtest_poll_seconds: float = Field(default=2.0, gt=0)
    # a running backtest whose instance has not reported a page for this long died: another takes it
    backtest_stale_seconds: float = Field(default=300.0, gt=0)
    # how many backtests one person may have queued or running at once
    backtest_waiting_max: int = Field(default=3, gt=0)
