import pytest

from services.ingest.domain import identity
from services.ingest.domain.desensitise import desensitise, keyed_hash, mask_person_name
from services.ingest.domain.validation import validate_rows, warnings_of
from shared.records import KINDS, PersonalField
from shared.records.fields import registration_number_is_valid

GOOD_POWER = {
    "power_account": "0300123456",
    "uscc": "91350100m000100y43",
    "account_name": "揭阳市某某五金有限公司",
    "township_code": "445202001",
    "period": "2026-10",
    "kwh": 1234.5,
}


def test_valid_rows_pass_and_codes_are_normalised():
    valid, errors = validate_rows(KINDS["power_usage"], [GOOD_POWER])
    assert errors == []
    assert valid[0].record.uscc == "91350100M000100Y43"


def test_each_bad_field_is_reported_with_row_code_and_chinese_message():
    rows = [
        GOOD_POWER,
        GOOD_POWER | {"uscc": "91350100M000100I43", "kwh": -1},
        GOOD_POWER | {"township_code": "999999999", "period": "2026-13"},
        "not an object",
        {k: v for k, v in GOOD_POWER.items() if k != "power_account"} | {"meter_colour": "red"},
    ]
    valid, errors = validate_rows(KINDS["power_usage"], rows)
    assert [v.row for v in valid] == [1]
    found = {(e.row, e.field, e.code) for e in errors}
    assert found == {
        (2, "uscc", "uscc_invalid"),
        (2, "kwh", "negative"),
        (3, "township_code", "township_unknown"),
        (3, "period", "period_invalid"),
        (4, "", "not_an_object"),
        (5, "power_account", "required"),
        (5, "meter_colour", "unknown_field"),
    }
    assert all(e.message and not e.message.isascii() for e in errors)


def test_a_mistyped_check_character_is_kept_for_the_matcher_but_refused_in_the_registry():
    mistyped = "91350100M000100Y44"
    valid, errors = validate_rows(KINDS["power_usage"], [GOOD_POWER, GOOD_POWER | {"uscc": mistyped}])
    assert errors == [] and valid[1].record.uscc == mistyped
    # accepted, and the department is told to correct it at the source
    assert [(w.row, w.field, w.code) for w in warnings_of(valid)] == [(2, "uscc", "uscc_check_character_kept")]
    registration = {"uscc": mistyped, "name": "揭阳市某某五金有限公司", "township_code": "445202001"}
    valid, errors = validate_rows(KINDS["registration"], [registration])
    assert valid == [] and [(e.row, e.field, e.code) for e in errors] == [(1, "uscc", "uscc_check_character")]
    assert "校验位" in errors[0].message


def test_a_tax_refund_is_a_negative_amount_and_other_money_stays_non_negative():
    row = {"taxpayer_id": "T1", "township_code": "445202001", "period": "2026-10"}
    valid, errors = validate_rows(
        KINDS["tax_payment"], [row | {"amount": "abc"}, row | {"amount": "-1200.50", "vat": "-1200.50"}, row | {"amount": "1.001"}]
    )
    assert [e.code for e in errors] == ["not_a_number", "too_many_digits"]
    assert [str(v.record.amount) for v in valid] == ["-1200.50"]  # 退税: accepted as sent
    registration = {"uscc": "91350100M000100Y43", "name": "揭阳市某某五金有限公司", "township_code": "445202001"}
    _, errors = validate_rows(KINDS["registration"], [registration | {"registered_capital": "-1"}])
    assert [(e.field, e.code) for e in errors] == [("registered_capital", "negative")]


