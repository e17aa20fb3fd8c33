"""Every service's HTTP API under property-based fuzzing, and each cause of a 500 that fuzzing found.

schemathesis generates requests from each running service's own OpenAPI document: the boundary
values of every parameter (its coverage phase), then valid and invalid requests (fuzzing), sent
with a key that may make them and with none. No answer may be a 5xx, and each must be one the
document declares, in its declared shape, with the headers it declares. Seeded, without an
example database and bounded: the same requests every run, well under two minutes for all five.

It runs schemathesis' command line (its stable interface): its pytest plugin does not work with
the pytest this project pins (it reaches into a node attribute pytest 9.2 removed).
"""

import subprocess
import sys

import pytest

from deploy.local.platform import LocalPlatform
from shared.service.http import BIGINT_MAX
from tests.integration.harness import new_uscc, townships_of

pytestmark = pytest.mark.integration

# A department no other test submits as: the fuzzer's requests cannot rate-limit another test's.
FUZZ_DEPARTMENT = "quality_supervision"
CALLERS = [  # (service, whose key): one that may make every request, and none
    ("ingest", "department"), ("ingest", None),
    ("feedback", "township"), ("feedback", None),
    ("analytics", "supervisor"), ("analytics", None),
    ("matcher", None), ("alerting", None),  # operations only: nothing needs a key
]
EXAMPLES_PER_OPERATION = 25
# Named, so that a new schemathesis check cannot fail the suite unannounced. Left out:
# positive_data_acceptance, as schema-valid requests may still be refused with a code the schema
# cannot express (a kind the department does not own, a USCC failing its check, a note with NUL);
# the stateful checks, as no phase here chains requests.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
]


def _key(platform: LocalPlatform, role: str) -> str:
    credentials = platform.credentials
    return {
        "department": credentials.departments[FUZZ_DEPARTMENT],
        "township": credentials.townships[townships_of("445202")[0]],
        "supervisor": credentials.supervisor,
    }[role]


@pytest.mark.parametrize(("service", "role"), CALLERS, ids=[f"{s}-{r or 'no key'}" for s, r in CALLERS])
def test_no_request_gets_a_server_error_and_every_answer_is_documented(platform, service, role, tmp_path):
    auth = ["--header", f"Authorization: Bearer {_key(platform, role)}"] if role else []
    run = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "--no-color", "run", f"{platform.url(service)}/openapi.json",
            *auth,
            "--phases", "coverage,fuzzing",
            "--mode", "all",
            "--max-examples", str(EXAMPLES_PER_OPERATION),
            "--seed", "20261001",
            "--generation-database", "none",
            "--workers", "1",
            "--request-timeout", "30",
            "--continue-on-failure",
            "--checks", ",".join(CHECKS),
        ],
        capture_output=True, text=True, timeout=300,
        cwd=tmp_path,  # its cache of earlier failures (replayed first) starts empty: every run the same
    )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]


# ---- the causes of the 500s fuzzing found, one request each ------------------------------------

NOWHERE = "7c1a3a59-9879-5d62-abc0-59665f266eec"  # no alert or case has this id: bodies are judged first


def _detail(reply) -> dict:
    return reply.json()["detail"]


def _field_errors(reply) -> list[tuple[list, str]]:
    assert reply.status_code == 422 and _detail(reply)["code"] == "request_invalid", reply.text
    return [(e["location"], e["code"]) for e in _detail(reply)["errors"]]


async def test_a_body_that_is_not_utf8_json_is_refused_with_its_own_code(api, platform):
    township_key = platform.credentials.townships[townships_of("445202")[0]]
    for service, path, key in [
        ("ingest", "/v1/records", platform.credentials.departments["tax"]),
        ("feedback", f"/v1/alerts/{NOWHERE}/resolve", township_key),
        ("feedback", f"/v1/match-cases/{NOWHERE}/decision", township_key),
    ]:
        for content_type in ("application/json", None):  # declared, and not: neither is JSON FastAPI reads
            headers = {"Authorization": f"Bearer {key}"} | ({"Content-Type": content_type} if content_type else {})
            reply = await api.client.post(f"{platform.url(service)}{path}", content=b'{"note": "\xff\xfe"}', headers=headers)
            assert reply.status_code == 422 and _detail(reply)["code"] == "body_not_json", (path, reply.text)
            assert "UTF-8" in _detail(reply)["message"]


