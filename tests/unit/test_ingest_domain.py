from services.ingest.domain import identity
from services.ingest.domain.desensitise import desensitise, keyed_hash, mask_person_name
from services.ingest.domain.validation import validate_rows
from shared.records import KINDS, PersonalField

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
        GOOD_POWER | {"uscc": "91350100M000100Y44", "kwh": -1},
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


def test_tax_amount_must_be_a_non_negative_money_value():
    row = {"taxpayer_id": "T1", "township_code": "445202001", "period": "2026-10"}
    _, errors = validate_rows(KINDS["tax_payment"], [row | {"amount": "abc"}, row | {"amount": "-0.01"}, row | {"amount": "1.001"}])
    assert [e.code for e in errors] == ["not_a_number", "negative", "too_many_digits"]


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


def test_every_kind_survives_the_round_trip_downstream_services_make():
    """What ingest publishes (model_dump) must validate again in matcher, alerting, analytics."""
    samples = {
        "registration": {"uscc": "91350100M000100Y43", "name": "某某公司", "township_code": "445202001"},
        "tax_payment": {"taxpayer_id": "T1", "township_code": "445202001", "period": "2026-10", "amount": "1.50"},
        "power_usage": GOOD_POWER,
    }
    assert set(samples) == set(KINDS)
    for name, row in samples.items():
        model = KINDS[name].model
        first = model.model_validate(row)
        assert model.model_validate(first.model_dump(mode="json")) == first
