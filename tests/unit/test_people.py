"""People's accounts, session cookies and the CSRF rules, over a small app with the real dependencies."""

import json
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from pydantic import ValidationError

from shared.accounts import Account, Accounts, hash_password, main
from shared.auth import ApiKey, KeyRing, Person, Principal, Role, authenticate, hash_key
from shared.service import http
from shared.sessions import COOKIE, CSRF_HEADER, Sessions
from shared.settings import ServiceSettings
from shared.web import login
from shared.web.pages import page_principal

PASSWORD = "zhangsan-2026!"
SECRET = b"s" * 32
ZHANG = Account(username="zhangsan", display_name="张三", role=Role.TOWNSHIP, code="445202001",
                leads_township=True, password_hash=hash_password(PASSWORD))


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_passwords_are_kept_as_salted_argon2id_and_verified():
    accounts = Accounts([ZHANG])
    assert ZHANG.password_hash.startswith("$argon2id$") and PASSWORD not in ZHANG.password_hash
    assert hash_password(PASSWORD) != ZHANG.password_hash  # a salt of its own each time
    assert accounts.verify("zhangsan", PASSWORD) == ZHANG
    assert accounts.verify("zhangsan", PASSWORD + "x") is None
    assert accounts.verify("nobody", PASSWORD) is None
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")


def test_an_account_must_fit_its_role():
    common = dict(display_name="某人", password_hash=ZHANG.password_hash)
    for bad in (dict(role="township", code="445299999"), dict(role="supervisor", code="445202001"),
                dict(role="supervisor", code="440300"), dict(role="department", code="税务"),
                dict(role="supervisor", code="445202", leads_township=True)):
        with pytest.raises(ValidationError):
            Account(username="moumou", **common, **bad)
    with pytest.raises(ValidationError):
        Account(username="moumou", role="township", code="445202001", display_name="某人", password_hash="plain")
    assert Account(username="city.li", role="supervisor", code="445200", **common).code == "445200"


def test_a_person_acts_under_their_own_name_and_a_key_as_before():
    assert ZHANG.principal() == Principal(Role.TOWNSHIP, "445202001", Person("zhangsan", "张三", True))
    assert ZHANG.principal().actor == "township:445202001:zhangsan"
    assert Principal(Role.TOWNSHIP, "445202001").actor == "township:445202001"


def test_settings_read_accounts_from_the_environment_and_a_file_and_say_what_is_wrong(tmp_path, monkeypatch):
    entry = ZHANG.model_dump(mode="json")
    monkeypatch.setenv("BIZPULSE_SESSION_SECRET", "x" * 32)
    monkeypatch.setenv("BIZPULSE_ACCOUNTS", json.dumps([entry]))
    other = tmp_path / "people.json"
    other.write_text(json.dumps([{**entry, "username": "lisi", "display_name": "李四"}]))
    settings = ServiceSettings(accounts_file=other)
    assert [a.username for a in settings.accounts] == ["zhangsan", "lisi"]
    other.write_text(json.dumps([entry]))
    with pytest.raises(ValidationError, match="configured twice.*zhangsan"):
        ServiceSettings(accounts_file=other)
    other.write_text(json.dumps([{**entry, "code": "1"}]))
    with pytest.raises(ValidationError, match=f"BIZPULSE_ACCOUNTS_FILE {other}.*not a known township code"):
        ServiceSettings(accounts_file=other)
    monkeypatch.setenv("BIZPULSE_SESSION_SECRET", "too short")
    with pytest.raises(ValidationError, match="BIZPULSE_SESSION_SECRET must be set: at least 32"):
        ServiceSettings()