async def test_an_offset_beyond_postgresql_bigint_is_refused_on_every_list(api, platform):
    township = platform.credentials.townships[townships_of("445202")[0]]
    lists = [("feedback", "/v1/alerts", township), ("feedback", "/v1/match-cases", township),
             ("ingest", "/v1/timeliness", platform.credentials.supervisor),
             ("analytics", "/v1/timeliness", platform.credentials.supervisor)]
    for service, path, key in lists:
        url, auth = f"{platform.url(service)}{path}", {"Authorization": f"Bearer {key}"}
        too_far = await api.client.get(url, params={"offset": 2**64}, headers=auth)
        assert _field_errors(too_far) == [(["query", "offset"], "too_large")], path
        assert str(BIGINT_MAX) in _detail(too_far)["message"]
        last = await api.client.get(url, params={"offset": BIGINT_MAX}, headers=auth)
        assert last.status_code == 200 and last.json() == [], (path, last.text)
        assert (await api.client.get(url, params={"limit": 501}, headers=auth)).status_code == 422


async def test_nul_in_a_query_parameter_or_path_is_refused_on_every_route(api, platform):
    supervisor = {"Authorization": f"Bearer {platform.credentials.supervisor}"}
    for service in ("ingest", "analytics"):
        for name, good, malformed in [("period", "2026-10", "2026-13"), ("department", "tax", "Tax")]:
            url = f"{platform.url(service)}/v1/timeliness"
            with_nul = await api.client.get(url, params={name: f"{good}\x00"}, headers=supervisor)
            assert _field_errors(with_nul) == [(["query", name], "text_unstorable")], with_nul.text
            assert "空字符" in _detail(with_nul)["message"]
            assert _field_errors(await api.client.get(url, params={name: malformed}, headers=supervisor)) == [
                (["query", name], "format_invalid")]
            assert (await api.client.get(url, params={name: good}, headers=supervisor)).status_code == 200
    # any route, any parameter, declared or not; and a path (the id never reaches the database)
    assert _field_errors(await api.client.get(f"{platform.url('matcher')}/healthz?probe=%00")) == [
        (["query", "probe"], "text_unstorable")]
    assert _field_errors(await api.client.get(f"{platform.url('feedback')}/v1/alerts/%00", headers=supervisor)) == [
        (["path"], "text_unstorable")]


async def test_text_no_stage_can_store_in_a_note_is_refused(api, platform):
    township = {"Authorization": f"Bearer {platform.credentials.townships[townships_of('445202')[0]]}",
                "Content-Type": "application/json"}
    bodies = {  # JSON escapes: Python's json module, which FastAPI uses, accepts a lone surrogate
        f"/v1/alerts/{NOWHERE}/acknowledge": b'{"note": "%s"}',
        f"/v1/alerts/{NOWHERE}/resolve": b'{"note": "%s"}',
        f"/v1/match-cases/{NOWHERE}/decision": b'{"action": "not_registered", "note": "%s"}',
    }
    for path, body in bodies.items():
        for unstorable in (rb"\udc00", rb"a\u0000b"):
            reply = await api.client.post(f"{platform.url('feedback')}{path}", content=body % unstorable, headers=township)
            assert _field_errors(reply) == [(["body", "note"], "text_unstorable")], (path, reply.text)


async def test_nul_in_a_record_field_is_a_rejected_row(api):
    reply = await api.submit("tax", "tax_payment", [
        {"taxpayer_id": "T\x00NUL", "township_code": "445202001", "period": "2026-10", "amount": "1.00"}])
    assert reply.status_code == 200, reply.text
    assert (reply.json()["accepted"], reply.json()["rejected"]) == (0, 1)
    assert [(e["field"], e["code"]) for e in reply.json()["errors"]] == [("taxpayer_id", "text_unstorable")]


async def test_a_declared_integer_beyond_any_column_is_a_rejected_row(api):
    row = {"uscc": new_uscc("445202"), "township_code": "445202001", "period": "2026-Q3", "licence_number": "SP-1",
           "inspections": 10**400, "violations": 0}
    reply = await api.submit("food_drug", "food_drug_inspection", [row])
    assert reply.status_code == 200, reply.text
    assert (reply.json()["accepted"], reply.json()["rejected"]) == (0, 1)
    assert [e["field"] for e in reply.json()["errors"]] == ["inspections"]


async def test_shares_json_cannot_carry_are_refused_before_a_decision_is_taken(api, platform):
    """Before: NaN shares were accepted with 200, then every consumer dead-lettered the decision
    and the case could never be decided again."""
    township = {"Authorization": f"Bearer {platform.credentials.townships[townships_of('445202')[0]]}",
                "Content-Type": "application/json"}
    a, b = new_uscc("445202"), new_uscc("445202")
    for share in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"action": "split", "usccs": ["%s", "%s"], "shares": [%s, 0.5], "note": "x"}' % (a.encode(), b.encode(), share)
        reply = await api.client.post(f"{platform.url('feedback')}/v1/match-cases/{NOWHERE}/decision", content=body,
                                      headers=township)
        assert _field_errors(reply) == [(["body", "shares", 0], "not_a_number")], (share, reply.text)
