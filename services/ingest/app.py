"""ingest (数据采集): departments' records in, validated and desensitised, out as record-imported."""

from shared import topics
from shared.contracts import IntakeProcessed, RecordImported, SubmissionAssessed
from shared.contracts.events import CorrectionAnswered, CorrectionRequested
from shared.messaging.consumer import Subscription
from shared.records import registry
from shared.service import Publication, ServiceSpec

from services.ingest.api import routes
from services.ingest.application import Intake
from shared.working_days import WorkingCalendar
from services.ingest.handlers import decode_feedback, decode_intake, intake_handler, on_feedback
from services.ingest.jobs import sweep_timeliness
from services.ingest.settings import IngestSettings
from services.ingest.storage.tables import metadata


def build() -> ServiceSpec:
    settings = IngestSettings()
    kinds = registry(settings.kind_declarations)
    key = settings.hmac_key.get_secret_value().encode() if settings.hmac_key else b""  # `run` requires one
    intake = Intake(kinds, key, WorkingCalendar.china(), settings.deadline_working_days)
    on_intake = intake_handler(intake, settings.max_errors_reported)
    departments = sorted({k.department for k in kinds.values()})
    return ServiceSpec(
        name="ingest",
        description="数据采集：各部门报送数据的校验、脱敏与发布",
        settings=settings,
        metadata=metadata,
        subscriptions=lambda _: [
            *(Subscription(topics.intake(d), decode_intake, on_intake) for d in departments),
            Subscription(topics.FEEDBACK_SUBMITTED, decode_feedback, on_feedback),  # 数据错误: correction requests
        ],
        publications=[
            Publication(topics.RECORD_IMPORTED, RecordImported, "one accepted record (or a correction)"),
            Publication(topics.SUBMISSION_ASSESSED, SubmissionAssessed, "a department's timeliness for a period"),
            Publication(topics.intake_results("{department}"), IntakeProcessed, "the answer to an intake message"),
            Publication(topics.intake_results("{department}"), CorrectionRequested,
                        "数据错误: a township found the department's records wrong; correct and send them again"),
            Publication(topics.intake_results("{department}"), CorrectionAnswered,
                        "the department's corrected record answered the request"),
            Publication(topics.CORRECTIONS, CorrectionRequested, "a department asked to correct: its clock starts"),
            Publication(topics.CORRECTIONS, CorrectionAnswered, "the department corrected: its clock stops"),
        ],
        routers=lambda service: [routes.router(service, intake)],
        background=lambda service: [lambda: sweep_timeliness(service, intake)],
        preflight=settings.require_hmac_key,
        request_limit=lambda path: settings.max_upload_bytes if path == "/v1/uploads" else settings.max_request_bytes,
    )
