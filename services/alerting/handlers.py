"""Transport: record-matched and feedback-submitted in; anomaly-detected out (through the outbox)."""

from __future__ import annotations

from shared import topics
from shared.contracts import AnomalyDetected, AnomalyPayload, FeedbackAction, FeedbackSubmitted, RecordMatched
from shared.messaging.outbox import UnitOfWork
from shared.records import PowerUsage, TaxPayment

from services.alerting.domain.rules import power_without_tax
from services.alerting.settings import AlertingSettings
from services.alerting.storage import repository
from services.alerting.telemetry import ANOMALIES

PRODUCER = "alerting"
_STATUS_AFTER = {FeedbackAction.ACKNOWLEDGE: "acknowledged", FeedbackAction.RESOLVE: "resolved"}


def _fact(event: RecordMatched) -> dict | None:
    record = event.payload.record
    if record.kind == "power_usage":
        value = PowerUsage.model_validate(record.data).kwh
    elif record.kind == "tax_payment":
        value = float(TaxPayment.model_validate(record.data).amount)
    else:
        return None
    return {
        "record_id": record.record_id,
        "version": record.version,
        "uscc": event.payload.uscc,
        "period": record.period,
        "kind": record.kind,
        "value": value * event.payload.share,
        "entity_name": event.payload.entity_name,
        "township_code": event.payload.entity_township_code,
    }


class AlertingHandlers:
    def __init__(self, settings: AlertingSettings) -> None:
        self._settings = settings

    async def on_record_matched(self, events: list[RecordMatched], uow: UnitOfWork) -> None:
        rows = [(event, fact) for event in events if (fact := _fact(event)) is not None]
        await repository.upsert_facts(uow.session, [fact for _, fact in rows])
        months = await repository.month_facts(uow.session, ((f["uscc"], f["period"]) for _, f in rows))
        findings = [
            (finding, month)
            for month in months
            if (finding := power_without_tax(month, self._settings.power_without_tax_min_kwh)) is not None
        ]
        new = await repository.open_alerts(uow.session, findings)
        cause = {(f["uscc"], f["period"]): event for event, f in rows}
        for finding, month in findings:
            if finding.alert_id not in new:
                continue
            trigger = cause[(month.uscc, month.period)]
            anomaly = AnomalyDetected.create(
                AnomalyPayload(
                    alert_id=finding.alert_id,
                    rule=finding.rule,
                    uscc=month.uscc,
                    entity_name=month.entity_name,
                    township_code=month.township_code,
                    period=month.period,
                    facts=finding.facts,
                    message_zh=finding.message_zh,
                    record_ids=list(month.record_ids),
                ),
                producer=PRODUCER,
                correlation_id=trigger.correlation_id,
                cause=trigger,
            )
            uow.emit(anomaly, key=month.uscc)
            uow.emit(anomaly, key=month.uscc, topic=topics.township_alerts(month.township_code))
            ANOMALIES.labels(finding.rule).inc()

    async def on_feedback_submitted(self, events: list[FeedbackSubmitted], uow: UnitOfWork) -> None:
        for event in events:
            if not event.payload.action.decides_match:  # match cases are the matcher's
                await repository.advance_alert_status(uow.session, event.payload.alert_id, _STATUS_AFTER[event.payload.action])
