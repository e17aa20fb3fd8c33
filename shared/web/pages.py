"""Server-rendered pages for people: one look for every service (templates/base.html, bizpulse-*.css).

A service's page template extends the shared one:

    {% extends "base.html" %}
    {% block title %}工作台{% endblock %}
    {% block nav %}<a href="{{ root }}/workbench" aria-current="page">工作台</a>{% endblock %}
    {% block main %}…{% endblock %}
    {% block scripts %}<script src="{{ assets.echarts }}"></script><script src="{{ root }}/static/…"></script>{% endblock %}

and its route renders it for the person behind the session cookie:

    pages = Pages(Path(__file__).parent / "templates")      # the service's folder, then the shared one

    @router.get("/workbench", include_in_schema=False)
    async def workbench(request: Request, principal: Annotated[Principal, Depends(page_principal)]):
        return pages.render(request, "workbench.html", cases=…)

Every template sees `principal`, `unit` (the person's township, division or city, in Chinese),
`root` (the proxy's prefix: write links as `{{ root }}/path`), `assets` (URLs of the shared CSS,
JS, ECharts and the Jieyang map) and `csrf_token`. Pages forbid inline scripts (Content-Security-
Policy): JavaScript lives in static files, data for it in `<script type="application/json">`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shared.accounts import CITY_CODES
from shared.auth import Principal, Role, authenticate, session_cookie
from shared.contracts import MATCH_METHOD_ZH
from shared.records import KINDS
from shared.reference import DIVISIONS, TOWNSHIPS, department_name
from shared.web import ASSETS, STATIC_PATH
from shared.working_days import LOCAL_TZ

PLATFORM_NAME = "商业主体经济数据动态分析服务平台"
TEMPLATES = Path(__file__).parent / "templates"
CITY_NAME = "揭阳市"
_PAGE_HEADERS = {
    "Cache-Control": "no-store",  # a page holds one person's data: no shared or back-button copies
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def local_time(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A stored instant (UTC) as people in the city read it: Beijing time."""
    return moment.astimezone(LOCAL_TZ).strftime(pattern)


def unit_of(principal: Principal) -> str:
    """The unit a principal acts for, as people name it."""
    if principal.role is Role.TOWNSHIP:
        township = TOWNSHIPS[principal.code]
        return f"{township.division_name}{township.name}"
    if principal.role is Role.SUPERVISOR:
        return CITY_NAME if principal.code in CITY_CODES else DIVISIONS[principal.code]
    return principal.code


def role_label(principal: Principal) -> str:
    if principal.role is Role.TOWNSHIP:
        return "乡镇（街道）负责人" if principal.person and principal.person.leads_township else "乡镇（街道）工作人员"
    if principal.role is Role.SUPERVISOR:
        return "市级督查" if principal.code in CITY_CODES else "县（市、区）督查"
    return "部门用户"


def root_of(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def _page_context(request: Request) -> dict[str, Any]:
    principal: Principal | None = getattr(request.state, "principal", None)
    root = root_of(request)
    return {
        "platform_name": PLATFORM_NAME,
        "root": root,
        "assets": {name: f"{root}{STATIC_PATH}/{path}" for name, path in ASSETS.items()},
        "principal": principal,
        "unit": unit_of(principal) if principal else "",
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }


class Pages:
    """Renders templates from a service's own folders first, then the shared ones."""

    def __init__(self, *directories: Path) -> None:
        self._templates = Jinja2Templates(directory=[*directories, TEMPLATES], context_processors=[_page_context])
        self._templates.env.filters["local"] = local_time
        self._templates.env.globals["match_method_zh"] = MATCH_METHOD_ZH  # why a record is an entity's, in words
        self._templates.env.globals["kind_zh"] = {name: kind.title_zh for name, kind in KINDS.items()}
        self._templates.env.globals["department_name"] = department_name

    def render(
        self, request: Request, name: str, status_code: int = 200, headers: Mapping[str, str] | None = None, **context: Any
    ) -> HTMLResponse:
        return self._templates.TemplateResponse(
            request, name, context, status_code=status_code, headers={**_PAGE_HEADERS, **(headers or {})}
        )


def login_location(request: Request) -> str:
    """The login page, coming back to this page after."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{root_of(request)}/login?next={quote(here, safe='')}"


async def page_principal(request: Request, cookie: Annotated[str | None, Depends(session_cookie)]) -> Principal:
    """FastAPI dependency of a page: the person behind the session cookie; without a valid session
    the browser is sent to the login page (303), and comes back here after logging in."""
    try:
        return await authenticate(request, None, cookie)
    except HTTPException as exc:
        if exc.status_code != status.HTTP_401_UNAUTHORIZED:
            raise
        raise HTTPException(
            status.HTTP_303_SEE_OTHER,
            detail={"code": "login_required", "message": "请先登录"},
            headers={"Location": login_location(request)},
        ) from exc
