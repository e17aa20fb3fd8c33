"""部门记录 (#13): the department records behind 公共信息对比分析's linked, unlinked and pending
counts, so that none of them is a dead end — the unlinked and pending ones are those a township acts on.

Scoped as every analysis is (api/analyses.py's area_prefix): the caller's area, narrowed by
`area`, another township's area 404. A month's list holds what /v1/comparison counts of it: the
department's records of the month and its registers (domain/records.py).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shared.auth import Principal
from shared.records import KINDS
from shared.reference import DEPARTMENT_NAMES, TOWNSHIPS, department_name
from shared.service import Service
from shared.service.http import DepartmentFilter, Paged, error_responses
from shared.service.read_cache import cached

from services.analytics.api.analyses import AreaFilter, Month, Reader, _check_month, _refuse, area_prefix, known_filters
from services.analytics.domain import records as domain
from services.analytics.storage import repository
from services.analytics.storage.tables import FIGURES

KindFilter = Annotated[
    str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="record kind, e.g. tax_payment or power_account")
]
LinkFilter = Annotated[
    domain.LinkState | None, Query(description="linked (已关联), unlinked (未关联: match-failed) or pending (待匹配)")
]


class DepartmentRecord(BaseModel):
    record_id: uuid.UUID
    department: str
    department_name: str
    kind: str
    kind_zh: str
    period: str | None = Field(description="the month of a monthly record; none for a register's (税务登记, 用电户档案)")
    version: int = Field(description="1, +1 per correction")
    township_code: str
    township_name: str
    link: domain.LinkState
    link_zh: str = Field(description="已关联 / 未关联 / 待匹配")
    uscc: str | None = Field(description="the entity it is linked to (or the USCC the department sent)")
    entity_url: str | None = Field(description="the linked entity's panorama")
    source_key: str | None = Field(description="the department's key of the record (户号, 纳税人识别号), desensitised at import")
    name: str | None = Field(description="the name the record carries (户名, 纳税人名称), desensitised at import")
    identification_zh: str | None = Field(
        description="where to find who a record is of when analytics does not know (kept before it stored keys: "
                    "feedback's 待核实记录 case, opened by match-failed, shows them)")


def check_department(department: str | None, kind: str | None) -> None:
    """422 for a department or a record kind the platform does not know (a misspelt filter must not answer nothing)."""
    if department is not None and department not in DEPARTMENT_NAMES:
        raise _refuse("unknown_department", f"没有代码为 {department} 的部门（可用：{'、'.join(DEPARTMENT_NAMES)}）")
    if kind is not None and kind not in KINDS:
        raise _refuse("unknown_kind", f"没有代码为 {kind} 的记录类别（可用：{'、'.join(KINDS)}）")


@cached(reads=(FIGURES,))
async def read_records(
    service: Service, principal: Principal, panorama_path: str, period: str, department: str | None, kind: str | None,
    link: domain.LinkState | None, area: str | None, limit: int, offset: int,
) -> list[DepartmentRecord]:
    """部门记录 as the caller may see it (the API's and the page's); linked ones link to `panorama_path`/{uscc}."""
    _check_month(period)
    check_department(department, kind)
    prefix = area_prefix(principal, area)
    async with service.read_sessions() as session:
        found = await repository.list_records(session, prefix, period, department, kind,
                                              domain.LINK_RANKS[link] if link else None, limit, offset)
    listed = []
    for r in found:
        state = domain.link_of(r["match_rank"])
        township = TOWNSHIPS.get(r["township_code"])
        kind = KINDS.get(r["kind"])
        listed.append(DepartmentRecord(
            record_id=r["record_id"], department=r["department"], department_name=department_name(r["department"]),
            kind=r["kind"], kind_zh=kind.title_zh if kind else r["kind"], period=r["period"], version=r["version"],
            township_code=r["township_code"], township_name=township.name if township else "",
            link=state, link_zh=domain.LINK_ZH[state], uscc=r["uscc"],
            entity_url=f"{panorama_path}/{r['uscc']}" if state is domain.LinkState.LINKED and r["uscc"] else None,
            source_key=r["source_key"], name=r["record_name"], identification_zh=domain.identification_zh(state, r["source_key"]),
        ))
    return listed


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["analyses"], responses=error_responses(401, 403, 404, 422, 503))

    @api.get("/records", response_model=list[DepartmentRecord], name="list_records",
             dependencies=[known_filters("period", "department", "kind", "link", "area")])
    async def list_records(
        request: Request, principal: Reader, page: Paged, period: Month, department: DepartmentFilter = None,
        kind: KindFilter = None, link: LinkFilter = None, area: AreaFilter = None,
    ) -> list[DepartmentRecord]:
        """部门记录: the department records of the caller's area (narrowed by `area`) that
        /v1/comparison counts for `period` — the month's records and the registers' — of `department`,
        `kind` and `link` state, by township, department and kind. An unlinked record (the matcher found no
        entity) is one the township verifies in its workbench (事项: 待核实记录)."""
        return await read_records(service, principal, request.url_for("list_entities").path, period, department, kind, link,
                                  area, page.limit, page.offset)

    return api
