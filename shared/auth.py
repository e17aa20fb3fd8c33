"""API-key authentication for every HTTP API, and the scope each principal may act in.

Keys are configured by their SHA-256 only, so a leaked configuration leaks no usable key.
A department principal may submit only its own kinds; a township principal sees only its own
township; a supervisor (county or city) reads everything and changes nothing.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict


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
class Principal:
    role: Role
    code: str

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.code}"

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


def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """FastAPI dependency: the principal behind `Authorization: Bearer <key>`."""
    if credentials is None:
        raise _unauthorised("缺少访问凭证：请在 Authorization 头中提供 Bearer 密钥")
    principal = request.app.state.key_ring.principal(credentials.credentials)
    if principal is None:
        raise _unauthorised("访问凭证无效")
    return principal


def forbidden(code: str, message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail={"code": code, "message": message})


def require_role(*roles: Role):
    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise forbidden("role_not_allowed", "当前账号无权执行此操作")
        return principal

    return check
