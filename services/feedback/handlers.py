"""Transport: anomaly-detected and match-failed in, onto the townships' worklist."""

from shared.contracts import AlertDeadlinePassed, AnomalyDetected, AnomalyResolved, MatchFailed
from shared.messaging.outbox import UnitOfWork

from services.feedback.domain.match_cases import opens_case
from services.feedback.storage import repository


async def on_anomaly(events: list[AnomalyDetected | AnomalyResolved | AlertDeadlinePassed], uow: UnitOfWork) -> None:
    """In the order alerting published them: a detection, a withdrawal, a detection again, a deadline passed."""
    for event in events:
        if isinstance(event, AnomalyDetected):
            await repository.add_alerts(uow.session, [event])
        elif isinstance(event, AnomalyResolved):
            await repository.withdraw_alerts(uow.session, [event])
        else:
            await repository.mark_overdue(uow.session, [event])


async def on_match_failed(events: list[MatchFailed], uow: UnitOfWork) -> None:
    await repository.open_match_cases(uow.session, [e for e in events if opens_case(e.payload.reason)])
