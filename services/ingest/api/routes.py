"""HTTP intake: JSON batches, spreadsheet uploads, the timeliness of what each department owes, and the
corrections townships have asked of it (数据错误)."""


import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, ValidationError

from shared.auth import Principal, Role, forbidden, require_role
from shared.contracts import SubmissionStatus
from shared.messaging.outbox import UnitOfWork
from shared.records import RecordKind
from shared.service import Service
from shared.service.http import DepartmentFilter, Paged, PeriodFilter, error_responses

from services.ingest.application import ImportReport, Intake, IntakeRefused
from services.ingest.domain.corrections import RequestStatus
from services.ingest.domain.rate_limit import TokenBuckets
from services.ingest.domain.spreadsheets import FileFormatError, read_rows
from services.ingest.settings import IngestSettings
from services.ingest.storage import repository
from services.ingest.storage.tables import outbox
from services.ingest.telemetry import observe


class RecordBatch(BaseModel):
    kind: str = Field(description="declared record kind, e.g. registration, tax_payment, power_usage")
    records: list[Any] = Field(description="rows of that kind; each is validated on its own")
    row_numbers: list[int] | None = Field(
        default=None, description="how the sender numbers these rows (e.g. its file's lines), used in errors"
    )


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
    errors: list[RowErrorOut] = Field(description="per-field errors (the first ones, for an upload)")
    warnings: list[RowErrorOut] = Field(
        default_factory=list, description="accepted rows to correct at the source, e.g. a USCC failing its check character"
    )

    @classmethod
    def of(cls, report: ImportReport) -> "ImportReply":
        return cls(
            kind=report.kind,
            received=report.received,
            accepted=report.accepted,
            corrections=report.corrections,
            duplicates=report.duplicates,
            rejected=report.rejected_rows,
            errors=[RowErrorOut(**e.__dict__) for e in report.errors],
            warnings=[RowErrorOut(**e.__dict__) for e in report.warnings],
        )


class Assessment(BaseModel):
    department: str
    kind: str
    period: str
    deadline: str
    status: SubmissionStatus
    first_arrival: str | None


class CorrectionRecordOut(BaseModel):
    record_id: uuid.UUID
    kind: str
    source_key: str
    period: str | None


class CorrectionRequestOut(BaseModel):
    request_id: uuid.UUID
    feedback_id: uuid.UUID = Field(description="the township's resolution that asked for it")
    alert_id: uuid.UUID = Field(description="the alert (case) whose records were found wrong")
    department: str
    records: list[CorrectionRecordOut] = Field(description="the records to check and send again")
    township_code: str = Field(description="the township that verified them")
    note: str = Field(description="what the township found")
    rule: str | None
    uscc: str | None
    period: str | None
    requested_at: datetime
    status: Literal["open", "answered"] = Field(description="answered once one of the records is sent again changed")
    status_zh: str
    answered_at: datetime | None

    @classmethod
    def of(cls, row) -> "CorrectionRequestOut":
        status = RequestStatus(row["status"])
        return cls(
            **{k: row[k] for k in ("request_id", "feedback_id", "alert_id", "department", "township_code", "note",
                                   "rule", "uscc", "period", "requested_at", "answered_at")},
            records=[CorrectionRecordOut(**r) for r in row["records"]], status=status.value, status_zh=status.label_zh,
        )


Department = Annotated[Principal, Depends(require_role(Role.DEPARTMENT))]


