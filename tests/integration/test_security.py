"""Every request authenticated; departments submit only their own kinds; townships see only
their own township; raw personal data reaches neither Kafka nor any table."""

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from shared import topics
from tests.integration.harness import (
    TopicReader,
    db_scalar,
    eventually,
    json_value,
    new_uscc,
    registered,
    townships_of,
)

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


async def test_a_township_sees_only_its_own_alerts_and_overview(api, kafka):
    mine, other = townships_of("445281")[:2]
    code = new_uscc("445281")
    await api.submit("market_regulation", "registration", [{"uscc": code, "name": "普宁市安全测试纺织有限公司", "township_code": mine}])
    await api.submit("tax", "tax_payment", [{"taxpayer_id": code, "uscc": code, "township_code": mine,
                                              "period": "2026-10", "amount": "0"}])
    facts = "select count(*) from alerting.facts where uscc = :code"
    await eventually(lambda: db_scalar(api.platform, facts, code=code), what="the zero declaration in alerting")
    async with TopicReader(kafka, topics.ANOMALY_DETECTED) as reader:
        await api.submit("power_supply", "power_usage", [{"power_account": f"S{code[-9:]}", "uscc": code,
                                                            "township_code": mine, "period": "2026-10", "kwh": 9000.0}])
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


def _resident_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


async def test_raw_personal_data_reaches_no_topic_and_no_table(api, kafka, platform):
    """Names, resident ID numbers, mobile numbers and bank accounts: masked and keyed-hashed at import."""
    raw = {
        "legal_representative": "欧阳测试员",
        "legal_representative_id": _resident_id("44520219800101123"),
        "contact_mobile": "13912345678",
        "holder_mobile": "13787654321",
        "bank_account": "6222020200112233445",
    }
    code = new_uscc("445202")
    township = townships_of("445202")[2]
    async with TopicReader(kafka, topics.RECORD_IMPORTED) as reader:
        reply = await api.submit("market_regulation", "registration", [
            {"uscc": code, "name": "揭阳市脱敏测试有限公司", "township_code": township,
             **{k: raw[k] for k in ("legal_representative", "legal_representative_id", "contact_mobile")}}])
        assert reply.json()["accepted"] == 1, reply.text
        reply = await api.submit("power_supply", "power_account", [
            {"power_account": f"PA{code}", "account_name": "揭阳市脱敏测试有限公司", "uscc": code,
             "township_code": township, **{k: raw[k] for k in ("holder_mobile", "bank_account")}}])
        assert reply.json()["accepted"] == 1, reply.text
        messages = await reader.read_until(lambda ms: sum(code.encode() in m.value for m in ms) >= 2)
    # the topic also holds other tests' messages, dead-letter tests' unreadable ones among them
    ours = {v["payload"]["kind"]: v["payload"] for v in (json_value(m) for m in messages if code.encode() in m.value)}
    registration, account = ours["registration"], ours["power_account"]
    assert registration["data"]["legal_representative"] == "欧****"
    assert registration["data"]["contact_mobile"] == "139****5678"
    assert registration["data"]["legal_representative_id"].startswith("445202")
    assert "19800101" not in registration["data"]["legal_representative_id"]  # never the birth date
    assert account["data"]["holder_mobile"] == "137****4321"
    for payload, fields in ((registration, ("legal_representative", "legal_representative_id", "contact_mobile")),
                            (account, ("holder_mobile", "bank_account"))):
        assert all(len(payload["pii_hashes"][f]) == 64 for f in fields)
    for value in raw.values():
        assert all(value not in m.value.decode() for m in messages), value

    async def entity_in_analytics():
        return (await api.overview_of(township))["entities"] > 0

    await eventually(entity_in_analytics, what="registration applied downstream")
    await _assert_in_no_table(platform, raw)


async def _assert_in_no_table(platform, raw: dict[str, str]) -> None:
    """No column of any table of the five schemas (bytea decoded) holds any of the raw values."""
    engine = create_async_engine(platform.database_url)
    try:
        async with engine.connect() as conn:
            tables = (await conn.execute(sa.text(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('ingest','matcher','alerting','feedback','analytics')"))).all()
            assert len(tables) >= 15
            for schema, table in tables:
                columns = [(c, kind) for c, kind in (await conn.execute(sa.text(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = :s and table_name = :t"), {"s": schema, "t": table})).all()
                    if (schema, table, kind) != ("feedback", "evidence", "bytea")]  # photos: images, not text
                as_text = ", ".join(  # bytea (the outbox's payloads) decoded, everything else cast
                    f"convert_from(\"{c}\", 'UTF8')" if kind == "bytea" else f"\"{c}\"::text" for c, kind in columns)
                for field, value in raw.items():
                    hits = await conn.scalar(sa.text(
                        f'select count(*) from "{schema}"."{table}" where concat_ws(\' \', {as_text}) like :raw'),
                        {"raw": f"%{value}%"})
                    assert hits == 0, f"raw {field} found in {schema}.{table}"
    finally:
        await engine.dispose()


async def test_personal_data_nobody_declared_reaches_no_topic_and_no_table_and_still_links(api, kafka, platform):
    """A sole trader registered under his own name, his household's power account in that name, and a
    taxpayer whose 纳税人识别号 is his resident ID number and whose 纳税人名称 is his name: none of it was
    declared personal, all of it is masked and keyed-hashed at import, and the account still links."""
    township = townships_of("445202")[3]
    owner, taxpayer = "司马晓宇", "上官明轩"
    id_number = _resident_id("44520219850312456")
    raw = {"owner": owner, "taxpayer": taxpayer, "id_number": id_number}
    code = new_uscc("445202")
    account = f"H{code[-10:]}"
    reply = await api.submit("market_regulation", "registration", [{"uscc": code, "name": owner, "township_code": township}])
    assert reply.json()["accepted"] == 1, reply.text
    await registered(platform, code)
    async with TopicReader(kafka, topics.RECORD_MATCHED) as matched, \
               TopicReader(kafka, topics.township_alerts(township)) as township_topic:
        reply = await api.submit("power_supply", "power_usage", [
            {"power_account": account, "account_name": owner, "township_code": township, "period": "2026-10", "kwh": 35.0}])
        assert reply.json()["accepted"] == 1, reply.text
        reply = await api.submit("tax", "tax_payment", [
            {"taxpayer_id": id_number, "taxpayer_name": taxpayer, "township_code": township, "period": "2026-10",
             "amount": "80.00"}])
        assert reply.json()["accepted"] == 1, reply.text
        linked = await matched.read_until(lambda ms: any(account.encode() in m.value for m in ms))
        routed = await township_topic.read_until(lambda ms: any(b"pid:" in m.value for m in ms))
    power = next(json_value(m)["payload"] for m in linked if account.encode() in m.value)
    assert power["uscc"] == code and power["method"] == "person_name"  # linked by the keyed hash of the name
    assert power["record"]["data"]["account_name"] == "司***" and power["entity_name"] == "司***"
    failed = next(json_value(m)["payload"] for m in routed if b"pid:" in m.value)
    assert failed["record"]["data"]["taxpayer_id"] == "445202********" + id_number[-4:]
    assert failed["record"]["data"]["taxpayer_name"] == "上***"
    assert failed["record"]["source_key"].startswith("pid:")
    for message in (*linked, *routed):
        assert not any(value.encode() in message.value for value in raw.values())

    async def case_opened():
        return await db_scalar(platform, "select count(*) from feedback.match_cases where source_key like 'pid:%' "
                                         "and township_code = :t", t=township)

    await eventually(case_opened, what="the taxpayer's match case")
    await _assert_in_no_table(platform, raw)
