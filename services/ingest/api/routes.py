"""HTTP intake: a department posts a JSON batch of one kind of record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from shared.auth import Principal, Role, forbidden, require_role
from shared.messaging.outbox import UnitOfWork
from shared.records import KINDS
from shared.service import Service

from services.ingest.application import import_rows
from services.ingest.settings import IngestSettings
from services.ingest.storage.tables import outbox
from services.ingest.telemetry import ROWS


class RecordBatch(BaseModel):
    kind: str = Field(description="declared record kind, e.g. registration, tax_payment, power_usage")
    records: list[Any] = Field(description="rows of that kind; each is validated on its own")


class RowErrorOut(BaseModel):
    row: int
    field: str
    code: str
    message: str


class ImportReply(BaseModel):
    kind: str
    received: int
    accepted: int = Field(description="new records published")
    corrections: int = Field(description="records with the same identity and changed content: new version")
    duplicates: int = Field(description="identical to what was already received: not republished")
    rejected: int = Field(description="rows with at least one error")
    errors: list[RowErrorOut]


def router(service: Service) -> APIRouter:
    settings: IngestSettings = service.settings  # type: ignore[assignment]
    api = APIRouter(prefix="/v1", tags=["intake"])

    @api.post("/records", response_model=ImportReply)
    async def submit_records(
        batch: RecordBatch, principal: Annotated[Principal, Depends(require_role(Role.DEPARTMENT))]
    ) -> ImportReply:
        """Submit a batch; valid rows are accepted even when others are rejected (see `errors`)."""
        kind = KINDS.get(batch.kind)
        if kind is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                detail={"code": "unknown_kind", "message": f"未知的数据类型：{batch.kind}"},
            )
        if kind.department != principal.code:
            raise forbidden("kind_not_allowed", f"本部门无权报送“{kind.title_zh}”数据（由 {kind.department} 报送）")
        if len(batch.records) > settings.max_rows_per_request:
            raise HTTPException(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                detail={
                    "code": "too_many_rows",
                    "message": f"单次最多报送 {settings.max_rows_per_request} 行，请分批提交",
                },
            )
        async with service.sessions() as session, session.begin():
            uow = UnitOfWork(session, outbox)
            report = await import_rows(
                uow, kind=kind, rows=batch.records, channel="http", hmac_key=settings.hmac_key.get_secret_value().encode()
            )
            await uow.flush()
        service.relay.wake()
        labels = (kind.department, kind.name)
        ROWS.labels(*labels, "accepted").inc(report.accepted)
        ROWS.labels(*labels, "correction").inc(report.corrections)
        ROWS.labels(*labels, "duplicate").inc(report.duplicates)
        ROWS.labels(*labels, "rejected").inc(report.rejected_rows)
        return ImportReply(
            kind=report.kind,
            received=report.received,
            accepted=report.accepted,
            corrections=report.corrections,
            duplicates=report.duplicates,
            rejected=report.rejected_rows,
            errors=[RowErrorOut(**e.__dict__) for e in report.errors],
        )

    return api
