"""feedback (反馈闭环): townships handle their cases and report back; supervisors review."""

from shared import topics
from shared.auth import Role
from shared.contracts import (
    AlertDeadlinePassed,
    AnomalyDetected,
    AnomalyResolved,
    AnomalyUpdated,
    CaseEscalated,
    CorrectionAnswered,
    CorrectionRequested,
    FeedbackSubmitted,
    MatchFailed,
)
from shared.messaging.consumer import Subscription, envelope
from shared.service import Publication, ServiceSpec
from shared.web import login

from services.feedback.api import assessment, cases, match_cases, routes
from services.feedback.casework import Casework
from services.feedback.domain.dispositions import load_policy
from services.feedback.handlers import Handlers
from services.feedback.jobs import sweep_forever
from services.feedback.pages import routes as pages
from services.feedback.settings import FeedbackSettings
from services.feedback.storage.tables import metadata

_PHOTO_HEADROOM = 64 * 1024  # the multipart envelope and the location fields around the photo


def build() -> ServiceSpec:
    settings = FeedbackSettings()
    policy = load_policy(settings.case_policy)  # a wrong policy file refuses to start, with its line
    handlers = Handlers(policy)

    def officers_of(township_code: str) -> frozenset[str]:
        """Whom a case of the township may be assigned to: its people's accounts."""
        return frozenset(a.username for a in settings.accounts if a.role is Role.TOWNSHIP and a.code == township_code)

    def routers(service):
        casework = Casework(service, policy, officers_of=officers_of)
        return [cases.router(casework, settings), routes.router(casework), match_cases.router(casework),
                assessment.router(service), login.router(), pages.router(casework)]

    return ServiceSpec(
        name="feedback",
        description="反馈：乡镇（街道）签收、核查、办结事项，县市督查复核",
        settings=settings,
        metadata=metadata,
        subscriptions=lambda _: [
            Subscription(topics.ANOMALY_DETECTED,
                         envelope(AnomalyDetected, AnomalyUpdated, AnomalyResolved, AlertDeadlinePassed), handlers.on_anomaly),
            Subscription(topics.MATCH_FAILED, envelope(MatchFailed), handlers.on_match_failed),
            Subscription(topics.CORRECTIONS, envelope(CorrectionRequested, CorrectionAnswered), handlers.on_correction),
        ],
        publications=[
            Publication(topics.county_alerts("{division_code}"), CaseEscalated,
                        "a case of the county's townships past its deadline (督办)"),
            Publication(topics.city_alerts("{city_code}"), CaseEscalated,
                        "a case still overdue some working days after its county was told"),
            Publication(topics.township_alerts("{township_code}"), CaseEscalated, "the township's own case escalated"),
            Publication(topics.FEEDBACK_SUBMITTED, FeedbackSubmitted, "every act on a case, by whom, from which device"),
            Publication(topics.township_alerts("{township_code}"), FeedbackSubmitted,
                        "every change of a township's case, for its own systems"),
        ],
        routers=routers,
        background=lambda service: [lambda: sweep_forever(service, policy)],
        request_limit=lambda path: settings.max_photo_bytes + _PHOTO_HEADROOM if path.endswith("/photos")
        else settings.max_request_bytes,
    )
