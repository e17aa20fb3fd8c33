"""The township workbench (乡镇工作台): server-rendered pages over the same reads as the JSON API
(/v1/cases, /v1/assessment), for officers on phones and supervisors at desks. Acts are sent by the
page's script to the API, each with its own Idempotency-Key, so a retry on a bad network acts once."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from shared.auth import Principal, Role
from shared.contracts import CaseState
from shared.reference import TOWNSHIPS
from shared.web.pages import Pages, page_principal

from services.feedback.api.assessment import this_month
from services.feedback.api.cases import KIND_ZH, local_today, read_case, read_worklist
from services.feedback.assessing import assessment_of, within
from services.feedback.casework import Casework
from services.feedback.domain.cases import CaseKind
from services.feedback.storage import repository
from services.feedback.storage.casework import Filters

HERE = Path(__file__).parent
SCRIPT = "workbench-3.js"  # the version in the name: raised whenever the script changes
Person = Annotated[Principal, Depends(page_principal)]


def router(casework: Casework) -> APIRouter:
    pages = Pages(HERE / "templates")
    names = {a.username: a.display_name for a in casework.service.settings.accounts}  # who acted, as people say it
    web = APIRouter(include_in_schema=False)

    def render(request: Request, name: str, principal: Principal, **context) -> HTMLResponse:
        return pages.render(request, name, script=f"/workbench/{SCRIPT}", is_supervisor=principal.role is Role.SUPERVISOR,
                            names=names, **context)

    @web.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse("cases", status_code=303)

    @web.get("/workbench/" + SCRIPT)
    async def script() -> FileResponse:
        return FileResponse(HERE / "static" / SCRIPT, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=31536000, immutable"})

    @web.get("/cases")
    async def worklist(
        request: Request, principal: Person,
        state: Annotated[CaseState | None, Query()] = None,
        kind: Annotated[CaseKind | None, Query()] = None,
        overdue: Annotated[bool, Query()] = False,
    ) -> HTMLResponse:
        cases = await read_worklist(casework, principal, Filters(kind=kind, state=state,
                                                                 overdue_on=local_today() if overdue else None), 200, 0)
        return render(request, "cases.html", principal, cases=cases, states=list(CaseState), kinds=KIND_ZH,
                      state=state, kind=kind, overdue=overdue, townships=TOWNSHIPS, page="cases")

    @web.get("/cases/{case_id}")
    async def case_page(request: Request, case_id: uuid.UUID, principal: Person) -> HTMLResponse:
        case = await read_case(casework, case_id, principal)
        match_case = None
        if case.kind is CaseKind.MATCH_CASE:  # what the matcher could not link, and its candidates
            async with casework.service.read_sessions() as session:
                match_case = await repository.get_match_case(session, case_id)
        officers = sorted(casework.officers_of(case.township_code))
        neighbours = [t for code, t in TOWNSHIPS.items() if code != case.township_code]
        return render(request, "case.html", principal, case=case, match_case=match_case, townships=TOWNSHIPS,
                      officers=officers,
                      neighbours=neighbours, dispositions=casework.dispositions.for_kind(case.kind.value), page="cases")

    @web.get("/assessment")
    async def assessment_page(
        request: Request, principal: Person,
        month: Annotated[str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")] = None,
    ) -> HTMLResponse:
        async with casework.service.sessions() as session:
            found = await assessment_of(session, month or this_month(), sorted(TOWNSHIPS))
        return render(request, "assessment.html", principal, assessment=within(found, principal.township_prefix or ""),
                      townships=TOWNSHIPS, page="assessment")

    return web
