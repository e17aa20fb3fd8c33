"""The HTTP conventions every service shares (shared/service/http.py), on a small app of their own:
what each kind of bad request, outage and bug is answered with."""

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from shared.service import http
from shared.text import StorableText


class Note(BaseModel):
    note: StorableText = ""


def _app() -> FastAPI:
    api = FastAPI()
    http.install(api, limit_for=lambda _: 1024)

    @api.post("/notes")
    async def post_note(body: Note) -> Note:
        return body

    @api.get("/items")
    async def items(page: http.Paged, period: http.PeriodFilter = None) -> dict:
        return {"limit": page.limit, "offset": page.offset, "period": period}

    @api.get("/outage")
    async def outage() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    @api.get("/bug")
    async def bug() -> None:
        raise RuntimeError("a bug")

    @api.get("/refusal")
    async def refusal() -> None:  # a refusal quoting what was sent, which may not be encodable
        raise HTTPException(404, detail={"code": "kind_not_found", "message": "未知的数据类型：\udc00"})

    return api


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        yield client


def _detail(reply) -> dict:
    return reply.json()["detail"]


async def test_an_invalid_request_names_each_field_with_a_code_and_never_echoes_it(client):
    reply = await client.get("/items", params={"limit": "secret-value", "offset": -1, "period": "2026-13"})
    assert reply.status_code == 422 and _detail(reply)["code"] == "request_invalid"
    assert [(e["location"], e["code"]) for e in _detail(reply)["errors"]] == [
        (["query", "limit"], "not_an_integer"), (["query", "offset"], "too_small"), (["query", "period"], "format_invalid")]
    assert _detail(reply)["message"] == "请求参数有误：query.limit 须为整数（另有 2 处）"
    assert "secret-value" not in reply.text


async def test_pages_are_bounded_by_what_postgresql_takes(client):
    assert (await client.get("/items")).json() == {"limit": 100, "offset": 0, "period": None}
    assert (await client.get("/items", params={"offset": 2**63 - 1, "limit": 500})).status_code == 200
    for params in ({"offset": 2**63}, {"limit": 501}, {"limit": 0}):
        assert (await client.get("/items", params=params)).status_code == 422, params


async def test_a_body_that_is_not_utf8_json_has_its_own_code(client):
    for headers in ({"Content-Type": "application/json"}, {}):
        reply = await client.post("/notes", content=b'{"note": "\xff"}', headers=headers)
        assert reply.status_code == 422 and _detail(reply)["code"] == "body_not_json", headers
    assert _detail(await client.post("/notes", content=b"{", headers={"Content-Type": "application/json"}))["code"] == "body_not_json"


async def test_text_no_stage_can_store_is_refused_in_a_body_query_or_path(client):
    for body in (rb'{"note": "\udc00"}', rb'{"note": "a\u0000"}'):
        reply = await client.post("/notes", content=body, headers={"Content-Type": "application/json"})
        assert [(e["location"], e["code"]) for e in _detail(reply)["errors"]] == [(["body", "note"], "text_unstorable")]
    reply = await client.get("/items?anything=a%00b")
    assert [(e["location"], e["code"]) for e in _detail(reply)["errors"]] == [(["query", "anything"], "text_unstorable")]
    assert _detail(await client.get("/items%00"))["errors"][0]["location"] == ["path"]


async def test_an_outage_is_503_with_retry_after_and_a_bug_is_a_logged_500(client, caplog):
    reply = await client.get("/outage")
    assert reply.status_code == 503 and reply.headers["Retry-After"] == str(http.RETRY_AFTER_SECONDS)
    assert _detail(reply) == {"code": "service_unavailable", "message": "数据库或消息服务暂时不可用，请稍后重试"}
    with caplog.at_level(logging.ERROR, logger="shared.service.http"):
        reply = await client.get("/bug")
    assert reply.status_code == 500 and _detail(reply) == {"code": "internal_error", "message": "服务内部错误，请稍后重试"}
    assert "a bug" in caplog.text and "GET /bug failed" in caplog.text


async def test_every_error_is_in_the_shared_shape_and_encodable(client):
    reply = await client.get("/refusal")
    assert reply.status_code == 404 and _detail(reply) == {"code": "kind_not_found", "message": "未知的数据类型：\\udc00"}
    assert _detail(await client.get("/nowhere")) == {"code": "not_found", "message": "没有这个地址"}
    assert _detail(await client.delete("/items"))["code"] == "method_not_allowed"

    async def streamed():
        for _ in range(4):
            yield b"x" * 512

    for body in (b"x" * 2048, streamed()):  # its length declared, and streamed without one
        too_large = await client.post("/notes", content=body, headers={"Content-Type": "application/json"})
        assert too_large.status_code == 413 and _detail(too_large)["code"] == "request_too_large"
