"""feedback (反馈闭环): townships handle their alerts and report back."""

from shared import topics
from shared.contracts import AlertDeadlinePassed, AnomalyDetected, AnomalyResolved, FeedbackSubmitted, MatchFailed
from shared.messaging.consumer import Subscription, envelope
from shared.service import Publication, ServiceSpec
from shared.web import login

from services.feedback.api import match_cases, routes
from services.feedback.handlers import on_anomaly, on_match_failed
from services.feedback.settings import FeedbackSettings
from services.feedback.storage.tables import metadata


def build() -> ServiceSpec:
    return ServiceSpec(
        name="feedback",
        description="反馈：乡镇（街道）签收、核实、办结预警并反馈处理情况",
        settings=FeedbackSettings(),
        metadata=metadata,
        subscriptions=lambda _: [
            Subscription(topics.ANOMALY_DETECTED, envelope(AnomalyDetected, AnomalyResolved, AlertDeadlinePassed), on_anomaly),
            Subscription(topics.MATCH_FAILED, envelope(MatchFailed), on_match_failed),
        ],
        publications=[
            Publication(topics.FEEDBACK_SUBMITTED, FeedbackSubmitted, "a township's action on an alert or match case")
        ],
        routers=lambda service: [routes.router(service), match_cases.router(service), login.router()],
    )