def router(service: Service, intake: Intake) -> APIRouter:
    settings: IngestSettings = service.settings  # type: ignore[assignment]
    buckets = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
    api = APIRouter(prefix="/v1", tags=["intake"], responses=error_responses(401, 403, 422, 503))
    kinds = sorted(intake.kinds)  # the registry's, declarations added to this process included
    batch_schema = RecordBatch.model_json_schema()
    batch_schema["properties"]["kind"]["enum"] = kinds

    def rate_limited(principal: Department) -> Principal:
        wait = buckets.take(principal.code)
        if wait:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail={"code": "rate_limited", "message": f"提交过于频繁，请 {wait:.0f} 秒后重试"},
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        return principal

    Submitter = Annotated[Principal, Depends(rate_limited)]

    def kind_of(principal: Principal, name: str) -> RecordKind:
        try:
            return intake.kind_for(principal.code, name)
        except IntakeRefused as refused:
            raise HTTPException(refused.status, detail={"code": refused.code, "message": refused.message_zh}) from None

    async def import_chunk(kind, rows, row_numbers, channel) -> ImportReport:
        started = time.perf_counter()
        async with service.sessions() as session, session.begin():
            uow = UnitOfWork(session, outbox)
            report = await intake.import_rows(uow, kind=kind, rows=rows, row_numbers=row_numbers, channel=channel)
            await uow.flush()
        service.relay.wake()
        observe(kind, report, channel, time.perf_counter() - started)
        return report

    @api.post(
        "/records",
        response_model=ImportReply,
        responses=error_responses(413, 429),
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": batch_schema}}}
        },
    )
    async def submit_records(request: Request, principal: Submitter) -> ImportReply:
        """Submit a batch of one kind; valid rows are accepted even when others are rejected (see `errors`)."""
        try:  # parsed by pydantic-core straight from bytes: the hot path of every department's intake
            batch = RecordBatch.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
        kind = kind_of(principal, batch.kind)
        if len(batch.records) > settings.max_rows_per_request:
            raise HTTPException(
                status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                detail={"code": "too_many_rows", "message": f"单次最多报送 {settings.max_rows_per_request} 行，请分批提交"},
            )
        if batch.row_numbers is not None and len(batch.row_numbers) != len(batch.records):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                detail={"code": "row_numbers_mismatch", "message": "row_numbers 的个数须与 records 一致"},
            )
        return ImportReply.of(await import_chunk(kind, batch.records, batch.row_numbers, "http"))

    @api.post("/uploads", response_model=ImportReply, responses=error_responses(413, 429))
    async def upload_file(
        principal: Submitter,
        file: Annotated[UploadFile, File(description="CSV (UTF-8, GBK or GB18030) or XLSX, Chinese or field-name headers")],
        kind: Annotated[str, Query(description="the record kind the file holds", json_schema_extra={"enum": kinds})],
    ) -> ImportReply:
        """Upload a department's exported spreadsheet; it is read and imported in chunks as it streams."""
        record_kind = kind_of(principal, kind)
        try:
            sheet = await run_in_threadpool(read_rows, file.file, file.filename or "", record_kind.columns())
            total = ImportReport(kind=record_kind.name)
            while chunk := await run_in_threadpool(_take, sheet.rows, settings.upload_chunk_rows):
                numbers, rows = zip(*chunk, strict=True)
                report = await import_chunk(record_kind, list(rows), list(numbers), "upload")
                total.add(report, settings.max_errors_reported)
        except FileFormatError as bad:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                detail={"code": bad.code, "message": bad.message_zh, "row": bad.row},
            ) from None
        return ImportReply.of(total)

    @api.get("/timeliness", response_model=list[Assessment])
    async def get_timeliness(
        principal: Annotated[Principal, Depends(require_role(Role.DEPARTMENT, Role.SUPERVISOR))],
        page: Paged,
        period: PeriodFilter = None,
        department: DepartmentFilter = None,
    ) -> list[Assessment]:
        """On time / late / missing per department, kind and period. A department sees its own."""
        if principal.role is Role.DEPARTMENT:
            if department not in (None, principal.code):
                raise forbidden("department_not_allowed", "只能查看本部门的报送情况")
            department = principal.code
        async with service.sessions() as session:
            rows = await repository.list_assessments(session, department, period, page.limit, page.offset)
        return [
            Assessment(
                department=r["department"], kind=r["kind"], period=r["period"], deadline=r["deadline"].isoformat(),
                status=r["status"], first_arrival=r["first_arrival"].isoformat() if r["first_arrival"] else None,
            )
            for r in rows
        ]

    @api.get("/corrections", response_model=list[CorrectionRequestOut])
    async def list_corrections(
        principal: Department,
        page: Paged,
        status_filter: Annotated[
            Literal["open", "answered"] | None, Query(alias="status", description="open or answered")
        ] = None,
    ) -> list[CorrectionRequestOut]:
        """The corrections townships have asked of the calling department (数据错误), newest first. A request is
        answered when the department sends one of its records again changed (the same source key and period)."""
        async with service.sessions() as session:
            rows = await repository.list_correction_requests(session, principal.code, status_filter, page.limit,
                                                             page.offset)
        return [CorrectionRequestOut.of(r) for r in rows]

    @api.get("/corrections/{request_id}", response_model=CorrectionRequestOut, responses=error_responses(404))
    async def get_correction(principal: Department, request_id: uuid.UUID) -> CorrectionRequestOut:
        """One of the calling department's correction requests; another department's is not found."""
        async with service.sessions() as session:
            row = await repository.get_correction_request(session, principal.code, request_id)
        if row is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail={"code": "correction_not_found", "message": "未找到该更正请求"}
            )
        return CorrectionRequestOut.of(row)

    return api


def _take(rows: Iterator[tuple[int, dict[str, str]]], n: int) -> list[tuple[int, dict[str, str]]]:
    return list(islice(rows, n))

