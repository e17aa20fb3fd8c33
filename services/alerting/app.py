"""alerting (预警): check each entity's key figures against the configured intervals."""

from shared import topics
from shared.contracts import AnomalyDetected, FeedbackSubmitted, RecordMatched
from shared.messaging.consumer import Subscription, envelope
from shared.service import Publication, ServiceSpec

from services.alerting.handlers import AlertingHandlers
from services.alerting.settings import AlertingSettings
from services.alerting.storage.tables import metadata


def build() -> ServiceSpec:
    settings = AlertingSettings()
    handlers = AlertingHandlers(settings)
    return ServiceSpec(
        name="alerting",
        description="预警：对主体关键数据设定合理区间，明显不匹配的推送至乡镇（街道）",
        settings=settings,
        metadata=metadata,
        subscriptions=lambda _: [
            Subscription(topics.RECORD_MATCHED, envelope(RecordMatched), handlers.on_record_matched),
            Subscription(topics.FEEDBACK_SUBMITTED, envelope(FeedbackSubmitted), handlers.on_feedback_submitted),
        ],
        publications=[
            Publication(topics.ANOMALY_DETECTED, AnomalyDetected, "a new alert (all townships)"),
            Publication(topics.township_alerts("{township_code}"), AnomalyDetected, "the township's copy of its alerts"),
        ],
    )