@pytest.mark.parametrize(("kind", "field", "value", "code"), [
    # every value a later stage cannot store, encode or decode is refused at the edge, with its field
    ("power_usage", "account_name", "揭阳\x00五金", "text_unstorable"),  # PostgreSQL refuses NUL in text and JSONB
    ("power_usage", "account_name", "揭阳\udc00五金", "text_unstorable"),  # not encodable as UTF-8
    ("power_usage", "account_name", "厂" * 201, "too_long"),
    ("power_usage", "meter_number", "M" * 41, "too_long"),
    ("power_usage", "kwh", float("inf"), "number_not_finite"),  # JSON has no infinity: it was published as null
    ("power_usage", "kwh", float("nan"), "number_not_finite"),
    ("power_usage", "kwh", 1e13, "too_large"),
    ("food_drug_inspection", "inspections", 10**400, "too_large"),  # no JSON encoder takes it
    ("food_drug_inspection", "inspections", -1, "negative"),  # the declaration's own "min": 0
    ("food_drug_inspection", "licence_number", "L\x00", "text_unstorable"),
    ("finance_indicator", "value", "1e309", "too_many_digits"),
    ("finance_indicator", "value", "1" * 400, "too_many_digits"),
])
def test_values_no_later_stage_could_take_are_refused_with_row_and_field(kind, field, value, code):
    base = {
        "power_usage": GOOD_POWER,
        "food_drug_inspection": {"uscc": "91350100M000100Y43", "township_code": "445202001", "period": "2026-Q3",
                                 "licence_number": "JY001", "inspections": 2, "violations": 0},
        "finance_indicator": {"uscc": "91350100M000100Y43", "township_code": "445202001", "period": "2026-Q3",
                              "indicator": "net_profit", "value": "-12.5"},
    }[kind]
    valid, errors = validate_rows(KINDS[kind], [base, base | {field: value}])
    assert [v.row for v in valid] == [1]
    assert [(e.row, e.field, e.code) for e in errors] == [(2, field, code)]
    assert not errors[0].message.isascii()


def test_a_column_name_no_reply_could_encode_refuses_its_row_and_is_not_echoed_raw():
    _, errors = validate_rows(KINDS["power_usage"], [GOOD_POWER | {"颜色\udc00": "红"}, GOOD_POWER | {"颜色\x00": "红"}])
    assert [(e.row, e.code) for e in errors] == [(1, "text_unstorable"), (2, "unknown_field")]
    assert errors[1].field == "颜色\\u0000"
    for e in errors:
        (e.field + e.message).encode()  # any reply can carry it


def test_person_names_leave_only_as_mask_and_keyed_hash():
    data = {"name": "揭阳市某某有限公司", "legal_representative": "张三丰"}
    masked, hashes = desensitise(data, {"legal_representative": PersonalField.PERSON_NAME}, b"k1")
    assert masked["legal_representative"] == "张**"
    assert masked["name"] == data["name"]
    assert hashes["legal_representative"] == keyed_hash(b"k1", "张三丰") != keyed_hash(b"k2", "张三丰")
    assert "张三丰" not in repr((masked, hashes))
    assert mask_person_name("") == ""


def test_record_identity_is_deterministic_and_period_sensitive():
    a = identity.record_id("tax", "tax_payment", "T1", "2026-10")
    assert a == identity.record_id("tax", "tax_payment", "T1", "2026-10")
    assert a != identity.record_id("tax", "tax_payment", "T1", "2026-11")
    assert identity.imported_event_id(a, 1) != identity.imported_event_id(a, 2)
    assert identity.content_hash({"x": 1, "y": 2}, {}) == identity.content_hash({"y": 2, "x": 1}, {})


CODE = {"township_code": "445202001", "uscc": "91350100M000100Y43"}
SAMPLES = {
    "registration": CODE | {"name": "某某公司", "registered_capital": "50.00", "legal_representative": "张三",
                            "legal_representative_id": "11010519491231002X", "contact_mobile": "13800001234"},
    "tax_registration": CODE | {"taxpayer_id": "91350100M000100Y43"},
    "tax_payment": CODE | {"taxpayer_id": "T1", "period": "2026-10", "amount": "1.50"},
    "power_account": CODE | {"power_account": "0300123456", "usage_class": "industrial", "bank_account": "6222020200001234567"},
    "power_usage": GOOD_POWER,
    "commerce_indicator": CODE | {"period": "2026-10", "indicator": "retail_sales", "value": "12.5"},
    "industry_indicator": CODE | {"period": "2026-10", "indicator": "employees", "value": "40"},
    "finance_indicator": CODE | {"period": "2026-Q3", "indicator": "net_profit", "value": "-3.2"},
    "innovation_indicator": CODE | {"period": "2025", "indicator": "patents_granted", "value": "2"},
    "food_drug_inspection": CODE | {"period": "2026-Q3", "licence_number": "JY14452020001", "inspections": 2, "violations": 0},
    "quality_indicator": CODE | {"period": "2025", "indicator": "spot_checks", "value": "3"},
}


