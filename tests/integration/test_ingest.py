"""Ingest over the real broker and database: uploads, corrections, Kafka intake, a newly declared
kind, timeliness, and the limits that protect it."""

import io
import json
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from openpyxl import Workbook

from deploy.topics import provision
from services.ingest.domain.timeliness import due_periods
from shared.working_days import WorkingCalendar
from shared import topics
from shared.auth import ApiKey, Role, hash_key
from tests.integration.harness import (
    TopicReader,
    eventually,
    json_value,
    new_uscc,
    produce_raw,
    restart_with_env,
    townships_of,
)

pytestmark = pytest.mark.integration


def _for(code: str, messages) -> list[dict]:
    return [json_value(m) for m in messages if code.encode() in m.value]


async def test_xlsx_export_with_chinese_headers_is_imported_row_by_row(api, kafka):
    township = townships_of("445203")[1]
    good, bad = new_uscc("445203"), new_uscc("445203")
    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "企业名称", "乡镇（街道）代码", "法定代表人", "联系电话", "注册资本（万元）", "成立日期"])
    sheet.append([good, "揭阳市揭东区表格导入测试有限公司", township, "李四光", "13912345678", 100, datetime(2020, 5, 6)])
    sheet.append([bad[:-1] + ("0" if bad[-1] != "0" else "1"), "校验位错误公司", township, "王五", "1234", -5, None])
    buffer = io.BytesIO()
    book.save(buffer)

    async with TopicReader(kafka, topics.RECORD_IMPORTED) as reader:
        reply = await api.client.post(
            f"{api.platform.url('ingest')}/v1/uploads", params={"kind": "registration"},
            files={"file": ("商事主体登记.xlsx", buffer.getvalue(), "application/octet-stream")},
            headers={"Authorization": f"Bearer {api.platform.credentials.departments['market_regulation']}"},
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert (body["received"], body["accepted"], body["rejected"]) == (2, 1, 1)
        assert {(e["row"], e["field"], e["code"]) for e in body["errors"]} == {
            (3, "uscc", "uscc_check_character"), (3, "contact_mobile", "mobile_invalid"), (3, "registered_capital", "negative")}
        imported = _for(good, await reader.read_until(lambda ms: bool(_for(good, ms))))
    data = imported[0]["payload"]["data"]
    assert data["legal_representative"] == "李**" and data["contact_mobile"] == "139****5678"
    assert data["registered_capital"] == "100" and data["established_on"] == "2020-05-06"
    assert "李四光" not in json.dumps(imported, ensure_ascii=False)


async def test_gbk_csv_with_an_unknown_column_is_refused_with_the_reason(api):
    csv_bytes = "纳税人识别号,所属期,实缴税额,乡镇（街道）代码,备注\nT1,2026-10,10,445202001,无\n".encode("gbk")
    reply = await api.client.post(
        f"{api.platform.url('ingest')}/v1/uploads", params={"kind": "tax_payment"},
        files={"file": ("纳税.csv", csv_bytes, "text/csv")},
        headers={"Authorization": f"Bearer {api.platform.credentials.departments['tax']}"},
    )
    assert reply.status_code == 422
    assert reply.json()["detail"]["code"] == "header_unknown_columns"
    assert "备注" in reply.json()["detail"]["message"]


async def test_resubmission_is_a_duplicate_and_a_change_is_a_flagged_correction(api, kafka):
    township = townships_of("445203")[2]
    account = f"CORR{uuid.uuid4().hex[:8]}"
    row = {"power_account": account, "township_code": township, "period": "2026-09", "kwh": 100.0}
    assert (await api.submit("power_supply", "power_usage", [row])).json()["accepted"] == 1
    again = (await api.submit("power_supply", "power_usage", [row])).json()
    assert (again["accepted"], again["duplicates"], again["corrections"]) == (0, 1, 0)
    async with TopicReader(kafka, topics.RECORD_IMPORTED) as reader:
        changed = (await api.submit("power_supply", "power_usage", [row | {"kwh": 120.0}])).json()
        assert changed["corrections"] == 1
        events = _for(account, await reader.read_until(lambda ms: len(_for(account, ms)) >= 2))
    versions = {(e["payload"]["version"], e["payload"]["is_correction"], e["payload"]["data"]["kwh"]) for e in events}
    assert versions == {(1, False, 100.0), (2, True, 120.0)}
    assert len({e["payload"]["record_id"] for e in events}) == 1


async def test_kafka_intake_is_imported_and_answered_per_row(api, kafka):
    township = townships_of("445222")[3]
    code = new_uscc("445222")
    mistyped = code[:17] + ("0" if code[17] != "0" else "1")
    message = {"kind": "tax_payment", "row_numbers": [10, 11, 12], "records": [
        {"taxpayer_id": code, "uscc": code, "township_code": township, "period": "2026-09", "amount": "88.00"},
        {"taxpayer_id": "BAD", "township_code": township, "period": "2026/09", "amount": "x"},
        {"taxpayer_id": f"M{code}", "uscc": mistyped, "township_code": township, "period": "2026-09", "amount": "1.00"},
    ]}
    key = f"batch-{uuid.uuid4()}".encode()
    async with TopicReader(kafka, topics.intake_results("tax")) as results, \
               TopicReader(kafka, topics.RECORD_IMPORTED) as imported, \
               TopicReader(kafka, topics.dead_letter(topics.intake("tax"))) as dlq:
        await produce_raw(kafka, topics.intake("tax"), orjson.dumps(message), key=key)
        await produce_raw(kafka, topics.intake("tax"), b"not json at all", key=key)
        answers = await results.read_until(lambda ms: any(m.key == key for m in ms))
        await imported.read_until(lambda ms: bool(_for(code, ms)))
        dead = await dlq.read_until(lambda ms: any(m.key == key for m in ms))
    report = next(json_value(m) for m in answers if m.key == key)["payload"]
    assert (report["status"], report["accepted"], report["rejected"]) == ("processed", 2, 1)
    assert {(e["row"], e["field"], e["code"]) for e in report["errors"]} == {(11, "period", "period_invalid"), (11, "amount", "not_a_number")}
    assert [(w["row"], w["field"], w["code"]) for w in report["warnings"]] == [(12, "uscc", "uscc_check_character_kept")]
    headers = dict(next(m for m in dead if m.key == key).headers)
    assert headers["dlq_error_code"] == b"not_json"


async def test_a_new_department_is_a_declaration_and_nothing_else(api, kafka, platform, tmp_path):
    declaration = {
        "name": "tourism_indicator", "department": "culture_tourism", "title_zh": "文旅经营指标", "frequency": "quarterly",
        "source_key": ["uscc", "registration_number", "indicator"],
        "fields": [
            {"name": "indicator", "type": "enum", "title_zh": "指标", "required": True, "values": ["visitors", "revenue"]},
            {"name": "value", "type": "decimal", "title_zh": "指标值", "required": True, "min": 0},
            {"name": "manager", "type": "text", "title_zh": "负责人", "personal": "person_name"},
        ],
    }
    path = tmp_path / "culture_tourism.json"
    path.write_text(json.dumps(declaration, ensure_ascii=False))
    await provision(kafka, path)  # topics and rights, as `python -m deploy.topics --kind-declarations` does
    key = "culture-tourism-key"
    keys = json.loads(platform.credentials.api_keys_json())
    keys.append(ApiKey(sha256=hash_key(key), role=Role.DEPARTMENT, code="culture_tourism").model_dump(mode="json"))
    restart_with_env(platform, "ingest", {"BIZPULSE_KIND_DECLARATIONS": str(path), "BIZPULSE_API_KEYS": json.dumps(keys)})

    code = new_uscc("445224")
    row = {"uscc": code, "township_code": townships_of("445224")[1], "period": "2026-Q3", "indicator": "visitors",
           "value": "1200", "manager": "赵敏"}
    async with TopicReader(kafka, topics.RECORD_IMPORTED) as reader:
        reply = await api.submit("culture_tourism", "tourism_indicator", [row, row | {"period": "2026-09"}], key=key)
        assert reply.status_code == 200, reply.text
        assert (reply.json()["accepted"], reply.json()["errors"][0]["code"]) == (1, "period_invalid")
        event = _for(code, await reader.read_until(lambda ms: bool(_for(code, ms))))[0]
    assert event["payload"]["kind"] == "tourism_indicator" and event["payload"]["department"] == "culture_tourism"
    assert event["payload"]["data"]["manager"] == "赵*"
    assert (await api.submit("tax", "tourism_indicator", [row])).status_code == 403


async def test_timeliness_is_judged_per_department_kind_and_period(api):
    now = datetime.now(UTC)
    period = due_periods(now, "monthly", WorkingCalendar.china())[-1]  # its deadline has passed: data now is late
    row = {"taxpayer_id": f"TL{uuid.uuid4().hex[:6]}", "township_code": "445202001", "period": period, "amount": "1.00"}
    assert (await api.submit("tax", "tax_payment", [row])).json()["accepted"] == 1

    tax_key = api.platform.credentials.departments["tax"]
    mine = (await api.client.get(f"{api.platform.url('ingest')}/v1/timeliness", params={"period": period},
                                 headers={"Authorization": f"Bearer {tax_key}"})).json()
    assert {(a["kind"], a["status"]) for a in mine} >= {("tax_payment", "late")}
    assert all(a["department"] == "tax" for a in mine)
    other = await api.client.get(f"{api.platform.url('ingest')}/v1/timeliness", params={"department": "commerce"},
                                 headers={"Authorization": f"Bearer {tax_key}"})
    assert other.status_code == 403
    city = (await api.as_supervisor("ingest", "/v1/timeliness", params={"period": period})).json()
    statuses = {(a["department"], a["kind"]): a["status"] for a in city}
    assert statuses[("tax", "tax_payment")] == "late"
    assert statuses[("commerce", "commerce_indicator")] == "missing"  # nothing sent by its deadline


async def test_oversized_requests_and_bursts_are_refused_clearly(api, platform):
    huge = {"kind": "tax_payment", "records": [{"note": "x" * 1024}] * (33 * 1024)}
    reply = await api.client.post(f"{platform.url('ingest')}/v1/records", content=orjson.dumps(huge),
                                  headers={"Authorization": f"Bearer {platform.credentials.departments['tax']}",
                                           "Content-Type": "application/json"})
    assert reply.status_code == 413 and reply.json()["detail"]["code"] == "request_too_large"

    restart_with_env(platform, "ingest", {"BIZPULSE_RATE_LIMIT_BURST": "3", "BIZPULSE_RATE_LIMIT_PER_MINUTE": "6"})
    try:
        codes = [(await api.submit("finance", "finance_indicator", [])).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        limited = await api.submit("finance", "finance_indicator", [])
        assert int(limited.headers["Retry-After"]) >= 1 and "频繁" in limited.json()["detail"]["message"]
        assert (await api.submit("commerce", "commerce_indicator", [])).status_code == 200  # others unaffected
    finally:
        restart_with_env(platform, "ingest", {"BIZPULSE_RATE_LIMIT_BURST": "120", "BIZPULSE_RATE_LIMIT_PER_MINUTE": "600"})


async def test_supervisors_see_timeliness_in_analytics(api):
    period = due_periods(datetime.now(UTC), "monthly", WorkingCalendar.china())[-1]

    async def commerce_missing():
        rows = (await api.as_supervisor("analytics", "/v1/timeliness", params={"period": period})).json()
        return [r for r in rows if r["kind"] == "commerce_indicator" and r["status"] == "missing"]

    assert await eventually(commerce_missing, what="missing commerce data in analytics")
    township = townships_of("445202")[0]
    assert (await api.as_township(township, "GET", "analytics", "/v1/timeliness")).status_code == 403
