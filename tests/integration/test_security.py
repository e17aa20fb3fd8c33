"""Every request authenticated; departments submit only their own kinds; townships see only
their own township; raw personal data reaches neither Kafka nor any table."""

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from shared import topics
from tests.integration.harness import TopicReader, eventually, json_value, new_uscc, townships_of

pytestmark = pytest.mark.integration


async def test_requests_without_a_valid_key_are_refused(api, platform):
    for key in (None, "not-a-key"):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        for service, method, path in [("ingest", "POST", "/v1/records"), ("feedback", "GET", "/v1/alerts"),
                                      ("analytics", "GET", "/v1/overview")]:
            r = await api.client.request(method, f"{platform.url(service)}{path}", headers=headers,
                                         json={"kind": "tax_payment", "records": []})
            assert r.status_code == 401, (service, path, r.text)
            assert r.json()["detail"]["code"] == "unauthenticated"


async def test_a_department_may_submit_only_its_own_kinds(api):
    r = await api.submit("tax", "power_usage", [])
    assert r.status_code == 403
    assert r.json()["detail"]["code"] == "kind_not_allowed" and "用电" in r.json()["detail"]["message"]
    township_key = api.platform.credentials.townships[townships_of("445202")[0]]
    r = await api.submit("tax", "tax_payment", [], key=township_key)
    assert r.status_code == 403


async def test_a_township_sees_only_its_own_alerts_and_overview(api, bootstrap):
    mine, other = townships_of("445281")[:2]
    code = new_uscc("445281")
    await api.submit("market_regulation", "registration", [{"uscc": code, "name": "普宁市安全测试纺织有限公司", "township_code": mine}])
    await api.submit("power_supply", "power_usage", [{"power_account": f"S{code[-9:]}", "uscc": code,
                                                        "township_code": mine, "period": "2026-10", "kwh": 900.0}])
    async with TopicReader(bootstrap, topics.ANOMALY_DETECTED) as reader:
        await api.submit("tax", "tax_payment", [{"taxpayer_id": code, "uscc": code, "township_code": mine,
                                                  "period": "2026-10", "amount": "0"}])
        messages = await reader.read_until(lambda ms: any(json_value(m)["payload"]["uscc"] == code for m in ms))
    alert_id = next(json_value(m)["payload"]["alert_id"] for m in messages if json_value(m)["payload"]["uscc"] == code)

    async def on_worklist():
        r = await api.as_township(mine, "GET", "feedback", f"/v1/alerts/{alert_id}")
        return r.status_code == 200

    await eventually(on_worklist, what="alert on its own township's worklist")
    assert (await api.as_township(other, "GET", "feedback", f"/v1/alerts/{alert_id}")).status_code == 404
    r = await api.as_township(other, "POST", "feedback", f"/v1/alerts/{alert_id}/acknowledge", json={})
    assert r.status_code == 404
    listed = (await api.as_township(other, "GET", "feedback", "/v1/alerts")).json()
    assert all(a["township_code"] == other for a in listed)
    # supervisors read but do not act
    assert (await api.as_supervisor("feedback", f"/v1/alerts/{alert_id}")).status_code == 200
    r = await api.client.post(f"{api.platform.url('feedback')}/v1/alerts/{alert_id}/acknowledge", json={},
                              headers={"Authorization": f"Bearer {api.platform.credentials.supervisor}"})
    assert r.status_code == 403

    overview = (await api.as_township(other, "GET", "analytics", "/v1/overview")).json()
    assert [t["township_code"] for t in overview["townships"]] == [other]
    city = (await api.as_supervisor("analytics", "/v1/overview")).json()
    assert len(city["townships"]) == len(api.platform.credentials.townships)


async def test_raw_personal_names_reach_no_topic_and_no_table(api, bootstrap, platform):
    raw_name = "欧阳测试员"
    code = new_uscc("445202")
    township = townships_of("445202")[2]
    async with TopicReader(bootstrap, topics.RECORD_IMPORTED) as reader:
        reply = await api.submit("market_regulation", "registration", [
            {"uscc": code, "name": "揭阳市脱敏测试有限公司", "township_code": township, "legal_representative": raw_name}])
        assert reply.json()["accepted"] == 1
        messages = await reader.read_until(lambda ms: any(code.encode() in m.value for m in ms))
    ours = [json_value(m) for m in messages if code.encode() in m.value]
    assert ours[0]["payload"]["data"]["legal_representative"] == "欧****"
    assert len(ours[0]["payload"]["pii_hashes"]["legal_representative"]) == 64
    assert all(raw_name not in m.value.decode() for m in messages)

    async def entity_in_analytics():
        return (await api.overview_of(township))["entities"] > 0

    await eventually(entity_in_analytics, what="registration applied downstream")
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.connect() as conn:
            tables = (await conn.execute(sa.text(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('ingest','matcher','alerting','feedback','analytics')"))).all()
            assert len(tables) >= 15
            for schema, table in tables:
                columns = (await conn.execute(sa.text(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = :s and table_name = :t"), {"s": schema, "t": table})).all()
                as_text = ", ".join(  # bytea (the outbox's payloads) decoded, everything else cast
                    f"convert_from(\"{c}\", 'UTF8')" if kind == "bytea" else f"\"{c}\"::text" for c, kind in columns)
                hits = await conn.scalar(sa.text(
                    f'select count(*) from "{schema}"."{table}" where concat_ws(\' \', {as_text}) like :raw'),
                    {"raw": f"%{raw_name}%"})
                assert hits == 0, f"raw personal name found in {schema}.{table}"
    finally:
        await engine.dispose()
