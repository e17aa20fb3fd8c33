"""A township's case work over the real broker, database and service processes: the worklist, acts
with their Chinese states, photos from the field, review and return by a supervisor, transfer to a
neighbour, replays over a bad network, the assessment, and the timeline rebuilt from Kafka alone."""

import asyncio
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from openpyxl import load_workbook
from PIL import Image

from shared import topics
from shared.contracts import AnomalyDetected, AnomalyResolved, AnomalyUpdated, EvidencePacket
from shared.messaging.codec import encode
from tests.integration.harness import (
    TopicReader,
    db_execute,
    db_scalar,
    eventually,
    json_value,
    new_uscc,
    raise_alert,
    restart_with_env,
    townships_of,
)

pytestmark = pytest.mark.integration

DIVISION = "445222"  # 揭西县
HOME, NEIGHBOUR = townships_of(DIVISION)[:2]
FAR = townships_of("445281")[0]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (90, 140, 70)).save(buffer, "JPEG")
    return buffer.getvalue()


async def _alert(api, platform, township: str) -> str:
    case_id, _ = await raise_alert(api, platform, township)
    return case_id


async def _act(api, township, case_id, key=None, **body):
    headers = {"Idempotency-Key": key} if key else {}
    return await api.as_township(township, "POST", "feedback", f"/v1/cases/{case_id}/acts", json=body, headers=headers)