def test_the_command_prints_an_entry_that_logs_in(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", type("Pipe", (), {"isatty": lambda self: False, "readline": lambda self: PASSWORD + "\n"})())
    assert main(["entry", "--username", "wangwu", "--name", "王五", "--role", "supervisor", "--code", "445202"]) == 0
    account = Account.model_validate_json(capsys.readouterr().out)
    assert (account.display_name, account.code) == ("王五", "445202")
    assert Accounts([account]).verify("wangwu", PASSWORD) == account


def test_a_session_opens_until_it_expires_and_not_when_tampered_with():
    clock = Clock()
    sessions = Sessions(Accounts([ZHANG]), SECRET, 3600, clock)
    cookie = sessions.issue(ZHANG)
    session = sessions.open(cookie)
    assert session.principal == ZHANG.principal() and session.expires == clock.now + 3600
    body, signature = cookie.split(".")
    forged = json.dumps({"u": "zhangsan", "e": int(clock.now) + 10**6, "n": "x", "p": "y"}).encode()
    import base64

    assert sessions.open(f"{base64.urlsafe_b64encode(forged).decode().rstrip('=')}.{signature}") is None
    altered = ("B" if signature[0] == "A" else "A") + signature[1:]  # the nonce is random: never the same signature
    assert sessions.open(f"{body}.{altered}") is None
    assert sessions.open(body) is None and sessions.open("é.é") is None
    assert Sessions(Accounts([ZHANG]), b"t" * 32, 3600, clock).open(cookie) is None  # another installation's secret
    clock.now += 3599
    assert sessions.open(cookie) is not None
    clock.now += 1
    assert sessions.open(cookie) is None


def test_a_new_password_or_a_removed_account_ends_the_sessions():
    cookie = Sessions(Accounts([ZHANG]), SECRET, 3600).issue(ZHANG)
    renewed = ZHANG.model_copy(update={"password_hash": hash_password("another password")})
    assert Sessions(Accounts([renewed]), SECRET, 3600).open(cookie) is None
    assert Sessions(Accounts([]), SECRET, 3600).open(cookie) is None
    assert Sessions(Accounts([ZHANG]), None, 3600).open(cookie) is None  # no secret: no session at all


def test_each_session_has_its_own_csrf_token():
    sessions = Sessions(Accounts([ZHANG]), SECRET, 3600)
    first, second = sessions.open(sessions.issue(ZHANG)), sessions.open(sessions.issue(ZHANG))
    assert first.csrf_token != second.csrf_token and len(first.csrf_token) >= 32


# ---- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
async def client():
    app = FastAPI()
    app.state.key_ring = KeyRing([ApiKey(sha256=hash_key("machine-key"), role=Role.TOWNSHIP, code="445202001")])
    app.state.sessions = Sessions(Accounts([ZHANG]), SECRET, 3600)
    app.include_router(login.router())

    @app.get("/v1/me")
    @app.post("/v1/me")
    async def me(principal: Annotated[Principal, Depends(authenticate)]) -> dict:
        return {"actor": principal.actor}

    @app.get("/page")
    async def page(request: Request, principal: Annotated[Principal, Depends(page_principal)]) -> dict:
        return {"actor": principal.actor}

    http.install(app, limit_for=lambda _: 1024 * 1024)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bizpulse.test") as client:
        client.app = app
        yield client


async def _log_in(client: httpx.AsyncClient, password: str = PASSWORD, **headers):
    return await client.post("/login", data={"username": "ZhangSan ", "password": password, "next": "/page?x=1"},
                             headers=headers)


async def test_logging_in_sets_a_strict_http_only_cookie_and_returns_to_the_page(client):
    assert (await _log_in(client, "wrong password")).status_code == 401
    response = await _log_in(client, origin="http://bizpulse.test")
    assert response.status_code == 303 and response.headers["location"] == "/page?x=1"
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/" in set_cookie
    assert "max-age=3600" in set_cookie and "secure" not in set_cookie  # plain HTTP on the intranet
    assert (await client.get("/page")).json() == {"actor": "township:445202001:zhangsan"}
    assert (await client.get("/login")).headers["location"] == "/account"
    page = await client.get("/account")
    assert "张三" in page.text and "榕城区榕华街道" in page.text and "乡镇（街道）负责人" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"] and page.headers["cache-control"] == "no-store"
    await client.post("/logout")
    assert (await client.get("/v1/me")).status_code == 401


async def test_a_failed_login_says_so_in_chinese_and_keeps_the_name(client):
    response = await _log_in(client, "wrong password")
    assert "用户名或密码不正确" in response.text and 'value="zhangsan"' in response.text


async def test_without_a_session_a_page_sends_to_login_and_the_api_answers_401(client):
    response = await client.get("/page?x=1")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fpage%3Fx%3D1"
    answer = await client.get("/v1/me")
    assert answer.status_code == 401 and answer.json()["detail"]["code"] == "unauthenticated"
    client.cookies.set(COOKIE, "expired.or-forged")
    assert (await client.get("/v1/me")).json()["detail"]["message"] == "登录已过期，请重新登录"


async def test_a_change_by_cookie_needs_the_csrf_token_and_a_key_does_not(client):
    await _log_in(client)
    token = client.cookies[COOKIE]
    csrf = client.app.state.sessions.open(token).csrf_token
    refused = await client.post("/v1/me")
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "csrf_token_invalid"
    assert (await client.post("/v1/me", headers={CSRF_HEADER: "wrong"})).status_code == 403
    # not ASCII: refused, not a crash
    assert (await client.post("/v1/me", headers={CSRF_HEADER: "令牌".encode()})).status_code == 403
    assert (await client.post("/v1/me", headers={CSRF_HEADER: csrf})).json() == {"actor": "township:445202001:zhangsan"}
    assert (await client.post("/v1/me", data={"csrf_token": csrf})).status_code == 200  # a plain form's field
    assert (await client.get("/v1/me")).status_code == 200  # reading needs no token
    client.cookies.clear()
    keyed = await client.post("/v1/me", headers={"Authorization": "Bearer machine-key"})
    assert keyed.json() == {"actor": "township:445202001"}


async def test_login_and_logout_from_another_site_are_refused(client):
    assert (await _log_in(client, origin="http://evil.test")).status_code == 403
    assert (await client.post("/logout", headers={"origin": "null"})).status_code == 403


async def test_after_login_only_paths_of_this_host(client):
    for next_path in ("//evil.test/x", "/\\evil.test", "https://evil.test/", "javascript:alert(1)"):
        response = await client.post("/login", data={"username": "zhangsan", "password": PASSWORD, "next": next_path},
                               follow_redirects=False)
        assert response.headers["location"] == "/account", next_path


async def test_too_many_failures_make_that_name_and_address_wait(client):
    for _ in range(login.MAX_FAILURES):
        assert (await _log_in(client, "wrong password")).status_code == 401
    throttled = await _log_in(client)  # even the right password now
    assert throttled.status_code == 429 and "登录失败次数过多" in throttled.text
    assert 0 < int(throttled.headers["retry-after"]) <= login.WINDOW_SECONDS + 1


def test_the_throttle_forgets_failures_after_the_window():
    clock = Clock()
    throttle = login.LoginThrottle(clock)
    key = ("zhangsan", "10.0.0.1")
    for _ in range(login.MAX_FAILURES):
        throttle.failed(key)
    assert throttle.wait_seconds(key) > 0 and throttle.wait_seconds(("zhangsan", "10.0.0.2")) == 0
    clock.now += login.WINDOW_SECONDS
    assert throttle.wait_seconds(key) == 0
    throttle.failed(key)
    throttle.succeeded(key)
    assert throttle.wait_seconds(key) == 0
