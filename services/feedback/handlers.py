"""Transport: anomaly-detected and match-failed in, onto the townships' worklist; the departments'
correction requests and answers in, for the clock 效能监测 charges them."""

from dataclasses import dataclass
from itertools import groupby

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
        for kind, run in groupby(events, type):  # a run of one kind at a time: the order between kinds holds
            if kind is AnomalyDetected:
                await repository.add_alerts(uow.session, list(run), self.policy.default_deadlines)
            elif kind is AnomalyUpdated:
                await repository.update_alerts(uow.session, list(run))
            elif kind is AnomalyResolved:
                await repository.withdraw_alerts(uow.session, list(run))

    async def on_match_failed(self, events: list[MatchFailed], uow: UnitOfWork) -> None:
        await repository.open_match_cases(
            uow.session, [e for e in events if opens_case(e.payload.reason)], self.policy.default_deadlines)

    async def on_correction(self, events: list[CorrectionRequested | CorrectionAnswered], uow: UnitOfWork) -> None:
        await repository.record_corrections(uow.session, events)