async def test_a_case_from_receipt_to_review_with_a_photo_a_return_and_replays(api, platform, kafka):
    async with TopicReader(kafka, topics.FEEDBACK_SUBMITTED) as feedback_topic, \
               TopicReader(kafka, topics.township_alerts(HOME)) as township_topic:
        case_id = await _alert(api, platform, HOME)
        case = (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{case_id}")).json()
        assert (case["state"], case["state_zh"], case["kind_zh"], case["severity"]) == ("pending", "待签收", "预警", "high")
        assert case["acknowledge_due"] < case["resolve_due"]  # 2 and 10 working days (high severity)
        assert case["actions"] == ["acknowledge", "verify", "add_evidence", "resolve", "transfer"]

        # another township learns nothing, not even that the case exists
        for method, path, kw in [("GET", f"/v1/cases/{case_id}", {}),
                                 ("POST", f"/v1/cases/{case_id}/acts", {"json": {"action": "acknowledge"}})]:
            hidden = await api.as_township(FAR, method, "feedback", path, **kw)
            assert hidden.status_code == 404 and hidden.json()["detail"]["code"] == "case_not_found"

        # 签收, retried over a bad network with the same key: one act
        first = await _act(api, HOME, case_id, key="ack-1", action="acknowledge")
        replay = await _act(api, HOME, case_id, key="ack-1", action="acknowledge")
        assert first.status_code == replay.status_code == 200, replay.text
        assert [h["action"] for h in replay.json()["history"]] == ["acknowledge"]
        again = await _act(api, HOME, case_id, key="ack-2", action="acknowledge")
        assert again.status_code == 409 and again.json()["detail"] == {"code": "already_acknowledged", "message": "该事项已签收"}

        # a photo from the phone, with its location; the retry stores nothing twice; a PDF is refused
        photo = {"photo": ("现场.jpg", _jpeg(), "image/jpeg")}
        where = {"latitude": "23.4281", "longitude": "115.8387", "accuracy_m": "12.5"}
        for _ in range(2):
            uploaded = await api.as_township(HOME, "POST", "feedback", f"/v1/cases/{case_id}/photos", files=photo,
                                             data=where, headers={"Idempotency-Key": "photo-1"})
            assert uploaded.status_code == 200, uploaded.text
        body = uploaded.json()
        assert body["state"] == "verifying" and len(body["photos"]) == 1
        assert (body["photos"][0]["latitude"], body["photos"][0]["accuracy_m"]) == (23.4281, 12.5)
        not_a_photo = await api.as_township(HOME, "POST", "feedback", f"/v1/cases/{case_id}/photos",
                                            files={"photo": ("x.jpg", b"%PDF-1.7 ...", "image/jpeg")})
        assert not_a_photo.status_code == 422 and not_a_photo.json()["detail"]["code"] == "not_an_image"
        assert await db_scalar(platform, "select count(*) from feedback.evidence where case_id = :id", id=case_id) == 1
        thumb = await api.as_township(HOME, "GET", "feedback", body["photos"][0]["thumbnail_url"])
        assert thumb.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(thumb.content)).size == (320, 240)
        assert (await api.as_township(FAR, "GET", "feedback", body["photos"][0]["url"])).status_code == 404

        # 办结 needs a disposition from the closed list
        wrong = await _act(api, HOME, case_id, action="resolve", note="已核实", disposition="fine")
        assert wrong.status_code == 422 and "属实-已整改" in wrong.json()["detail"]["message"]
        done = await _act(api, HOME, case_id, action="resolve", note="企业10月试生产，已辅导申报",
                          disposition="confirmed_rectified")
        assert (done.json()["state_zh"], done.json()["disposition_zh"]) == ("已办结", "属实-已整改")
        assert (await _act(api, HOME, case_id, action="review")).status_code == 403  # not the township's to pass

        # the supervisor returns it with a reason; the township resolves again; the supervisor passes it
        returned = await api.as_supervisor("feedback", f"/v1/cases/{case_id}/acts", "POST",
                                           json={"action": "return", "note": "缺少整改后的照片"})
        assert returned.status_code == 200 and returned.json()["state_zh"] == "核查中", returned.text
        await _act(api, HOME, case_id, action="resolve", note="补充整改照片", disposition="confirmed_rectified")
        reviewed = await api.as_supervisor("feedback", f"/v1/cases/{case_id}/acts", "POST", json={"action": "review"})
        assert reviewed.json()["state_zh"] == "已复核" and reviewed.json()["actions"] == []
        history = reviewed.json()["history"]
        assert [h["action"] for h in history] == ["acknowledge", "add_evidence", "resolve", "return", "resolve", "review"]
        assert all(h["device"] for h in history)  # each act says what it came from

        # the timeline from Kafka alone, and the township's own topic saw every change
        def ours(messages):
            return [json_value(m)["payload"] for m in messages if json_value(m)["payload"].get("alert_id") == case_id]
        published = ours(await feedback_topic.read_until(lambda ms: len(ours(ms)) >= 6))
        assert [(p["action"], p["state"]) for p in published] == [
            ("acknowledge", "acknowledged"), ("add_evidence", "verifying"), ("resolve", "resolved"),
            ("return", "verifying"), ("resolve", "resolved"), ("review", "reviewed")]
        assert published[1]["evidence"]["sha256"] and published[2]["disposition"] == "confirmed_rectified"
        own = await township_topic.read_until(
            lambda ms: len([m for m in ms if json_value(m)["event_type"] == "feedback-submitted"
                            and json_value(m)["payload"]["alert_id"] == case_id]) >= 6)
        assert own

    # 效能监测: the case counts for its township, returned once
    month = case["received_at"][:7]
    assessed = await api.as_township(HOME, "GET", "feedback", "/v1/assessment", params={"month": month})
    assert assessed.status_code == 200, assessed.text
    (row,) = assessed.json()["townships"]
    assert row["township_code"] == HOME and row["figures"]["received"] >= 1 and row["figures"]["returned"] >= 1
    assert assessed.json()["city"] is None  # a township sees its own row only
    city = (await api.as_supervisor("feedback", f"/v1/assessment?month={month}")).json()
    assert city["city"]["received"] >= 1 and len(city["counties"]) == 5
    workbook = await api.as_supervisor("feedback", f"/v1/assessment.xlsx?month={month}")
    sheets = load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert sheets == ["乡镇", "县区", "全市", "部门更正"]  # the departments' correction requests since 5b2ac6d


