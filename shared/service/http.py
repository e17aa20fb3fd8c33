"""The HTTP conventions every service's API shares.

Every error answers `{"detail": {"code": ..., "message": ...}}`: a stable code for programs and a
Chinese message for people. Invalid requests list each field at fault (location, code, message)
and never echo what was sent: a body that is not UTF-8 cannot be encoded back, and a reply is
no place for a caller's bytes. Input no later stage can store (NUL, a lone surrogate) is refused
at the door. List endpoints page alike. A database or broker that does not answer is 503 with
Retry-After: the caller's request was fine and will succeed later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.messaging.errors import is_transient
from shared.service.limits import BodySizeLimit, BodyTooLarge
from shared.text import UNSTORABLE_CODE, UNSTORABLE_MESSAGE_ZH, is_storable, printable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5  # a restarting database or broker is usually back within seconds

REQUEST_INVALID = "request_invalid"
BODY_NOT_JSON = "body_not_json"
BODY_UNREADABLE = "body_unreadable"
SERVICE_UNAVAILABLE = "service_unavailable"
INTERNAL_ERROR = "internal_error"
_BODY_NOT_JSON_ZH = "请求体须为 UTF-8 编码的 JSON，并带 Content-Type: application/json"
_MAX_FIELD_ERRORS = 50  # a reply names at most this many fields (a list of 10,000 bad items would not help)
_MAX_NAME_CHARS = 64  # a location echoes a caller's key (an unknown field's name) up to this length


class FieldError(BaseModel):
    location: list[str | int] = Field(description='where the problem is, e.g. ["query", "offset"] or ["body", "note"]')
    code: str = Field(description="stable, for programs")
    message: str = Field(description="Chinese, for people")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # an error may add context, e.g. an upload's row number

    code: str = Field(description="stable, for programs")
    message: str = Field(description="Chinese, for people")
    errors: list[FieldError] | None = Field(default=None, description=f"{REQUEST_INVALID}: each field at fault")


class ErrorReply(BaseModel):
    detail: ErrorDetail


RETRY_AFTER_DOC = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}
"""The Retry-After header as an OpenAPI response declares it."""
_ERROR_DESCRIPTIONS = {
    401: "no key, or an unknown key (`unauthenticated`)",
    403: "the key's role or scope does not allow this",
    404: "no such item, or not the caller's to see",
    409: "the item's state does not allow this now",
    413: "the request is larger than allowed",
    422: (
        f"the request is invalid: `{REQUEST_INVALID}` (see `errors`), `{BODY_NOT_JSON}`, `{BODY_UNREADABLE}`,"
        " or a refusal named by its code"
    ),
    429: "too many requests: try again after Retry-After seconds",
    503: f"the database or the broker does not answer (`{SERVICE_UNAVAILABLE}`): try again after Retry-After seconds",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, all in the shared error shape."""
    return {
        status: {"model": ErrorReply, "description": _ERROR_DESCRIPTIONS[status]}
        | ({"headers": RETRY_AFTER_DOC} if status in (429, 503) else {})
        for status in statuses
    }


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **context: Any
) -> JSONResponse:
    """The shared error shape. Text is made encodable: a detail may quote what a caller sent."""
    return JSONResponse({"detail": _encodable({"code": code, "message": message, **context})}, status, headers)


def _encodable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, Mapping):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(v) for v in value]
    return value


# ---- invalid requests ------------------------------------------------------------------------

