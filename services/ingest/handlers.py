"""Kafka intake: department systems produce `{"kind", "records", "row_numbers"?}` to `intake.<department>`;
each message is imported like an HTTP batch and answered on `intake.<department>.results`.

Townships' findings: of every `feedback-submitted`, ingest takes only a 数据错误 resolution (a correction
request for the departments whose records the alert rests on); every other act is passed over unvalidated."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import ConsumerRecord
from pydantic import BaseModel, ValidationError

from shared import topics
from shared.contracts import DispositionEffect, FeedbackAction, FeedbackSubmitted, IntakeProcessed, IntakeReport, RowProblem
from shared.messaging import codec
from shared.messaging.codec import DecodeError
from shared.messaging.outbox import UnitOfWork

from services.ingest.application import ImportReport, Intake, IntakeRefused, request_corrections

_NAMESPACE = uuid.UUID("b6f0e7a2-3c51-4d8e-a1f9-7e2d4c6b8a10")


class _IntakeBody(BaseModel):
    kind: str
    records: list[Any]
    row_numbers: list[int] | None = None


@dataclass(frozen=True)
class IntakeMessage:
    event_id: uuid.UUID  # the message's position: a redelivered message is applied once
    department: str
    body: _IntakeBody
    key: bytes | None
    topic: str
    partition: int
    offset: int


def decode_intake(record: ConsumerRecord) -> IntakeMessage:
    try:
        body = _IntakeBody.model_validate(orjson.loads(record.value or b""))
    except orjson.JSONDecodeError as exc:
        raise DecodeError("not_json", f"value is not JSON: {exc}") from None
    except ValidationError as exc:
        raise DecodeError("schema_violation", "; ".join(f"{e['loc']}: {e['msg']}" for e in exc.errors()[:5])) from None
    if body.row_numbers is not None and len(body.row_numbers) != len(body.records):
        raise DecodeError("schema_violation", "row_numbers must have one number per record")
    return IntakeMessage(
        event_id=uuid.uuid5(_NAMESPACE, f"{record.topic}:{record.partition}:{record.offset}"),
        department=record.topic.removeprefix(topics.INTAKE_PREFIX),
        body=body,
        key=record.key,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )


def intake_handler(intake: Intake, max_errors: int):
    async def on_intake(messages: list[IntakeMessage], uow: UnitOfWork) -> None:
        for message in messages:
            source = {"source_topic": message.topic, "source_partition": message.partition, "source_offset": message.offset}
            try:
                kind = intake.kind_for(message.department, message.body.kind)
            except IntakeRefused as refused:
                result = IntakeReport(
                    department=message.department, kind=message.body.kind, status="refused",
                    refusal_code=refused.code, refusal_message=refused.message_zh, **source,
                )
            else:
                report = await intake.import_rows(
                    uow, kind=kind, rows=message.body.records, row_numbers=message.body.row_numbers, channel="kafka"
                )
                result = _result(message, report, max_errors, source)
            uow.emit(
                IntakeProcessed.create(result, producer="ingest", correlation_id=message.event_id, event_id=message.event_id),
                key=message.key.decode(errors="replace") if message.key else None,
                topic=topics.intake_results(message.department),
            )

    return on_intake


def _result(message: IntakeMessage, report: ImportReport, max_errors: int, source: dict) -> IntakeReport:
    return IntakeReport(
        department=message.department,
        kind=report.kind,
        status="processed",
        received=report.received,
        accepted=report.accepted,
        corrections=report.corrections,
        duplicates=report.duplicates,
        rejected=report.rejected_rows,
        errors=[RowProblem(**e.__dict__) for e in report.errors[:max_errors]],
        warnings=[RowProblem(**e.__dict__) for e in report.warnings[:max_errors]],
        **source,
    )


@dataclass(frozen=True)
class PassedOver:
    """A feedback act that is not ingest's business (every one but a 数据错误 resolution)."""

    event_id: uuid.UUID  # the message's position: read once, like every message


_FEEDBACK = {FeedbackSubmitted.type_name(): FeedbackSubmitted}


def decode_feedback(record: ConsumerRecord) -> FeedbackSubmitted | PassedOver:
    """Cheap for the acts ingest does not act on: one JSON parse and a look at the payload's action and
    effect; only a correction request is validated as the contract says (and dead-lettered if it is not)."""
    try:
        document = orjson.loads(record.value or b"")
    except orjson.JSONDecodeError as exc:
        raise DecodeError("not_json", f"value is not JSON: {exc}") from None
    payload = document.get("payload") if isinstance(document, dict) else None
    if not (
        isinstance(payload, dict)
        and payload.get("action") == FeedbackAction.RESOLVE
        and payload.get("effect") == DispositionEffect.CORRECTION_REQUEST
    ):
        return PassedOver(uuid.uuid5(_NAMESPACE, f"{record.topic}:{record.partition}:{record.offset}"))
    return codec.decode(record.value, _FEEDBACK)


async def on_feedback(events: list[FeedbackSubmitted | PassedOver], uow: UnitOfWork) -> None:
    for event in events:
        if isinstance(event, FeedbackSubmitted):
            await request_corrections(uow, event)