def test_every_kind_survives_the_round_trip_downstream_services_make():
    """What ingest publishes validates again, except the masked personal fields, which downstream
    services read without validation (`published`)."""
    assert set(SAMPLES) == set(KINDS)
    for name, row in SAMPLES.items():
        kind = KINDS[name]
        first = kind.model.model_validate(row)
        data, _ = desensitise(first.model_dump(mode="json"), kind.personal_fields, b"k")
        personal = set(kind.personal_fields)
        assert kind.read(data).model_dump(exclude=personal) == first.model_dump(exclude=personal), name


def test_every_column_title_of_every_kind_is_unambiguous():
    for kind in KINDS.values():
        columns = kind.columns()
        assert set(columns.values()) == set(kind.model.model_fields), kind.name
        titles = [info.title for info in kind.model.model_fields.values()]
        assert len(titles) == len(set(titles)), kind.name


@pytest.mark.parametrize(
    ("kind", "row", "field", "code"),
    [
        ("registration", {"township_code": "445202001", "name": "某某公司"}, "", "entity_code_required"),
        ("registration", CODE | {"name": "某某公司", "registration_number": "320483000067848"}, "registration_number", "registration_number_invalid"),
        ("registration", CODE | {"name": "某某公司", "legal_representative_id": "110105194912310021"}, "legal_representative_id", "resident_id_invalid"),
        ("registration", CODE | {"name": "某某公司", "contact_mobile": "2380000123"}, "contact_mobile", "mobile_invalid"),
        ("tax_payment", CODE | {"taxpayer_id": "T", "period": "2026-10", "amount": "10", "vat": "5",
                                "corporate_income_tax": "1", "individual_income_tax": "1", "other_taxes": "1"}, "", "amounts_inconsistent"),
        ("finance_indicator", CODE | {"period": "2026-10", "indicator": "net_profit", "value": "1"}, "period", "period_invalid"),
        ("innovation_indicator", CODE | {"period": "2025", "indicator": "coffee", "value": "1"}, "indicator", "value_not_allowed"),
        ("commerce_indicator", CODE | {"period": "2026-10", "indicator": "retail_sales", "value": "-1"}, "value", "negative"),
    ],
)
def test_kind_specific_rules_report_a_stable_code(kind, row, field, code):
    _, errors = validate_rows(KINDS[kind], [row])
    assert [(e.field, e.code) for e in errors] == [(field, code)]


@pytest.mark.parametrize(
    "number",
    ["110108000000016", "310117003171688", "440301104041144", "445381600190918", "441900001868015", "320300000174110"],
)
def test_published_registration_numbers_pass_their_check_digit(number):
    assert registration_number_is_valid(number)
    assert not registration_number_is_valid(number[:14] + str((int(number[14]) + 1) % 10))


def test_each_kind_of_personal_data_has_its_mask():
    policy = KINDS["registration"].personal_fields | KINDS["power_account"].personal_fields
    data = {"legal_representative": "欧阳娜娜", "legal_representative_id": "11010519491231002X",
            "contact_mobile": "13800001234", "holder_mobile": "13912345678", "bank_account": "6222020200001234567"}
    masked, hashes = desensitise(data, policy, b"k")
    assert masked == {"legal_representative": "欧***", "legal_representative_id": "110105********002X",
                      "contact_mobile": "138****1234", "holder_mobile": "139****5678", "bank_account": "***************4567"}
    assert set(hashes) == set(data)
