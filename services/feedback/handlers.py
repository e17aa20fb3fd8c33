"""Transport: anomaly-detected in, onto the townships' worklist."""

from shared.contracts import AnomalyDetected
from shared.messaging.outbox import UnitOfWork

from services.feedback.storage import repository


async def on_anomaly_detected(events: list[AnomalyDetected], uow: UnitOfWork) -> None:
    await repository.add_alerts(uow.session, events)
