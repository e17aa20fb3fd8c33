"""matcher (验证与比较): link every department record to a registered entity, or route it to the township."""

from shared import topics
from shared.contracts import FeedbackSubmitted, MatchFailed, RecordImported, RecordMatched
from shared.messaging.consumer import Subscription, envelope
from shared.service import Publication, ServiceSpec

from services.matcher.domain.decision import Thresholds
from services.matcher.handlers import MatcherHandlers
from services.matcher.settings import MatcherSettings
from services.matcher.storage.tables import metadata


def build() -> ServiceSpec:
    settings = MatcherSettings()
    handlers = MatcherHandlers(Thresholds(settings.match_auto_link, settings.match_review, settings.match_margin))
    return ServiceSpec(
        name="matcher",
        description="验证与比较：将纳税、用电等记录关联到商事主体，无法关联的推送至乡镇（街道）",
        settings=settings,
        metadata=metadata,
        subscriptions=lambda _: [
            Subscription(topics.RECORD_IMPORTED, envelope(RecordImported), handlers.on_record_imported),
            Subscription(topics.FEEDBACK_SUBMITTED, envelope(FeedbackSubmitted), handlers.on_feedback_submitted),
        ],
        publications=[
            Publication(topics.RECORD_MATCHED, RecordMatched, "a record linked to its entity"),
            Publication(topics.MATCH_FAILED, MatchFailed, "a record no entity could be linked to"),
            Publication(
                topics.township_alerts("{township_code}"), MatchFailed, "the township's copy of its unmatched records"
            ),
        ],
    )
