"""alerting (预警): check each entity's key figures against the rule set's reasonable intervals."""

from shared import topics
from shared.contracts import (
    AlertDeadlinePassed,
    AnomalyDetected,
    AnomalyResolved,
    AnomalyUpdated,
    FeedbackSubmitted,
    RecordMatched,
    SubmissionAssessed,
    TownshipDigest,
)
from shared.messaging.consumer import Subscription, envelope
from shared.service import Publication, ServiceSpec

from services.alerting import backtest
from services.alerting.api import backtests, rules
from services.alerting.domain.ruleset import load_ruleset
from services.alerting.handlers import AlertingHandlers
from services.alerting.jobs import judge_closings_forever, run_backtests_forever, sweep_forever
from services.alerting.settings import AlertingSettings
from services.alerting.storage.tables import metadata


def build() -> ServiceSpec:
    settings = AlertingSettings()
    ruleset = load_ruleset(settings.ruleset)  # RuleSetError: file, line and reason
    handlers = AlertingHandlers(ruleset)
    return ServiceSpec(
        name="alerting",
        description="预警：对主体关键数据设定合理区间，明显不匹配的推送至乡镇（街道）",
        settings=settings,
        metadata=metadata,
        subscriptions=lambda _: [
            Subscription(topics.RECORD_MATCHED, envelope(RecordMatched), handlers.on_record_matched),
            Subscription(topics.SUBMISSION_ASSESSED, envelope(SubmissionAssessed), handlers.on_submission_assessed),
            Subscription(topics.FEEDBACK_SUBMITTED, envelope(FeedbackSubmitted), handlers.on_feedback_submitted),
        ],
        routers=lambda service: [rules.router(service, ruleset), backtests.router(service)],
        commands={"backtest": backtest.command},
        background=lambda service: [lambda: sweep_forever(service, ruleset), lambda: judge_closings_forever(service, ruleset),
                                    lambda: run_backtests_forever(service)],
        publications=[
            Publication(topics.ANOMALY_DETECTED, AnomalyDetected, "a new alert, or one the data supports again (all townships)"),
            Publication(topics.ANOMALY_DETECTED, AnomalyResolved, "an alert the data no longer supports"),
            Publication(topics.ANOMALY_DETECTED, AnomalyUpdated, "an alert the data still supports, with other figures"),
            Publication(topics.township_alerts("{township_code}"), AnomalyDetected, "the township's copy of its alerts"),
            Publication(topics.township_alerts("{township_code}"), AnomalyResolved, "the township's copy of a withdrawal"),
            Publication(topics.township_alerts("{township_code}"), AnomalyUpdated, "the township's copy of a change"),
            Publication(topics.ANOMALY_DETECTED, AlertDeadlinePassed, "an alert's 签收 or 办结 deadline passed undone"),
            Publication(topics.township_alerts("{township_code}"), AlertDeadlinePassed, "the township's copy"),
            Publication(topics.township_alerts("{township_code}"), TownshipDigest, "the township's daily digest"),
        ],
    )