async def test_a_transfer_is_accepted_by_the_neighbour_and_refused_back(api, platform):
    case_id = await _alert(api, platform, HOME)
    missing_reason = await _act(api, HOME, case_id, action="transfer", to_township=NEIGHBOUR)
    assert missing_reason.status_code == 422 and missing_reason.json()["detail"]["code"] == "note_required"
    moving = await _act(api, HOME, case_id, action="transfer", to_township=NEIGHBOUR, note="企业实际在邻镇经营")
    assert moving.json()["state_zh"] == "转办中"
    offered = (await api.as_township(NEIGHBOUR, "GET", "feedback", f"/v1/cases/{case_id}")).json()
    assert offered["actions"] == ["accept_transfer", "refuse_transfer"]
    refused = await _act(api, NEIGHBOUR, case_id, action="refuse_transfer", note="经核实仍在原镇经营")
    assert (refused.json()["state_zh"], refused.json()["township_code"]) == ("待签收", HOME)

    await _act(api, HOME, case_id, action="transfer", to_township=NEIGHBOUR, note="复核后确认在邻镇")
    taken = await _act(api, NEIGHBOUR, case_id, action="accept_transfer")
    assert (taken.json()["township_code"], taken.json()["state_zh"]) == (NEIGHBOUR, "待签收")
    assert (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{case_id}")).status_code == 404
    listed = await api.as_township(NEIGHBOUR, "GET", "feedback", "/v1/cases", params={"state": "pending", "kind": "alert"})
    assert case_id in [c["case_id"] for c in listed.json()]


async def test_an_overdue_case_is_escalated_to_the_county_then_the_city(api, platform, kafka):
    restart_with_env(platform, "feedback", {"BIZPULSE_SWEEP_SECONDS": "0.5"})
    case_id = await _alert(api, platform, HOME)

    def escalated(messages):
        return [json_value(m)["payload"] for m in messages if json_value(m)["event_type"] == "case-escalated"
                and json_value(m)["payload"]["case_id"] == case_id]

    async with TopicReader(kafka, topics.county_alerts(DIVISION)) as county, \
               TopicReader(kafka, topics.city_alerts("445200")) as city:
        # as if three days had passed without anyone acknowledging it
        await db_execute(platform, "update feedback.cases set acknowledge_due = current_date - 3 where case_id = :id",
                         id=case_id)
        (told,) = escalated(await county.read_until(escalated))
        assert (told["level"], told["deadline"], told["state"]) == ("county", "acknowledge", "pending")
        assert "签收时限" in told["message_zh"] and "县（区）" in told["message_zh"]
        # still undone a week of working days after the county was told
        await db_execute(platform, "update feedback.cases set escalated_at = now() - interval '20 days' where case_id = :id",
                         id=case_id)
        (told_city,) = escalated(await city.read_until(escalated))
        assert told_city["level"] == "city"
    case = (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{case_id}")).json()
    assert (case["overdue"], case["escalation"]) == (True, "city")
    listed = await api.as_township(HOME, "GET", "feedback", "/v1/cases", params={"overdue": "true"})
    assert case_id in [c["case_id"] for c in listed.json()]


async def _month(api, platform, township: str, name: str, period: str) -> str:
    """Zero tax, then power, for an entity already registered under `name`: the month's 用电无税 finding."""
    code = await db_scalar(platform, "select uscc from alerting.entities where name = :name", name=name)
    await api.submit("tax", "tax_payment", [{"taxpayer_id": code, "uscc": code, "taxpayer_name": name,
                                            "township_code": township, "period": period, "amount": "0.00"}])
    facts = "select count(*) from alerting.facts where uscc = :code and period = :period"
    await eventually(lambda: db_scalar(platform, facts, code=code, period=period), what=f"{period}'s tax in alerting")
    await api.submit("power_supply", "power_usage", [{"power_account": f"P{code[-10:]}", "uscc": code, "account_name": name,
                                                      "township_code": township, "period": period, "kwh": 25000.0}])
    return code


async def test_what_a_township_finds_changes_what_alerting_does(api, platform):
    # 误报-有合理原因: the rule stays silent for the entity — September's finding is recorded, not sent
    false_alarm, name = await raise_alert(api, platform, HOME)
    done = await _act(api, HOME, false_alarm, action="resolve", note="季节性生产，用电集中在旺季", disposition="false_positive")
    assert done.status_code == 200, done.text
    silences = "select count(*) from alerting.silences where uscc = (select uscc from alerting.alerts where alert_id = :id)"
    await eventually(lambda: db_scalar(platform, silences, id=false_alarm), what="the township's silence in alerting")
    code = await _month(api, platform, HOME, name, "2026-09")
    held = "select silenced_by is not null from alerting.alerts where uscc = :code and period = '2026-09'"
    assert await eventually(lambda: db_scalar(platform, held, code=code), what="September's finding held back")

    # 不属本辖区: the entity belongs to the neighbour; its next alert goes there
    elsewhere, other_name = await raise_alert(api, platform, HOME)
    missing = await _act(api, HOME, elsewhere, action="resolve", note="企业实际在邻镇", disposition="not_jurisdiction")
    assert missing.status_code == 422 and missing.json()["detail"]["code"] == "township_invalid"
    moved = await _act(api, HOME, elsewhere, action="resolve", note="企业实际在邻镇经营", disposition="not_jurisdiction",
                       to_township=NEIGHBOUR)
    assert moved.json()["disposition_zh"] == "不属本辖区"
    township = "select township_code from alerting.entities where name = :name"
    await eventually(lambda: _equals(db_scalar(platform, township, name=other_name), NEIGHBOUR),
                     what="the entity's township corrected in alerting")
    await _month(api, platform, HOME, other_name, "2026-09")

    async def at_the_neighbour():
        reply = await api.as_township(NEIGHBOUR, "GET", "feedback", "/v1/cases", params={"kind": "alert"})
        return [c for c in reply.json() if c["title"] == other_name and c["period"] == "2026-09"]
    assert await eventually(at_the_neighbour, what="September's alert on the neighbour's worklist")


async def test_not_the_same_entity_on_an_alert_keeps_the_power_account_from_the_entity(api, platform):
    # the evidence packet says why each record is the entity's; the officer finds the meter is not its
    case_id, name = await raise_alert(api, platform, HOME)
    case = (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{case_id}")).json()
    links = {link["department"]: link for link in case["evidence"]["links"]}
    assert set(links) == {"power_supply", "tax"} and links["power_supply"]["method"] == "exact_uscc"
    code, account = links["tax"]["source_key"], links["power_supply"]["source_key"]
    stranger = await _act(api, HOME, case_id, action="resolve", note="电表实为他人所有", disposition="not_same_entity",
                          not_linked=[{"department": "power_supply", "source_key": "P-NOT-HERE"}])
    assert stranger.status_code == 422 and stranger.json()["detail"]["code"] == "source_not_in_alert"
    done = await _act(api, HOME, case_id, action="resolve", note="电表实为他人所有", disposition="not_same_entity",
                      not_linked=[{"department": "power_supply", "source_key": account}])
    assert done.status_code == 200 and done.json()["disposition_zh"] == "非同一主体"
    refused = "select string_agg(department || ':' || uscc, ',') from matcher.cannot_links where source_key = :key"
    assert await eventually(lambda: db_scalar(platform, refused, key=account), what="the constraint in the matcher") \
        == f"power_supply:{code}"

    # November's reading of that meter, still carrying the entity's code, is no longer linked to it
    await api.submit("power_supply", "power_usage", [{"power_account": account, "uscc": code, "account_name": name,
                                                      "township_code": HOME, "period": "2026-11", "kwh": 24000.0}])
    held = "select count(*) from feedback.match_cases where source_key = :key"
    await eventually(lambda: db_scalar(platform, held, key=account), what="the meter back on the worklist to verify")
    linked = "select count(*) from alerting.facts where uscc = :code and period = '2026-11'"
    assert await db_scalar(platform, linked, code=code) == 0
    # the entity's own tax key was not named: it is still the entity's
    assert await db_scalar(platform, "select count(*) from matcher.cannot_links where source_key = :code", code=code) == 0


async def _equals(value, expected):
    return (await value) == expected


def _alerting_said(kind, code: str, at: datetime, **payload):
    """An event as alerting publishes it about `code`'s September 用电无税 alert, at `at`."""
    common = {"alert_id": uuid.uuid5(uuid.NAMESPACE_URL, f"power_without_tax/{code}/2026-09"), "rule": "power_without_tax",
              "uscc": code, "township_code": HOME, "period": "2026-09", "ruleset_version": "test"}
    event = kind.create(kind.model_fields["payload"].annotation(**common, **payload),
                        producer="alerting", correlation_id=uuid.uuid4())
    return event.model_copy(update={"occurred_at": at})


def _raised(code: str, at: datetime, kwh: float):
    return _alerting_said(AnomalyDetected, code, at, entity_name=f"测试{code[-4:]}有限公司", facts={"kwh": kwh},
                          message_zh=f"用电 {kwh:,.0f} 千瓦时，无纳税", record_ids=[])


def _changed(code: str, at: datetime, kwh: float, before: float):
    packet = EvidencePacket(industry_code="C3311", status="active", status_since=None, months=[])
    return _alerting_said(AnomalyUpdated, code, at, facts={"kwh": kwh}, previous_facts={"kwh": before},
                          message_zh=f"用电 {kwh:,.0f} 千瓦时，无纳税", record_ids=[], evidence=packet)


def _withdrawn(code: str, at: datetime):
    return _alerting_said(AnomalyResolved, code, at, message_zh="已补报纳税，预警自动撤销")


async def test_an_alert_raised_changed_withdrawn_and_raised_again_in_one_burst_ends_as_alerting_last_said(api, kafka):
    """Feedback and analytics apply a poll's events a run of one kind at a time; the order alerting published
    them in must still decide: a later detection brings a withdrawn alert back, a stale change or one after
    the withdrawal changes nothing."""
    back, gone = new_uscc(DIVISION), new_uscc(DIVISION)
    t = datetime.now(UTC) - timedelta(minutes=10)
    s = timedelta(seconds=1)
    burst = [
        _raised(back, t, 25_000), _raised(gone, t, 9_000),
        _changed(back, t + s, 18_000, 25_000), _changed(gone, t + 2 * s, 7_000, 9_000),
        _changed(gone, t + s, 8_000, 9_000),  # older than the change already held
        _withdrawn(back, t + 3 * s), _withdrawn(gone, t + 3 * s),
        _raised(back, t + 4 * s, 30_000), _changed(gone, t + 5 * s, 6_000, 7_000),  # after its withdrawal
    ]
    producer = AIOKafkaProducer(**kafka.aiokafka(), acks="all", enable_idempotence=True, linger_ms=50)
    await producer.start()
    try:
        sent = [await producer.send(topics.ANOMALY_DETECTED, encode(e), key=e.payload.uscc.encode()) for e in burst]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()

    async def alert(code: str, settled):
        alert_id = burst[0 if code == back else 1].payload.alert_id
        reply = await api.as_township(HOME, "GET", "feedback", f"/v1/alerts/{alert_id}")
        return reply.json() if reply.status_code == 200 and settled(reply.json()) else None
    raised_again = await eventually(lambda: alert(back, lambda a: a["facts"] == {"kwh": 30_000}), what="the alert raised again")
    assert raised_again["withdrawn_at"] is None
    case = (await api.as_township(HOME, "GET", "feedback", f"/v1/cases/{raised_again['alert_id']}")).json()
    assert case["changed_at"] is None and case["changes_since"] == []  # its packet frozen afresh: nothing changed since
    withdrawn = await eventually(lambda: alert(gone, lambda a: a["withdrawn_at"]), what="the withdrawal")
    assert withdrawn["facts"] == {"kwh": 7_000} and withdrawn["withdrawn_message_zh"] == "已补报纳税，预警自动撤销"

    async def counted():  # 经济管理监管分析's list: one raised again (its message as last detected), one withdrawn
        reply = await api.as_township(HOME, "GET", "analytics", "/v1/alerts",
                                      params={"from": "2026-09", "to": "2026-09", "rule": "power_without_tax", "limit": 500})
        ours = {a["uscc"]: (a["state"], a["message_zh"]) for a in reply.json() if a["uscc"] in (back, gone)}
        return ours if len(ours) == 2 and ours[gone][0] == "withdrawn" and "30,000" in ours[back][1] else None
    ours = await eventually(counted, what="both alerts in analytics")
    assert ours[back] == ("open", "用电 30,000 千瓦时，无纳税")
