"""Alerts follow the data both ways: raised when a finding appears, withdrawn (and said so) when a
correction takes it away, raised again when the data comes back, told again when its figures change;
silenced ones never published."""

import uuid

from services.alerting.domain.catalogue import Finding, Judgement, alert_id
from services.alerting.domain.reconcile import Raised, reconcile

USCC, PERIOD = "91350100M000100Y43", "2026-10"
RULES = frozenset({"power_without_tax", "power_drop", "deregistered_active"})


def _finding(rule: str, facts: dict | None = None) -> Finding:
    return Finding(alert_id(rule, USCC, PERIOD), rule, "2026.12.1", "high", USCC, PERIOD, "445202001", facts or {}, "…")


def _raised(rule: str, supported: bool = True, inhibited: bool = False, facts: dict | None = None) -> Raised:
    return Raised(alert_id(rule, USCC, PERIOD), rule, supported, inhibited, facts)


def test_a_new_finding_is_published_and_an_unchanged_one_is_not_again():
    first = reconcile(Judgement([_finding("power_without_tax")], []), [], RULES)
    assert [f.rule for f in first.detected] == ["power_without_tax"] and not first.resolved
    again = reconcile(Judgement([_finding("power_without_tax")], []), [_raised("power_without_tax")], RULES)
    assert again.detected == [] and again.resolved == [] and len(again.recorded) == 1  # facts refreshed


def test_a_correction_withdraws_the_alert_and_the_data_coming_back_raises_it_again():
    gone = reconcile(Judgement([], []), [_raised("power_without_tax")], RULES)
    assert gone.withdrawn == gone.resolved == [alert_id("power_without_tax", USCC, PERIOD)]
    back = reconcile(Judgement([_finding("power_without_tax")], []), [_raised("power_without_tax", supported=False)], RULES)
    assert [f.rule for f in back.detected] == ["power_without_tax"]
    still_gone = reconcile(Judgement([], []), [_raised("power_without_tax", supported=False)], RULES)
    assert still_gone.withdrawn == still_gone.resolved == []  # said once


def test_an_inhibited_finding_is_recorded_never_published_and_takes_back_what_was():
    silenced = reconcile(Judgement([_finding("deregistered_active")], [_finding("power_drop")]), [], RULES)
    assert [f.rule for f in silenced.detected] == ["deregistered_active"]
    assert [(f.rule, inhibited) for f, inhibited in silenced.recorded] == [("deregistered_active", False), ("power_drop", True)]
    # power_drop had reached the township before the deregistration was known: it is taken back
    later = reconcile(Judgement([_finding("deregistered_active")], [_finding("power_drop")]),
                      [_raised("power_drop")], RULES)
    assert later.resolved == [alert_id("power_drop", USCC, PERIOD)] and later.withdrawn == []
    # an inhibited alert that loses its data is withdrawn without telling anyone: nobody had it
    quiet = reconcile(Judgement([], []), [_raised("power_drop", inhibited=True)], RULES)
    assert quiet.withdrawn == [alert_id("power_drop", USCC, PERIOD)] and quiet.resolved == []


def test_an_alert_of_a_rule_no_longer_run_is_left_alone():
    other = Raised(uuid.uuid4(), "tax_vs_peers", True, False)
    assert reconcile(Judgement([], []), [other], RULES).withdrawn == []


def test_an_alert_still_supported_with_other_figures_is_told_again_with_what_was_told_before():
    told = {"kwh": 25000.0, "tax": 0.0}
    same = reconcile(Judgement([_finding("power_without_tax", {"kwh": 25000, "tax": 0})], []),
                     [_raised("power_without_tax", facts=told)], RULES)
    assert same.updated == [] and same.detected == []  # 25000 == 25000.0: JSON gives back what it was given
    changed = reconcile(Judgement([_finding("power_without_tax", {"kwh": 18000.0, "tax": 0.0})], []),
                        [_raised("power_without_tax", facts=told)], RULES)
    assert [(f.facts["kwh"], before["kwh"]) for f, before in changed.updated] == [(18000.0, 25000.0)]
    assert changed.detected == [] and changed.resolved == []
    # an inhibited one, or one whose facts were never stored, is not told as changed
    held = reconcile(Judgement([], [_finding("power_without_tax", {"kwh": 1.0})]),
                     [_raised("power_without_tax", inhibited=True, facts=told)], RULES)
    assert held.updated == []
    unknown = reconcile(Judgement([_finding("power_without_tax", {"kwh": 1.0})], []), [_raised("power_without_tax")], RULES)
    assert unknown.updated == []
