"""Who may call the township worklist endpoints, and the answer when they may not see an item."""

from typing import Annotated

from fastapi import Depends, HTTPException, status

from shared.auth import Principal, Role, require_role

TownshipPrincipal = Annotated[Principal, Depends(require_role(Role.TOWNSHIP))]
AnyReader = Annotated[Principal, Depends(require_role(Role.TOWNSHIP, Role.SUPERVISOR))]


def not_found(code: str, message_zh: str) -> HTTPException:
    """The same answer for "does not exist" and "another township's": existence is not disclosed."""
    return HTTPException(status.HTTP_404_NOT_FOUND, detail={"code": code, "message": message_zh})
