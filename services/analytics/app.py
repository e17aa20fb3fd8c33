"""analytics (分析与应用): read models of the whole flow, answering the dashboards."""

import logging
import time

from shared import topics
from shared.contracts import (
    AlertDeadlinePassed,
    AnomalyDetected,
    AnomalyResolved,
    AnomalyUpdated,
    FeedbackSubmitted,
    MatchFailed,
    RecordImported,
    RecordMatched,
    SubmissionAssessed,
)
from shared.messaging.consumer import Subscription, envelope
from shared.service import Service, ServiceSpec, rebuild
from shared.web import login

from services.analytics import handlers
from services.analytics.api import analyses, comparison, development, panorama, pivot, records, report, routes, supervision
from services.analytics.domain.size_bands import load_size_bands
from services.analytics.pages import routes as pages
from services.analytics.settings import AnalyticsSettings
from services.analytics.storage import repository
from services.analytics.storage.tables import READ_FAMILIES, metadata

log = logging.getLogger("bizpulse.analytics")


async def _apply_size_bands(service: Service) -> None:
    """The tables banded by the city's 规模档 file before anything is consumed (a new or changed file:
    every entity-month again, minutes for a whole city; an unchanged one: one read)."""
    began = time.perf_counter()
    async with service.sessions() as session, session.begin():
        applied = await repository.apply_size_bands(session, load_size_bands(service.settings.size_bands))
    if applied:
        log.info("entity-months banded by %s in %.1f s", service.settings.size_bands, time.perf_counter() - began)
        if service.read_cache:
            await service.read_cache.changed([topics.RECORD_MATCHED])


def build() -> ServiceSpec:
    settings = AnalyticsSettings()
    load_size_bands(settings.size_bands)  # SizeBandsError: file, line and reason
    return ServiceSpec(
        name="analytics",
        description="分析与应用：区域概况、预警处置等看板数据",
        settings=settings,
        metadata=metadata,
        prepare=_apply_size_bands,
        subscriptions=lambda _: [
            Subscription(topics.RECORD_IMPORTED, envelope(RecordImported), handlers.on_record_imported),
            Subscription(topics.RECORD_MATCHED, envelope(RecordMatched), handlers.on_record_matched),
            Subscription(topics.MATCH_FAILED, envelope(MatchFailed), handlers.on_match_failed),
            Subscription(topics.ANOMALY_DETECTED, envelope(AnomalyDetected, AnomalyUpdated, AnomalyResolved, AlertDeadlinePassed),
                         handlers.on_anomaly),
            Subscription(topics.FEEDBACK_SUBMITTED, envelope(FeedbackSubmitted), handlers.on_feedback_submitted),
            Subscription(topics.SUBMISSION_ASSESSED, envelope(SubmissionAssessed), handlers.on_submission_assessed),
        ],
        routers=lambda service: [routes.router(service), analyses.router(service), panorama.router(service), supervision.router(service),
                                 report.router(service), comparison.router(service), development.router(service),
                                 pivot.router(service), records.router(service), login.router(home="/overview"), pages.router(service)],
        read_families=READ_FAMILIES,  # the read_cache.cached answers, kept until a batch writes what they read
        commands={"rebuild": rebuild.command(build)},  # its tables again from the topics (shared/service/rebuild.py)
    )
