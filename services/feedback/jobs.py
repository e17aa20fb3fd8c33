"""Background work of feedback: overdue cases are escalated (督办) to the county, then the city, each
as an event on the supervisors' topic and the township's own."""

from __future__ import annotations

from datetime import datetime

from shared import topics
from shared.contracts import CaseEscalated, CaseState, EscalationPayload
from shared.messaging.outbox import UnitOfWork
from shared.service import Service
from shared.service.periodic import every
from shared.working_days import LOCAL_TZ, WorkingCalendar

from services.feedback.casework import PRODUCER
from services.feedback.domain.dispositions import CasePolicy
from services.feedback.domain.escalation import escalation
from services.feedback.storage import casework
from services.feedback.storage.tables import outbox

SWEEP_LOCK = 0x6665656462  # "feedb": one escalating instance at a time


def sweep_forever(service: Service, policy: CasePolicy):
    async def escalate(session, uow: UnitOfWork, now: datetime) -> None:
        today, calendar = now.astimezone(LOCAL_TZ).date(), WorkingCalendar.china()
        for row in await casework.overdue(session, today):
            found = escalation(CaseState(row["state"]), row["acknowledge_due"], row["resolve_due"], row["escalation"],
                               row["escalated_at"].astimezone(LOCAL_TZ).date() if row["escalated_at"] else None,
                               today, calendar, policy.escalation.city_after_working_days)
            if found is None:
                continue
            event = CaseEscalated.create(EscalationPayload(
                case_id=row["case_id"], kind=row["kind"], township_code=row["township_code"], level=found.level,
                deadline=found.deadline, due=found.due, state=row["state"], title=row["title"],
                subject=row["subject"], message_zh=found.message_zh(row["title"]),
            ), producer=PRODUCER, correlation_id=row["case_id"])
            code = row["township_code"]
            above = topics.county_alerts(code[:6]) if found.level == "county" else topics.city_alerts(code[:4] + "00")
            for topic in (above, topics.township_alerts(code)):
                uow.emit(event, key=str(row["case_id"]), topic=topic)
            await casework.escalated(session, row["case_id"], found.level, now)

    return every(service, service.settings.sweep_seconds, SWEEP_LOCK, outbox, escalate, "feedback escalation sweep")
