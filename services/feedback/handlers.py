"""Transport: anomaly-detected and match-failed in, onto the townships' worklist."""

from shared.contracts import AnomalyDetected, MatchFailed
from shared.messaging.outbox import UnitOfWork

from services.feedback.domain.match_cases import opens_case
from services.feedback.storage import repository


async def on_anomaly_detected(events: list[AnomalyDetected], uow: UnitOfWork) -> None:
    await repository.add_alerts(uow.session, events)


async def on_match_failed(events: list[MatchFailed], uow: UnitOfWork) -> None:
    await repository.open_match_cases(uow.session, [e for e in events if opens_case(e.payload.reason)])
