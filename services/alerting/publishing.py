"""How what the judgements changed is told: anomaly-detected, anomaly-updated and anomaly-resolved, to
everyone and to each township concerned, with the event that caused them (or none, for the sweep's own
work)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from shared import topics
from shared.contracts import (
    AnomalyDetected,
    AnomalyPayload,
    AnomalyResolved,
    AnomalyResolvedPayload,
    AnomalyUpdated,
    AnomalyUpdatedPayload,
    Event,
    EvidenceLink,
    EvidenceMonth,
    EvidencePacket,
    derived_event_id,
)
from shared.messaging.outbox import UnitOfWork

from services.alerting import judging
from services.alerting.domain.history import History, month_of_period, shift
from services.alerting.storage import repository
from services.alerting.telemetry import ANOMALIES, RESOLVED, UPDATED

PRODUCER = "alerting"


EVIDENCE_MONTHS = 13  # the month and the same month a year before: what the rules compare


def evidence(history: History, period: str, links: list[EvidenceLink] = ()) -> EvidencePacket:
    """The packet a township verifies on site, frozen as the alert is raised."""
    entity = history.entity
    return EvidencePacket(
        industry_code=entity.industry_code, status=entity.status, status_since=entity.status_since,
        months=[EvidenceMonth(period=p, kwh=m.kwh, tax=m.tax)
                for p in (shift(period, -back) for back in range(EVIDENCE_MONTHS - 1, -1, -1))
                for m in [history.month(p)]],
        links=list(links),
    )


def _ids(cause: Event | None, what: str, fallback: uuid.UUID) -> dict:
    """Derived from the cause when there is one (a redelivery makes the same event); otherwise new."""
    if cause is None:
        return {"correlation_id": fallback}
    return {"correlation_id": cause.correlation_id, "cause": cause, "event_id": derived_event_id(cause.event_id, what)}


async def publish(changes: judging.Changes, uow: UnitOfWork, cause_of: Callable[[str], Event | None]) -> None:
    # why each record is the entity's, read once for every alert raised (records linked before the
    # matcher explained its links have none)
    told = changes.detected + [detection for detection, _ in changes.updated]
    links = await repository.fact_links(uow.session, [(r, d.finding.uscc) for d in told for r in d.record_ids])

    def packet(detection: judging.Detection) -> EvidencePacket:
        f = detection.finding
        return evidence(detection.history, month_of_period(f.period),
                        [links[r, f.uscc] for r in detection.record_ids if (r, f.uscc) in links])

    for detection in changes.detected:
        f = detection.finding
        anomaly = AnomalyDetected.create(
            AnomalyPayload(
                alert_id=f.alert_id, rule=f.rule, uscc=f.uscc, entity_name=detection.entity_name,
                township_code=f.township_code, period=f.period, facts=f.facts, message_zh=f.message_zh,
                record_ids=list(detection.record_ids), severity=f.severity, ruleset_version=f.ruleset_version,
                also_townships=list(f.also_townships), missing_departments=list(f.missing_departments),
                acknowledge_working_days=detection.severity.acknowledge_working_days,
                resolve_working_days=detection.severity.resolve_working_days,
                evidence=packet(detection),
            ),
            producer=PRODUCER,
            **_ids(cause_of(f.uscc), f"anomaly-detected:{f.alert_id}", f.alert_id),
        )
        route(anomaly, f.uscc, f.township_code, f.also_townships, uow)
        ANOMALIES.labels(f.rule).inc()
    for detection, previous_facts in changes.updated:
        f = detection.finding
        updated = AnomalyUpdated.create(
            AnomalyUpdatedPayload(
                alert_id=f.alert_id, rule=f.rule, uscc=f.uscc, township_code=f.township_code, period=f.period,
                ruleset_version=f.ruleset_version, facts=f.facts, previous_facts=dict(previous_facts),
                message_zh=f.message_zh, record_ids=list(detection.record_ids), evidence=packet(detection),
                also_townships=list(f.also_townships),
            ),
            producer=PRODUCER,
            **_ids(cause_of(f.uscc), f"anomaly-updated:{f.alert_id}", f.alert_id),
        )
        route(updated, f.uscc, f.township_code, f.also_townships, uow)
        UPDATED.labels(f.rule).inc()
    for alert in await repository.alert_details(uow.session, changes.resolved):
        resolved = AnomalyResolved.create(
            AnomalyResolvedPayload(
                alert_id=alert["alert_id"], rule=alert["rule"], uscc=alert["uscc"], township_code=alert["township_code"],
                period=alert["period"], ruleset_version=alert["ruleset_version"], also_townships=alert["also_townships"],
                message_zh=f"最新数据已不支持此预警（{alert['message_zh']}），已自动撤销",
            ),
            producer=PRODUCER,
            **_ids(cause_of(alert["uscc"]), f"anomaly-resolved:{alert['alert_id']}", alert["alert_id"]),
        )
        route(resolved, alert["uscc"], alert["township_code"], alert["also_townships"], uow)
        RESOLVED.labels(alert["rule"]).inc()


def route(event: Event, uscc: str, township_code: str, also: list[str] | tuple[str, ...], uow: UnitOfWork) -> None:
    """To everyone, and to each township concerned: the entity's, and any other a jurisdiction question names."""
    uow.emit(event, key=uscc)
    for township in dict.fromkeys((township_code, *also)):
        uow.emit(event, key=uscc, topic=topics.township_alerts(township))
