"""Jieyang's township list and the demo data generator that the local deployment feeds."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from itertools import chain

import pytest

from deploy.local.demo_data import DemoConfig, demo_records, power_usages, registrations, tax_payments
from deploy.local.demo_data import planted as demo_planted
from services.alerting.domain.catalogue import CATALOGUE, judge_all
from services.alerting.domain.history import POWER, TAX, Closure, Entity, History, Month
from services.alerting.domain.ruleset import load_ruleset
from shared import uscc
from shared.reference import DIVISIONS, TOWNSHIPS, is_known_township, township

FIVE_DIVISIONS = {"445202": "榕城区", "445203": "揭东区", "445222": "揭西县", "445224": "惠来县", "445281": "普宁市"}
CFG = DemoConfig(entities=5_000)


# --- townships ---------------------------------------------------------------------------------


def test_the_five_divisions_and_about_ninety_townships():
    assert dict(DIVISIONS) == FIVE_DIVISIONS
    assert 80 <= len(TOWNSHIPS) <= 100
    assert {t.division_code for t in TOWNSHIPS.values()} == set(FIVE_DIVISIONS)


def test_township_codes_are_nine_digits_under_their_division():
    for code, t in TOWNSHIPS.items():
        assert code == t.code
        assert re.fullmatch(r"\d{9}", code)
        assert code[:6] == t.division_code
        assert t.division_name == FIVE_DIVISIONS[t.division_code]
        assert t.name.endswith(("街道", "镇", "乡"))
    assert len({(t.division_code, t.name) for t in TOWNSHIPS.values()}) == len(TOWNSHIPS)


def test_sub_districts_are_numbered_before_towns_and_townships():
    rank = {"街道": 0, "镇": 1, "乡": 2}
    by_division = defaultdict(list)
    for t in sorted(TOWNSHIPS.values(), key=lambda t: t.code):
        by_division[t.division_code].append(t)
    for townships in by_division.values():
        assert [t.code[6:] for t in townships] == [f"{i:03d}" for i in range(1, len(townships) + 1)]
        ranks = [rank["街道" if t.name.endswith("街道") else t.name[-1]] for t in townships]
        assert ranks == sorted(ranks)


def test_lookup():
    assert township("445202001").name == "榕华街道"
    assert township("445281001").name == "流沙东街道"
    assert township("445299001") is None
    assert is_known_township("445203001")
    assert not is_known_township("445202999")
    with pytest.raises(TypeError):
        TOWNSHIPS["445202001"] = None  # read-only


# --- demo data ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict]]:
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for kind, batch in demo_records(CFG):
        by_kind[kind].extend(batch)
    return by_kind


@pytest.fixture(scope="module")
def registered(records) -> dict[str, dict]:
    return {r["uscc"]: r for r in records["registration"]}


def test_same_seed_same_data_other_seed_other_data():
    small = DemoConfig(entities=500, months=("2026-09", "2026-10"))
    assert list(demo_records(small)) == list(demo_records(small))
    other = DemoConfig(entities=500, months=("2026-09", "2026-10"), seed=1)
    assert list(registrations(other)) != list(registrations(small))


def test_record_shapes(records):
    assert set(records) == {"registration", "tax_payment", "power_usage", "finance_indicator"}
    assert all(
        set(r) - {"event", "event_date"} == {"uscc", "name", "township_code", "address", "industry_code", "status",
                                             "established_on", "legal_representative", "registered_capital"}
        and ("event_date" in r) == (r["status"] != "active")
        for r in records["registration"]
    )
    assert all(
        set(r) == {"uscc", "entity_name", "township_code", "period", "indicator", "value"}
        for r in records["finance_indicator"]
    )
    assert all(
        set(r) == {"taxpayer_id", "uscc", "taxpayer_name", "township_code", "period", "amount"}
        for r in records["tax_payment"]
    )
    assert all(
        set(r) == {"power_account", "uscc", "account_name", "township_code", "period", "kwh"}
        for r in records["power_usage"]
    )


def test_one_registration_per_entity_with_unique_valid_codes(records, registered):
    regs = records["registration"]
    assert len(regs) == CFG.entities == len(registered)
    for r in regs:
        code = r["uscc"]
        assert uscc.is_valid(code)
        assert code[0] == "9" and code[1] in "123"
        assert uscc.organisation_check_character(code[8:16]) == code[16]
        assert code[2:8] == township(r["township_code"]).division_code


def test_registrations_look_like_jieyang(records):
    regs = records["registration"]
    first_day = CFG.months[0] + "-01"
    for r in regs:
        t = township(r["township_code"])
        assert r["address"].startswith(f"广东省揭阳市{t.division_name}{t.name}")
        assert re.fullmatch(r"\d{4}", r["industry_code"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["established_on"]) and r["established_on"] < first_day
        assert 2 <= len(r["legal_representative"]) <= 3
        entity_type = r["uscc"][1]
        if entity_type == "1":
            assert r["name"].endswith(("有限公司", "有限责任公司", "股份有限公司"))
        elif entity_type == "2":
            assert r["name"].startswith(t.division_name) and "公司" not in r["name"]
        else:
            assert r["name"].endswith("专业合作社")

    types = Counter(r["uscc"][1] for r in regs)
    assert 0.35 < types["2"] / len(regs) < 0.45
    inactive = sum(r["status"] != "active" for r in regs) / len(regs)
    assert 0.02 < inactive < 0.045
    per_division = Counter(r["uscc"][2:8] for r in regs).most_common()
    assert [division for division, _ in per_division[:2]] == ["445281", "445202"]
    assert len({r["name"] for r in regs}) == len(regs)


def test_every_record_carries_a_known_township_and_period(records):
    for r in chain.from_iterable(records.values()):
        assert is_known_township(r["township_code"])
    for r in chain(records["tax_payment"], records["power_usage"]):
        assert r["period"] in CFG.months


def test_tax_payments_belong_to_registered_entities(records, registered):
    legacy_ids = {code[2:17] for code in registered}  # division code + organisation code
    for r in records["tax_payment"]:
        assert re.fullmatch(r"\d+\.\d{2}", r["amount"])
        if r["uscc"] is None:
            assert r["taxpayer_id"] in legacy_ids
        else:
            assert r["taxpayer_id"] == r["uscc"] and registered[r["uscc"]]["status"] == "active"
            assert r["taxpayer_name"] == registered[r["uscc"]]["name"]
    enterprises = [r for r in records["registration"] if r["uscc"][1] == "1" and r["status"] == "active"]
    taxed = {r["uscc"] for r in records["tax_payment"] if r["period"] == CFG.months[0]}
    assert 0.75 < sum(r["uscc"] in taxed for r in enterprises) / len(enterprises) < 0.9


def test_power_accounts_are_stable_and_unique(records, registered):
    accounts_by_period = defaultdict(list)
    owner = {}
    for r in records["power_usage"]:
        assert re.fullmatch(r"\d{10,12}", r["power_account"])
        assert isinstance(r["kwh"], float) and r["kwh"] > 0
        assert r["uscc"] is None or r["uscc"] in registered
        accounts_by_period[r["period"]].append(r["power_account"])
        assert owner.setdefault(r["power_account"], (r["uscc"], r["account_name"])) == (r["uscc"], r["account_name"])
    periods = [accounts_by_period[p] for p in CFG.months]
    assert all(len(set(accounts)) == len(accounts) for accounts in periods)
    assert all(set(accounts) == set(periods[0]) for accounts in periods)

    enterprises = [r for r in records["registration"] if r["uscc"][1] == "1" and r["status"] == "active"]
    powered = {r["uscc"] for r in records["power_usage"]}
    assert 0.65 < sum(r["uscc"] in powered for r in enterprises) / len(enterprises) < 0.75


def test_unregistered_power_share_is_as_configured(records):
    power = records["power_usage"]
    share = sum(r["uscc"] is None for r in power) / len(power)
    assert share == pytest.approx(CFG.unregistered_power_share, rel=0.4)


def test_power_without_tax_share_is_as_configured(records, registered):
    by_legacy_id = {code[2:17]: code for code in registered}
    used_power = {(r["uscc"], r["period"]) for r in records["power_usage"] if r["uscc"]}
    with_power, without_power = [], []
    for r in records["tax_payment"]:
        code = r["uscc"] or by_legacy_id[r["taxpayer_id"]]
        (with_power if (code, r["period"]) in used_power else without_power).append(r["amount"])
    assert with_power.count("0.00") / len(with_power) == pytest.approx(CFG.power_without_tax_share, rel=0.4)
    assert "0.00" not in without_power


def test_the_cases_the_pipeline_must_catch_are_present(records, registered):
    power = records["power_usage"]
    first, last = CFG.months[0], CFG.months[-1]
    meters = Counter(r["uscc"] for r in power if r["period"] == first and r["uscc"])
    assert any(n > 1 for n in meters.values())  # 一户多表
    assert any(registered[code]["status"] != "active" for code in meters)  # deregistered, still using power
    assert any(r["uscc"] is None for r in records["tax_payment"])  # legacy taxpayer ids
    kwh = {(r["power_account"], r["period"]): r["kwh"] for r in power}
    assert any(kwh[account, last] < 0.3 * kwh[account, first] for account, period in kwh if period == first)


def test_batches_come_registrations_first_then_month_by_month_then_the_quarters():
    order = []
    for kind, batch in demo_records(CFG):
        assert 0 < len(batch) <= 1000
        periods = {r.get("period") for r in batch}
        assert len(periods) == 1
        order.append((kind != "registration", kind == "finance_indicator", periods.pop() or ""))
    assert order == sorted(order)


def test_each_kind_alone_matches_the_combined_stream(records):
    assert list(registrations(CFG)) == records["registration"]
    assert list(tax_payments(CFG)) == records["tax_payment"]
    assert list(power_usages(CFG)) == records["power_usage"]


def _histories(records) -> list[History]:
    """The demo's records as the alerting service reads them once the matcher has linked them."""
    regs = {r["uscc"]: r for r in records["registration"]}
    by_legacy_id = {code[2:17]: code for code in regs}
    kwh, tax, townships, finance = Counter(), {}, defaultdict(set), defaultdict(dict)
    for r in records["power_usage"]:
        if r["uscc"]:
            kwh[r["uscc"], r["period"]] += r["kwh"]
            townships[r["uscc"], r["period"]].add(r["township_code"])
    for r in records["tax_payment"]:
        tax[r["uscc"] or by_legacy_id[r["taxpayer_id"]], r["period"]] = float(r["amount"])
    for r in records["finance_indicator"]:
        finance[r["uscc"]][r["period"]] = float(r["value"])
    histories = []
    for code, r in regs.items():
        ended = date.fromisoformat(r["event_date"]) if "event_date" in r else None
        entity = Entity(code, r["name"], r["township_code"], r["industry_code"], r["status"], ended)
        months = {
            p: Month(p, kwh.get((code, p)), tax.get((code, p)), frozenset(townships[code, p]))
            for p in CFG.months if (code, p) in kwh or (code, p) in tax
        }
        histories.append(History(entity, months, finance[code]))
    return histories


def test_every_rule_the_demo_months_can_show_has_planted_entities_that_it_finds(records):
    planted = demo_planted(CFG)
    assert set(planted) == set(CATALOGUE) - {"long_term_suspension"}  # half a year of quiet needs more months
    ruleset = load_ruleset()
    closed = Closure(closed=frozenset({TAX, POWER}))
    found = defaultdict(set)
    for judgement in judge_all(ruleset, _histories(records), CFG.months, dict.fromkeys(CFG.months, closed)):
        for f in judgement.findings:
            found[f.rule].add(f.uscc)
    # a dodger declares zero in half of the months at random: one in eight never does in three months
    share = {"power_without_tax": 0.8}
    for rule, usccs in planted.items():
        assert usccs and len(found[rule] & set(usccs)) >= share.get(rule, 1.0) * len(usccs), rule