# pydantic's error types → (our code, Chinese message; {names} come from the error's context)
_FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "missing": ("required", "缺少必填项"),
    "string_type": ("not_text", "须为文本"),
    "string_too_short": ("too_short", "不能少于 {min_length} 个字符"),
    "string_too_long": ("too_long", "不能超过 {max_length} 个字符"),
    "string_pattern_mismatch": ("format_invalid", "格式不正确"),
    "string_unicode": (UNSTORABLE_CODE, UNSTORABLE_MESSAGE_ZH),  # pydantic's own refusal of a lone surrogate
    "int_type": ("not_an_integer", "须为整数"),
    "int_parsing": ("not_an_integer", "须为整数"),
    "int_from_float": ("not_an_integer", "须为整数"),
    "float_type": ("not_a_number", "须为数字"),
    "float_parsing": ("not_a_number", "须为数字"),
    "finite_number": ("not_a_number", "须为有限的数字"),
    "bool_type": ("not_a_boolean", "须为 true 或 false"),
    "bool_parsing": ("not_a_boolean", "须为 true 或 false"),
    "greater_than": ("too_small", "须大于 {gt}"),
    "greater_than_equal": ("too_small", "不能小于 {ge}"),
    "less_than": ("too_large", "须小于 {lt}"),
    "less_than_equal": ("too_large", "不能大于 {le}"),
    "literal_error": ("not_allowed", "不是允许的取值（见接口文档）"),
    "enum": ("not_allowed", "不是允许的取值（见接口文档）"),
    "uuid_type": ("not_a_uuid", "须为 UUID"),
    "uuid_parsing": ("not_a_uuid", "须为 UUID"),
    "dict_type": ("not_an_object", "须为 JSON 对象"),
    "model_type": ("not_an_object", "须为 JSON 对象"),
    "model_attributes_type": ("not_an_object", "须为 JSON 对象"),
    "list_type": ("not_a_list", "须为数组"),
    "too_short": ("too_few_items", "至少须有 {min_length} 项"),
    "too_long": ("too_many_items", "最多 {max_length} 项"),
    "extra_forbidden": ("unknown_field", "不是可用的字段"),
}
_VALUE_ERRORS = {UNSTORABLE_CODE: UNSTORABLE_MESSAGE_ZH}  # validators that raise ValueError(<our code>)
_INVALID = ("invalid", "取值不符合要求")


def _field_error(error: Mapping[str, Any]) -> FieldError:
    code, message = _FIELD_ERRORS.get(error["type"], _INVALID)
    context = error.get("ctx") or {}
    if error["type"] == "value_error" and str(context.get("error")) in _VALUE_ERRORS:
        code = str(context["error"])
        message = _VALUE_ERRORS[code]
    with_context = message.format_map(context) if "{" in message else message
    location = [part if isinstance(part, int) else printable(str(part))[:_MAX_NAME_CHARS] for part in error["loc"]]
    return FieldError(location=location, code=code, message=with_context)


def request_invalid(errors: Sequence[Mapping[str, Any]]) -> JSONResponse:
    """422 for pydantic/FastAPI validation errors: `body_not_json`, or `request_invalid` with each field."""
    if any(e["type"] == "json_invalid" or isinstance(e.get("input"), bytes | bytearray) for e in errors):
        return error_response(422, BODY_NOT_JSON, _BODY_NOT_JSON_ZH)  # bytes input: JSON expected, none sent
    fields = [_field_error(e) for e in errors[:_MAX_FIELD_ERRORS]]
    first = fields[0]
    more = f"（另有 {len(errors) - 1} 处）" if len(errors) > 1 else ""
    where = ".".join(map(str, first.location))
    return error_response(
        422, REQUEST_INVALID, f"请求参数有误：{where} {first.message}{more}", errors=[f.model_dump() for f in fields]
    )


async def _on_request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
    return request_invalid(exc.errors())


