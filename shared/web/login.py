"""Logging in and out of the pages, the same in every service that serves pages (feedback, analytics).

GET /login shows the form; POST /login checks the password (argon2, as long for an unknown name as
for a wrong password), sets the session cookie (HttpOnly, SameSite=Strict, Path=/, Secure over
HTTPS) and sends the browser on to `next` (a path on this host) or the service's home page. Five
failed attempts for one user name from one address within 15 minutes make that pair wait out the
window (429): enough for a person who mistyped, far too few to guess a password. The count is per
process, which bounds guessing per replica; a reverse proxy's own limit can add to it.
POST /logout clears the cookie. Both posts come only from our own pages: a cross-site Origin is
refused, so no other site can log a browser in under another name or out.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from shared.auth import Principal, forbidden
from shared.sessions import COOKIE
from shared.web.pages import Pages, page_principal, role_label, root_of

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
_MAX_TRACKED = 10_000  # pairs remembered at most: a flood of names cannot exhaust memory


class LoginThrottle:
    """Counts failed logins per (user name, client address) within a sliding window."""

    def __init__(self, clock=time.monotonic) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._clock = clock

    def wait_seconds(self, key: tuple[str, str]) -> int:
        """0 if this pair may try now, else how long until its oldest failure leaves the window."""
        failures = self._recent(key)
        if len(failures) < MAX_FAILURES:
            return 0
        return max(1, int(failures[0] + WINDOW_SECONDS - self._clock()) + 1)

    def failed(self, key: tuple[str, str]) -> None:
        if key not in self._failures and len(self._failures) >= _MAX_TRACKED:
            for old in [k for k in self._failures if not self._recent(k)]:
                del self._failures[old]
            if len(self._failures) >= _MAX_TRACKED:
                self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(key, deque()).append(self._clock())

    def succeeded(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= self._clock() - WINDOW_SECONDS:
            failures.popleft()
        return failures


def safe_next(next_path: str, home: str) -> str:
    """Where to go after logging in: a path on this host only (the page that sent the person to log in,
    with the proxy's prefix), never another site (`//evil`, `/\\evil`)."""
    if next_path.startswith("/") and not next_path.startswith(("//", "/\\")) and not urlsplit(next_path).netloc:
        return next_path
    return home


def _same_origin(request: Request) -> None:
    """A form post must come from a page of this host (browsers always send Origin on a POST)."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise forbidden("cross_site_request", "请求来自其他网站，已拒绝")


def router(home: str = "/account") -> APIRouter:
    """`home`: where a person lands after logging in without a `next` page (the service's main page)."""
    api = APIRouter(include_in_schema=False)  # pages for people, not part of the API
    pages = Pages()
    throttle = LoginThrottle()

    def login_page(request: Request, next_path: str, status_code: int = 200, **context) -> Response:
        return pages.render(request, "login.html", status_code, **{"next": next_path, "username": "", "error": ""} | context)

    @api.get("/login")
    async def show_login(request: Request, next: str = "") -> Response:  # noqa: A002 - the parameter people see
        cookie = request.cookies.get(COOKIE)
        if cookie and request.app.state.sessions.open(cookie):
            return RedirectResponse(safe_next(next, f"{root_of(request)}{home}"), 303)
        return login_page(request, next)

    @api.post("/login", dependencies=[Depends(_same_origin)])
    async def log_in(
        request: Request,
        username: Annotated[str, Form(max_length=64)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        next: Annotated[str, Form(max_length=2048)] = "",  # noqa: A002
    ) -> Response:
        username = username.strip().lower()
        key = (username, request.client.host if request.client else "")
        if wait := throttle.wait_seconds(key):
            minutes = (wait + 59) // 60
            return login_page(
                request, next, 429, headers={"Retry-After": str(wait)}, username=username,
                error=f"登录失败次数过多，请 {minutes} 分钟后再试，或联系管理员重置密码",
            )
        sessions = request.app.state.sessions
        account = await asyncio.to_thread(sessions.accounts.verify, username, password)  # the loop serves on
        if account is None:
            throttle.failed(key)
            return login_page(request, next, 401, username=username, error="用户名或密码不正确")
        throttle.succeeded(key)
        response = RedirectResponse(safe_next(next, f"{root_of(request)}{home}"), 303)
        response.set_cookie(
            COOKIE, sessions.issue(account), max_age=sessions.max_age_seconds, path="/",
            httponly=True, samesite="strict", secure=request.url.scheme == "https",
        )
        return response

    @api.post("/logout", dependencies=[Depends(_same_origin)])
    async def log_out(request: Request) -> Response:
        response = RedirectResponse(f"{root_of(request)}/login", 303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @api.get("/account")
    async def account(request: Request, principal: Annotated[Principal, Depends(page_principal)]) -> Response:
        return pages.render(request, "account.html", role_label=role_label(principal))

    return api
