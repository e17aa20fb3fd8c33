"""Personal values nobody declared — a person's name as 户名 or 纳税人名称, a resident ID as 纳税人识别号
or inside free text — are found, masked and keyed-hashed at import, and records still link by them."""

import uuid
from datetime import UTC, datetime

import pytest

from services.ingest.domain.desensitise import desensitise, keyed_hash, mask_resident_id, protect_source_key
from services.ingest.domain.personal import is_person_name, is_resident_id, resident_ids_in
from services.matcher.domain.decision import Thresholds
from services.matcher.domain.index import EntityIndex, RegisteredEntity
from services.matcher.domain.matching import Linked, Unlinked, link
from shared.contracts import ImportedRecord, MatchMethod
from shared.records import KINDS

KEY = b"installation-key"


def resident_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


ID18 = resident_id("44520219800101123")
ID15 = "445202800101123"  # the pre-2004 form: 6-digit region, YYMMDD, sequence


@pytest.mark.parametrize("name", ["张伟", "李建华", "王超", "欧阳建国", "司马小明", "黄秀英"])
def test_a_persons_name_is_recognised(name):
    assert is_person_name(name)


@pytest.mark.parametrize("name", [
    "揭阳市恒发五金制品有限公司", "张记", "王氏", "李四五金店", "陈家村", "黄岐商行", "林氏宗祠", "赵厂", "张三超市",
    "Zhang Wei", "张", "揭阳电厂",
])
def test_a_business_or_place_is_not_taken_for_a_person(name):
    assert not is_person_name(name)


def test_resident_ids_are_recognised_by_structure_not_by_look():
    assert is_resident_id(ID18) and is_resident_id(ID15)
    assert not is_resident_id(ID18[:17] + str((int(ID18[17]) + 1) % 10 if ID18[17].isdigit() else 0))  # check character
    assert not is_resident_id("445202198013011234")  # month 13
    assert not is_resident_id("995202198001011234")  # no such province
    # a 15-digit legacy taxpayer id (division + GB 11714 organisation code) stays a taxpayer id
    # (445202 80010112 5: its digits 7–12 also read as a birth date, 1980-01-01)
    assert not is_resident_id("445202800101125") and is_resident_id("445202800101124")
    assert resident_ids_in(f"经营者身份证{ID18}，住址") == [ID18]
    assert resident_ids_in("户号 0300123456789012345678") == []  # part of a longer number


def test_the_15_digit_mask_hides_the_whole_birth_date():
    assert mask_resident_id(ID15) == "445202******123"  # positions 7–12 (YYMMDD)
    assert mask_resident_id(ID18) == "445202********" + ID18[-4:]  # positions 7–14


def test_undeclared_personal_values_are_masked_and_hashed_where_they_stand():
    kind = KINDS["tax_payment"]
    data = {"taxpayer_id": ID18, "taxpayer_name": "张伟", "township_code": "445202001", "period": "2026-10",
            "amount": "100.00"}
    masked, hashes = desensitise(data, kind.personal_fields, KEY, kind.text_fields, kind.name_fields)
    assert masked["taxpayer_id"] == mask_resident_id(ID18) and masked["taxpayer_name"] == "张*"
    assert hashes == {"taxpayer_id": keyed_hash(KEY, ID18), "taxpayer_name": keyed_hash(KEY, "张伟")}
    account = KINDS["power_account"]
    text = {"power_account": "13912345678", "account_name": "揭阳市恒发五金制品有限公司",
            "address": f"榕城区新兴路1号（联系人电话13912345678，身份证{ID18}）"}
    masked, hashes = desensitise(text, account.personal_fields, KEY, account.text_fields, account.name_fields)
    assert masked["address"] == f"榕城区新兴路1号（联系人电话139****5678，身份证{mask_resident_id(ID18)}）"
    assert masked["power_account"] == "13912345678"  # a number alone is an account number, not a phone
    assert masked["account_name"] == text["account_name"] and hashes == {}


def test_a_source_key_holding_a_resident_id_becomes_its_keyed_hash_and_stays_stable():
    protected = protect_source_key(ID18, KEY)
    assert ID18 not in protected and protected == protect_source_key(ID18, KEY) != protect_source_key(ID18, b"other")
    assert protect_source_key("0300123456", KEY) == "0300123456"


def _record(name_hash: str, township: str = "445202001", address: str = "") -> ImportedRecord:
    return ImportedRecord(
        record_id=uuid.uuid4(), version=1, department="power_supply", kind="power_usage", source_key="0300777",
        period="2026-10", township_code=township, uscc=None, received_at=datetime.now(UTC),
        data={"account_name": "张*", "address": address}, pii_hashes={"account_name": name_hash},
    )


def test_a_persons_account_links_to_the_individual_business_registered_under_the_same_name():
    zhang_here = RegisteredEntity("92445202MA00000011", None, "张*", "", "445202001", "active", name_hash=keyed_hash(KEY, "张伟"))
    zhang_elsewhere = RegisteredEntity("92445281MA00000022", None, "张*", "", "445281101", "active", name_hash=keyed_hash(KEY, "张伟"))
    li_here = RegisteredEntity("92445202MA00000033", None, "李*", "", "445202001", "active", name_hash=keyed_hash(KEY, "李娜"))
    index = EntityIndex()
    for entity in (zhang_here, zhang_elsewhere, li_here):
        index.upsert(entity)
    decision = link(_record(keyed_hash(KEY, "张伟")), index, Thresholds())
    assert isinstance(decision, Linked) and decision.entity == zhang_here and decision.method is MatchMethod.PERSON_NAME
    assert decision.explanation["name"] == 1.0 and decision.explanation["township"] == 1.0
    # the masked text "张*" matches nothing by itself: another 张 is not 张伟
    nobody = link(_record(keyed_hash(KEY, "张敏")), index, Thresholds())
    assert isinstance(nobody, Unlinked) and nobody.candidates == []
    # two namesakes in the township: a person decides
    index.upsert(RegisteredEntity("92445202MA00000044", None, "张*", "", "445202001", "active", name_hash=keyed_hash(KEY, "张伟")))
    both = link(_record(keyed_hash(KEY, "张伟")), index, Thresholds())
    assert isinstance(both, Unlinked) and {c.entity.uscc for c in both.candidates[:2]} == {"92445202MA00000011", "92445202MA00000044"}


def test_ingest_takes_only_a_secret_key_made_for_its_installation():
    from pydantic import ValidationError

    from services.ingest.settings import IngestSettings

    for published in ("bizpulse-dev-only-key", "short"):
        with pytest.raises(ValidationError, match="BIZPULSE_HMAC_KEY"):
            IngestSettings(hmac_key=published)
    with pytest.raises(SystemExit, match="BIZPULSE_HMAC_KEY is not set"):
        IngestSettings(hmac_key=None).require_hmac_key()
    IngestSettings(hmac_key="k" * 32).require_hmac_key()


def test_the_local_platform_keeps_one_key_per_installation(tmp_path):
    import stat

    from deploy.local.platform import installation_secret

    key = installation_secret(tmp_path / "hmac.key")
    assert len(key) >= 32 and installation_secret(tmp_path / "hmac.key") == key  # the same on every start
    assert stat.S_IMODE((tmp_path / "hmac.key").stat().st_mode) == 0o600
    assert installation_secret(tmp_path / "another-installation.key") != key