# Starlette and FastAPI raise these with an English text detail; routes raise them with our shape.
_PLAIN_HTTP_ERRORS = {
    401: ("unauthenticated", "缺少访问凭证或凭证无效"),
    404: ("not_found", "没有这个地址"),
    405: ("method_not_allowed", "该地址不支持此请求方法"),
}


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path: Starlette names only the first route's, so a
    path with GET and POST as two routes would answer `Allow: POST` to a PUT."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if getattr(route, "methods", None) and route.matches(request.scope)[0] is Match.PARTIAL:
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if isinstance(exc.detail, Mapping):
        return error_response(exc.status_code, headers=exc.headers, **exc.detail)
    if exc.status_code == 400:  # the body could not be parsed: invalid like any other request (422)
        # FastAPI raises it from whatever failed while reading a body: the body limit's signal goes on to
        # its middleware (413); a ValueError is json.loads failing to decode the body (not UTF-8, or an
        # integer longer than Python parses). Starlette raises it for a malformed multipart body.
        if isinstance(exc.__cause__, BodyTooLarge):
            raise exc.__cause__
        if isinstance(exc.__cause__, ValueError):
            return error_response(422, BODY_NOT_JSON, _BODY_NOT_JSON_ZH)
        return error_response(422, BODY_UNREADABLE, "请求体无法解析，请检查其格式与 Content-Type")
    code, message = _PLAIN_HTTP_ERRORS.get(exc.status_code, (f"http_{exc.status_code}", "请求无法处理"))
    headers = {**(exc.headers or {}), "Allow": _allowed_methods(request)} if exc.status_code == 405 else exc.headers
    return error_response(exc.status_code, code, message, headers=headers)


# ---- query parameters ------------------------------------------------------------------------

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
BIGINT_MAX = 2**63 - 1  # PostgreSQL's OFFSET takes a bigint


@dataclass(frozen=True)
class Page:
    """The slice of a list endpoint's answer (in its stable order) to return."""

    limit: int
    offset: int


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="most items to return")] = PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=BIGINT_MAX, description="items to skip, for the next page")] = 0,
) -> Page:
    return Page(limit, offset)


Paged = Annotated[Page, Depends(_page)]
"""Every list endpoint's `limit` and `offset`."""

PeriodFilter = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$", description="reporting period: 2026, 2026-Q3 or 2026-10"),
]
DepartmentFilter = Annotated[
    str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="department code, e.g. tax or power_supply")
]


class RefuseUnstorableInput:
    """422 for NUL in a path or query parameter, on every route: PostgreSQL refuses it in any text
    parameter, so it would fail the statement (a 500) instead of the request. Query strings are read
    as Starlette reads them (percent-decoding with replacement cannot produce a lone surrogate)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (location := _unstorable_part(scope)):
            error = {"type": "value_error", "loc": location, "ctx": {"error": ValueError(UNSTORABLE_CODE)}}
            await request_invalid([error])(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _unstorable_part(scope: Scope) -> tuple[str, ...] | None:
    if not is_storable(scope["path"]):
        return ("path",)
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if not (is_storable(name) and is_storable(value)):
            return ("query", name)
    return None


# ---- failures --------------------------------------------------------------------------------


class AnswerFailures:
    """What no route answered. A database or broker that does not answer (`is_transient`) is 503 with
    Retry-After: nothing is wrong with the request. Anything else is a bug: logged with its traceback,
    answered 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception as exc:
            if started:
                raise
            request = f"{scope['method']} {printable(scope['path'])}"
            if is_transient(exc):
                log.warning("%s: database or broker unavailable: %r", request, exc)
                response = error_response(
                    503, SERVICE_UNAVAILABLE, "数据库或消息服务暂时不可用，请稍后重试",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
            else:
                log.exception("%s failed", request)
                response = error_response(500, INTERNAL_ERROR, "服务内部错误，请稍后重试")
            await response(scope, receive, send)


def install(api: FastAPI, limit_for: Callable[[str], int]) -> None:
    """The conventions above for `api`, with `limit_for(path)` bytes allowed per request body."""
    api.add_exception_handler(RequestValidationError, _on_request_invalid)
    api.add_exception_handler(HTTPException, _on_http_error)
    # middleware added last runs first: failures are caught outermost, after the body limit's own signal
    api.add_middleware(RefuseUnstorableInput)
    api.add_middleware(BodySizeLimit, limit_for=limit_for)
    api.add_middleware(AnswerFailures)
