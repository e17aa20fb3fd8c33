"""Transport: anomaly-detected and match-failed in, onto the townships' worklist; the departments'
correction requests and answers in, for the clock 效能监测 charges them."""

from dataclasses import dataclass

from shared.contracts import (
    AlertDeadlinePassed,
    AnomalyDetected,
    AnomalyResolved,
    AnomalyUpdated,
    CorrectionAnswered,
    CorrectionRequested,
    MatchFailed,
)
from shared.messaging.outbox import UnitOfWork

from services.feedback.domain.dispositions import CasePolicy
from services.feedback.domain.match_cases import opens_case
from services.feedback.storage import repository


@dataclass(frozen=True)
class Handlers:
    policy: CasePolicy

    async def on_anomaly(
        self, events: list[AnomalyDetected | AnomalyUpdated | AnomalyResolved | AlertDeadlinePassed], uow: UnitOfWork
    ) -> None:
        """In the order alerting published them: a detection, a change of its figures, a withdrawal, a
        detection again. A deadline alerting saw pass is its own view; the case's clock is feedback's
        (returns, transfers)."""
        for event in events:
            if isinstance(event, AnomalyDetected):
                await repository.add_alerts(uow.session, [event], self.policy.default_deadlines)
            elif isinstance(event, AnomalyUpdated):
                await repository.update_alerts(uow.session, [event])
            elif isinstance(event, AnomalyResolved):
                await repository.withdraw_alerts(uow.session, [event])

    async def on_match_failed(self, events: list[MatchFailed], uow: UnitOfWork) -> None:
        await repository.open_match_cases(
            uow.session, [e for e in events if opens_case(e.payload.reason)], self.policy.default_deadlines)

    async def on_correction(self, events: list[CorrectionRequested | CorrectionAnswered], uow: UnitOfWork) -> None:
        await repository.record_corrections(uow.session, events)
