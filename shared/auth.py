"""Authentication for every HTTP API, and the scope each principal may act in.

Machines present an API key (`Authorization: Bearer`); keys are configured by their SHA-256 only,
so a leaked configuration leaks no usable key. People log in to the pages and present the session
cookie (shared/sessions.py), acting under their own name with their account's role and code.
A department principal may submit only its own kinds; a township principal sees only its own
township; a supervisor (county or city) reads everything in its area, and reviews or returns its
townships' resolved cases (and decides transfers) but submits no data.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from shared.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, SAFE_METHODS


class Role(enum.StrEnum):
    DEPARTMENT = "department"
    TOWNSHIP = "township"
    SUPERVISOR = "supervisor"


class ApiKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    sha256: str
    role: Role
    code: str  # department code, township code, or the division/city code a supervisor oversees


@dataclass(frozen=True)
class Person:
    """The named person behind a principal who logged in (none behind an API key)."""

    username: str
    display_name: str
    leads_township: bool = False  # may assign the township's cases


@dataclass(frozen=True)
class Principal:
    role: Role
    code: str
    person: Person | None = None

    @property
    def actor(self) -> str:
        """Who acted, as recorded: `township:445202101` for a key, `township:445202101:zhangsan` for a person."""
        base = f"{self.role}:{self.code}"
        return f"{base}:{self.person.username}" if self.person else base

    @property
    def township_prefix(self) -> str | None:
        """Township codes this principal may read start with this; None for departments."""
        if self.role is Role.TOWNSHIP:
            return self.code
        if self.role is Role.SUPERVISOR:
            # a city code (445200) oversees every division under it, a division code its townships
            return self.code[:4] if self.code.endswith("00") else self.code
        return None

    def can_see_township(self, township_code: str) -> bool:
        prefix = self.township_prefix
        return prefix is not None and township_code.startswith(prefix)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(24)


class KeyRing:
    """Looks a presented key up by its hash in constant time per entry."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = keys

    def principal(self, presented: str) -> Principal | None:
        digest = hash_key(presented)
        for key in self._keys:
            if hmac.compare_digest(key.sha256, digest):
                return Principal(key.role, key.code)
        return None


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail={"code": "unauthenticated", "message": message},
        headers={"WWW-Authenticate": "Bearer"},
    )


# Declared in each API's OpenAPI document: /docs offers to send the key, clients and fuzzers know it.
_bearer = HTTPBearer(auto_error=False, description="the API key issued to a department, township or supervisor")
session_cookie = APIKeyCookie(
    name=COOKIE, auto_error=False,
    description=f"a person's session, set by POST /login; changes also need the {CSRF_HEADER} header",
)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(session_cookie)],
) -> Principal:
    """FastAPI dependency: the principal behind `Authorization: Bearer <key>`, else behind the session
    cookie (then a state-changing request must prove it comes from our own page: the CSRF token).
    A person's principal and CSRF token are left on request.state for the page templates."""
    if credentials is not None:
        principal = request.app.state.key_ring.principal(credentials.credentials)
        if principal is None:
            raise _unauthorised("访问凭证无效")
        return principal
    session = request.app.state.sessions.open(cookie) if cookie else None
    if session is None:
        raise _unauthorised(
            "登录已过期，请重新登录" if cookie else "缺少访问凭证：请登录，或在 Authorization 头中提供 Bearer 密钥"
        )
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
        (await _presented_csrf_token(request)).encode(), session.csrf_token.encode()
    ):
        raise forbidden("csrf_token_invalid", "页面已失效，请刷新页面后重试")
    request.state.principal = session.principal
    request.state.csrf_token = session.csrf_token
    return session.principal


async def _presented_csrf_token(request: Request) -> str:
    """The header (pages' JavaScript), or the field of a plain URL-encoded form; a multipart upload
    must use the header, so that no upload is parsed before the route sets its limits."""
    if token := request.headers.get(CSRF_HEADER):
        return token
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        token = (await request.form()).get(CSRF_FIELD)
        return token if isinstance(token, str) else ""
    return ""


def forbidden(code: str, message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail={"code": code, "message": message})


def require_role(*roles: Role):
    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise forbidden("role_not_allowed", "当前账号无权执行此操作")
        return principal

    return check
