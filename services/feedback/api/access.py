"""Who may call the township worklist endpoints, who they act as, and the answers when they may not."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from shared.auth import Principal, Role, require_role

from services.feedback.casework import Caller, caller_refusal_status
from services.feedback.domain.cases import Actor, TransitionRefused

TownshipPrincipal = Annotated[Principal, Depends(require_role(Role.TOWNSHIP))]
AnyReader = Annotated[Principal, Depends(require_role(Role.TOWNSHIP, Role.SUPERVISOR))]


def not_found(code: str, message_zh: str) -> HTTPException:
    """The same answer for "does not exist" and "another township's": existence is not disclosed."""
    return HTTPException(status.HTTP_404_NOT_FOUND, detail={"code": code, "message": message_zh})


def refusal(refused: TransitionRefused) -> HTTPException:
    return HTTPException(caller_refusal_status(refused), detail={"code": refused.code, "message": refused.message_zh})


def caller(principal: Principal, request: Request | None = None) -> Caller:
    """The principal as the case domain sees it, with the device and the act's idempotency key."""
    headers = request.headers if request is not None else {}
    key = headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 100:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail={
            "code": "idempotency_key_invalid", "message": "Idempotency-Key 长度须为 1 到 100 个字符"})
    return Caller(
        actor=Actor(role=principal.role.value, code=principal.code,
                    person=principal.person.username if principal.person else None,
                    leads_township=bool(principal.person and principal.person.leads_township)),
        actor_id=principal.actor,
        device=headers.get("user-agent", ""),
        idempotency_key=key,
    )
